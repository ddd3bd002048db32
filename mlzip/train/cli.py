"""`mlzip train`: fit a block-grid hint predictor and export its frozen integer weights.

`train_main` is plain Python (the coordinator wires it into typer); torch is imported inside it so
the compress/decompress CLI never pays for it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mlzip.errors import MlzError

def train_main(*, family: str = "cnn", size: str = "s", data: Sequence[str | Path], out: str | Path,
               scheme: str = "dc", steps: int = 2000, minutes: float | None = None, seed: int = 0,
               val_fraction: float = 0.1, reencodes: int = 2, batch: int = 8, crop: int = 24,
               lr: float = 3e-3, threads: int = 1, checkpoint: str | Path | None = None,
               quiet: bool = False, adv_weight: float = 0.1) -> dict[str, Any]:
    """Train, validate, export. Writes OUT (integer weights, MLZNN format) and OUT.json (a manifest entry
    draft with the training command and validation figures); returns that entry.
    Families (mlzip.train.arch.FAMILIES): cnn; rnn (row GRU, full-map schemes only); gan (the cnn generator
    trained with `adv_weight` x an adversarial loss beside the rate loss, mlzip.train.gan)."""
    import torch
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from mlzip.train import data as D
    from mlzip.train.arch import FAMILIES, FULL_MAP_SCHEMES, SIZES, spec_for_scheme
    from mlzip.train.features import (FEATURE_FRAC, FEATURE_RANGE, N_TARGETS, SCHEMES, SIGN_THRESHOLDS, build_samples,
                                      fit_hint_thresholds)
    from mlzip.train.loop import train
    from mlzip.train.qat import QGraph

    if family not in FAMILIES:
        raise MlzError(f"unknown family {family!r} (have: {', '.join(FAMILIES)})")
    if size not in SIZES:
        raise MlzError(f"unknown size {size!r} (have: {', '.join(SIZES)})")
    if scheme not in SCHEMES:
        raise MlzError(f"unknown scheme {scheme!r} (have: {', '.join(SCHEMES)})")
    if family == "rnn" and scheme not in FULL_MAP_SCHEMES:
        raise MlzError(f"the rnn family needs a scheme with the whole input map ({', '.join(FULL_MAP_SCHEMES)})")
    torch.set_num_threads(threads)
    files = D.list_sources(data)
    train_files, val_files = D.split_sources(files, val_fraction, seed)
    if not train_files or not val_files:
        raise MlzError("training needs files on both sides of the validation split")
    rng = np.random.default_rng(seed)
    train_set = build_samples([c for _, c in D.iter_coefficients(train_files, rng, reencodes)], scheme)
    val_set = build_samples([c for _, c in D.iter_coefficients(val_files, np.random.default_rng(seed + 1))], scheme)
    if not train_set or not val_set:
        raise MlzError("no usable images in the training data")

    torch.manual_seed(seed)
    n_in = train_set[0][0].shape[0]
    graph = QGraph(spec_for_scheme(scheme, n_in, FEATURE_RANGE, N_TARGETS, size, FEATURE_FRAC, family))
    adversary = None
    if family == "gan":
        from mlzip.train.gan import AdversarialTerm

        adversary = AdversarialTerm(n_in, N_TARGETS, FEATURE_FRAC, adv_weight)
    columns = (TextColumn("[bold]train"), BarColumn(),
               TextColumn("{task.completed}/{task.total} loss {task.fields[loss]:.4f}"), TimeRemainingColumn())
    with Progress(*columns, disable=quiet, transient=True) as bar:
        task = bar.add_task("train", total=steps, loss=float("nan"))
        hist = train(graph, train_set, val_set, steps=steps, seconds=None if minutes is None else minutes * 60,
                     batch=batch, crop=crop, lr=lr, seed=seed, val_every=max(steps // 10, 1),
                     checkpoint=None if checkpoint is None else Path(checkpoint),
                     progress=lambda s, loss: bar.update(task, completed=s, loss=loss), adversary=adversary)

    model = graph.export()
    # the context-hint buckets are part of the frozen model: per-position quantiles of its own predictions
    preds = [model.forward(x[None])["head"][0] for x, _ in train_set[:: max(1, len(train_set) // 200)]]
    model.tensors["hint.thresholds"] = fit_hint_thresholds(preds)
    model.tensors["hint.sign_thresholds"] = SIGN_THRESHOLDS.astype(np.int32)
    blob = model.to_bytes()
    out = Path(out)
    out.write_bytes(blob)
    entry = {
        "name": f"{family}-{size}-vN",
        "family": family,
        "size": size,
        "file": out.name,
        "sha256": hashlib.sha256(blob).hexdigest(),
        "architecture": {"kind": family, "scheme": scheme, "target": "ac_bitlen+sign", **SIZES[size],
                         "inputs": n_in, **({"adversarial_weight": adv_weight} if adversary else {})},
        "params": model.params,
        "training": {"data": [str(d) for d in data], "seed": seed, "steps": hist.steps[-1], "batch": batch,
                     "crop": crop, "lr": lr, "reencodes": reencodes, "val_fraction": val_fraction,
                     "seconds": round(hist.seconds, 1),
                     "command": f"mlzip train --family {family} --size {size} --scheme {scheme} --steps {steps} "
                                + (f"--adv-weight {adv_weight} " if adversary else "")
                                + f"--seed {seed} " + " ".join(f"--data {d}" for d in data) + f" --out {out.name}"},
        "measured": {"val_mse": hist.val_loss[-1] if hist.val_loss else None,
                     "val_curve": [[s, round(v, 5)] for s, v in zip(hist.val_steps, hist.val_loss)],
                     "train_loss_first": hist.train_loss[0], "train_loss_last": hist.train_loss[-1],
                     **({"adv_loss_first": adversary.gen_loss[0], "adv_loss_last": adversary.gen_loss[-1]}
                        if adversary else {})},
    }
    out.with_suffix(out.suffix + ".json").write_text(json.dumps(entry, indent=1))
    return entry
