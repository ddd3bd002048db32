"""`mlzip train`: the typer face of mlzip.train.cli.train_main (torch is imported only when it runs)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from mlzip.errors import MlzError


def train(
    family: Annotated[str, typer.Option("--family", help="Model family: cnn, rnn (row GRU) or gan (CNN generator with an adversarial term).")] = "cnn",
    size: Annotated[str, typer.Option("--size", help="Network size: xs, s, m, l.")] = "s",
    data: Annotated[Optional[list[Path]], typer.Option("--data", metavar="DIR", help="Training data: JPEG/PNG files under DIR (repeatable; a fixed validation part of each is kept out).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", metavar="FILE", help="Where to write the model (MLZNN); FILE.json gets a manifest entry draft.")] = None,
    scheme: Annotated[str, typer.Option("--scheme", help="Pass scheme: luma (chroma hinted from decoded luma; the one the coder uses) or a study scheme.")] = "luma",
    steps: Annotated[int, typer.Option("--steps", min=1, help="Training steps.")] = 2000,
    minutes: Annotated[Optional[float], typer.Option("--minutes", min=0.01, help="Stop after this many minutes.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for initialisation and data order.")] = 0,
    max_files: Annotated[Optional[int], typer.Option("--max-files", min=1, help="At most N training files per --data dir (seeded choice).")] = None,
    max_val: Annotated[int, typer.Option("--max-val", min=1, help="At most N validation files per --data dir.")] = 300,
    reencodes: Annotated[int, typer.Option("--reencodes", min=0, help="Random JPEG re-encodings of each PNG.")] = 2,
    jpeg_reencodes: Annotated[int, typer.Option("--jpeg-reencodes", min=0, help="Extra random re-encodings of each JPEG's pixels.")] = 0,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Crops per training step.")] = 8,
    crop: Annotated[int, typer.Option("--crop", min=4, help="Crop side in blocks.")] = 24,
    small_batch: Annotated[int, typer.Option("--small-batch", min=0, help="Whole tiny (CIFAR-sized) images per step, trained apart (0: off).")] = 32,
    lr: Annotated[float, typer.Option("--lr", min=0.0, help="Peak learning rate (one-cycle schedule).")] = 3e-3,
    val_fraction: Annotated[float, typer.Option("--val-fraction", min=0.0, max=0.9, help="Validation share of non-CIFAR files (stable hash of the name).")] = 0.1,
    threads: Annotated[int, typer.Option("--threads", "-T", min=1, help="Torch threads.")] = 1,
    checkpoint: Annotated[Optional[Path], typer.Option("--checkpoint", metavar="FILE", help="Save training state here at each validation.")] = None,
    adv_weight: Annotated[Optional[float], typer.Option("--adv-weight", min=0.0, help="gan: weight of the adversarial loss beside the rate loss (default: the shipped models' 0.03).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Train a learned predictor and export its frozen integer weights (needs torch: the train extra)."""
    if not data or out is None:
        _fail("train", "--data and --out are required", 2)
    try:
        import torch  # noqa: F401
    except ImportError:
        _fail("train", "torch is missing: install mlzip[train]", 1)
    from mlzip.train.cli import train_main

    try:
        entry = train_main(family=family, size=size, data=data, out=out, scheme=scheme, steps=steps, minutes=minutes,
                           seed=seed, max_files=max_files, max_val=max_val, reencodes=reencodes,
                           jpeg_reencodes=jpeg_reencodes, batch=batch, crop=crop, small_batch=small_batch, lr=lr,
                           val_fraction=val_fraction, threads=threads, checkpoint=checkpoint, quiet=quiet,
                           adv_weight=adv_weight)
    except MlzError as exc:
        _fail(str(out), str(exc), 1)
    except OSError as exc:
        _fail(str(out), exc.strerror or str(exc), 1)
    measured = entry["measured"]
    line = f"{out}: {entry['params']} parameters, {entry['training']['steps']} steps"
    for name, fig in measured.get("real_bits", {}).items():
        line += f", {name} {fig['saving']:+.2%}"
    print(line, file=sys.stderr)


def _fail(where: str, reason: str, code: int) -> None:
    print(f"mlzip: {where}: {reason}", file=sys.stderr)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("train")(train)
