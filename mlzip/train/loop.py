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
          adversary: Adversary | None = None) -> History:
    """Train in place for `steps` steps (or until `seconds` pass). Seeded: same data order, same init.
    `train_loss` records the rate loss (masked MSE) alone, also when an adversary adds its term."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(graph.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(steps, 1), pct_start=0.1)
    hist = History()
    start = time.monotonic()
    for step in range(1, steps + 1):
        x, y, m = random_crops(train_set, rng, batch, crop)
        pred = graph(x)[output]
        loss = masked_mse(pred, y, m)
        total = loss if adversary is None else loss + adversary.generator_term(x, pred, m)
        opt.zero_grad()
        total.backward()
        opt.step()
        sched.step()
        if adversary is not None:
            adversary.update(x, pred.detach(), y, m)
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
        if last:
            break
    hist.seconds = time.monotonic() - start
    return hist
