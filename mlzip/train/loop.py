"""The training loop for block-grid predictors: seeded crops, Adam, masked MSE, validation, checkpoints.

A sample is (features [C, H, W] int codes, target [T, H, W]) on the block grid of one component;
the network (QGraph, fake-quantized from the first step) predicts the target per block.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from mlzip.train.qat import QGraph

Sample = tuple[np.ndarray, np.ndarray]


@dataclass
class History:
    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_steps: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    seconds: float = 0.0


def random_crops(samples: Sequence[Sample], rng: np.random.Generator, batch: int, crop: int
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """`batch` crops of crop x crop blocks, zero-padded where an image is smaller, with a validity mask."""
    c, t = samples[0][0].shape[0], samples[0][1].shape[0]
    x = np.zeros((batch, c, crop, crop), np.float32)
    y = np.zeros((batch, t, crop, crop), np.float32)
    m = np.zeros((batch, 1, crop, crop), np.float32)
    for i in range(batch):
        fx, fy = samples[int(rng.integers(len(samples)))]
        h, w = fx.shape[1:]
        y0, x0 = int(rng.integers(0, max(h - crop, 0) + 1)), int(rng.integers(0, max(w - crop, 0) + 1))
        hh, ww = min(crop, h), min(crop, w)
        x[i, :, :hh, :ww] = fx[:, y0 : y0 + hh, x0 : x0 + ww]
        y[i, :, :hh, :ww] = fy[:, y0 : y0 + hh, x0 : x0 + ww]
        m[i, :, :hh, :ww] = 1
    return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(m)


def shape_groups(samples: Sequence[Sample]) -> list[list[Sample]]:
    """Samples grouped by block-grid shape, largest group first (stable)."""
    groups: dict[tuple[int, ...], list[Sample]] = {}
    for s in samples:
        groups.setdefault(s[0].shape[1:], []).append(s)
    return sorted(groups.values(), key=len, reverse=True)


def whole_images(groups: Sequence[Sequence[Sample]], rng: np.random.Generator, batch: int
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """`batch` whole images of one shape (group picked in proportion to its size): exactly what the runtime
    sees on a tiny image (every layer zero-padded at the image border), unlike a padded crop."""
    sizes = np.array([len(g) for g in groups], np.float64)
    g = groups[int(rng.choice(len(groups), p=sizes / sizes.sum()))]
    picks = [g[int(i)] for i in rng.integers(0, len(g), batch)]
    x = np.stack([p[0] for p in picks]).astype(np.float32)
    y = np.stack([p[1] for p in picks]).astype(np.float32)
    return torch.from_numpy(x), torch.from_numpy(y)


def masked_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (((pred - target) ** 2) * mask).sum() / (mask.sum() * target.shape[1]).clamp_min(1)


def evaluate(graph: QGraph, samples: Sequence[Sample], output: str = "head") -> float:
    """Mean squared error per target element over whole images (no crops)."""
    graph.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for fx, fy in samples:
            pred = graph(torch.from_numpy(fx[None].astype(np.float32)))[output]
            total += float(((pred[0] - torch.from_numpy(fy.astype(np.float32))) ** 2).sum())
            count += fy.size
    graph.train()
    return total / max(count, 1)


class Adversary(Protocol):
    """An extra loss term with its own model (mlzip.train.gan): a term for the predictor's loss, then an
    update of its own parameters on the same batch."""

    def generator_term(self, x: torch.Tensor, pred: torch.Tensor, mask: torch.Tensor) -> torch.Tensor: ...

    def update(self, x: torch.Tensor, pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> None: ...


def train(graph: QGraph, train_set: Sequence[Sample], val_set: Sequence[Sample], *, steps: int,
          seconds: float | None = None, batch: int = 8, crop: int = 24, lr: float = 3e-3, seed: int = 0,
          val_every: int = 100, checkpoint: Path | None = None,
          progress: Callable[[int, float], None] | None = None, output: str = "head",
          small_batch: int = 0, adversary: Adversary | None = None,
          on_validation: Callable[[int, QGraph], None] | None = None) -> History:
    """Train in place for `steps` steps (or until `seconds` pass). Seeded: same data order, same init.
    `train_loss` records the rate loss (masked MSE) alone, also when an adversary adds its term.

    small_batch > 0: images of at most crop/3 blocks a side (CIFAR-sized) are trained apart, `small_batch`
    whole images per step, their mean loss weighted like the crops' (else a padded crop holds 4 of their
    blocks in 576 and tiny images barely count).

    on_validation(step, graph): called after each validation (e.g. tools/family_study.py's learning curves
    in real coded bits export and measure the graph there); it must leave the graph unchanged."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    small: list[list[Sample]] = []
    if small_batch > 0:
        tiny = [s for s in train_set if max(s[0].shape[1:]) <= crop // 3]
        large = [s for s in train_set if max(s[0].shape[1:]) > crop // 3]
        if tiny and large:
            small, train_set = shape_groups(tiny), large
    opt = torch.optim.Adam(graph.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(steps, 1), pct_start=0.1)
    hist = History()
    start = time.monotonic()
    for step in range(1, steps + 1):
        x, y, m = random_crops(train_set, rng, batch, crop)
        pred = graph(x)[output]
        loss = masked_mse(pred, y, m)
        batches = [(x, pred, y, m)]
        if small:
            sx, sy = whole_images(small, rng, small_batch)
            spred = graph(sx)[output]
            loss = 0.5 * (loss + ((spred - sy) ** 2).mean())
            batches.append((sx, spred, sy, torch.ones_like(sy[:, :1])))
        total = loss
        if adversary is not None:  # weighted like the rate loss: the mean over the batches
            total = loss + sum(adversary.generator_term(bx, bp, bm) for bx, bp, _, bm in batches) / len(batches)
        opt.zero_grad()
        total.backward()
        opt.step()
        sched.step()
        if adversary is not None:
            for bx, bp, by, bm in batches:
                adversary.update(bx, bp.detach(), by, bm)
        hist.steps.append(step)
        hist.train_loss.append(float(loss.detach()))
        if progress:
            progress(step, hist.train_loss[-1])
        last = step == steps or (seconds is not None and time.monotonic() - start > seconds)
        if val_set and (step % val_every == 0 or last):
            hist.val_steps.append(step)
            hist.val_loss.append(evaluate(graph, val_set, output))
            if checkpoint is not None:
                torch.save({"step": step, "model": graph.state_dict(), "opt": opt.state_dict(),
                            "spec": graph.spec}, checkpoint)
            if on_validation is not None:
                on_validation(step, graph)
        if last:
            break
    hist.seconds = time.monotonic() - start
    return hist
