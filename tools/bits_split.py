"""Where the bits go, per model: bits per coefficient split into DC / low AC / high AC / headers.

The coder measures its own code length per part of each block (``encode_coefficients(stats=...)``:
high AC = the 7x7 coefficients with their non-zero count, low AC = the first row and column with
theirs, DC = the DC residual); headers are coded by mlzip.header. Every part is divided by the number
of all coefficients, so the four add up to the total bits per coefficient. Same evaluation sets as
tools/family_study.py (validation photos, CIFAR-10 validation JPEGs, optionally a corpus).

  python tools/bits_split.py models/cnn-xs-v1.mlznn ... --photos .../photos-train \
      --cifar .../cifar10-jpeg/train --cifar-per-class 30 [--corpus .../corpus/dev] --out study/bits_split.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import family_study as fs  # noqa: E402
from mlzip.coder import encode_coefficients  # noqa: E402

PARTS = ("dc", "low_ac", "high_ac")


def split(images: Sequence[fs.EvalImage], model: Any | None) -> dict[str, float]:
    """Bits per coefficient of each part over a set (one thread; hints as mlzip computes them)."""
    bits = dict.fromkeys(PARTS, 0.0)
    for img in images:
        c = img.coefs
        shapes = [p.shape[:2] for p in c.components]
        hint_fn = None if model is None else model.hint_fn(shapes, c.qtables, c.sampling)
        stats: dict[str, float] = {}
        encode_coefficients(c.components, c.qtables, c.sampling, hint_fn=hint_fn, threads=1, stats=stats)
        for part in PARTS:
            bits[part] += stats[part]
    n = sum(i.coefs.n_coefficients for i in images)
    out = {part: round(bits[part] / n, 4) for part in PARTS}
    out["headers"] = round(8 * sum(fs.header_bytes(i.jpeg) for i in images) / n, 4)
    out["total"] = round(sum(out[p] for p in (*PARTS, "headers")), 4)
    return out


def table(result: dict[str, Any]) -> str:
    lines = ["| model | set | DC | low AC | high AC | headers | total |", "|---|---|---|---|---|---|---|"]
    for set_name, arms in result.items():
        for name, f in arms.items():
            lines.append(f"| {name} | {set_name} | {f['dc']} | {f['low_ac']} | {f['high_ac']} | {f['headers']} "
                         f"| {f['total']} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", type=Path, nargs="*", help="model files (MLZNN); classic is always measured")
    ap.add_argument("--photos", type=Path, action="append", default=[])
    ap.add_argument("--cifar", type=Path)
    ap.add_argument("--cifar-per-class", type=int, default=30)
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    sets: dict[str, list[fs.EvalImage]] = {}
    if args.photos:
        sets["photos-val"] = fs.photo_set(args.photos)
    if args.cifar:
        sets["cifar-val"] = fs.cifar_set(args.cifar, args.cifar_per_class)
    if args.corpus:
        sets["dev"] = fs.corpus_set(args.corpus)
    arms: dict[str, Any | None] = {"classic": None}
    for p in args.models:
        arms[p.stem] = fs.load_model(p)[0]
    result = {s: {name: split(images, model) for name, model in arms.items()} for s, images in sets.items()}
    print(table(result))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
