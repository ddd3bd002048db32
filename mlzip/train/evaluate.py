"""Evaluation in real coded bits: a hint model's coefficient streams from the actual coder, against
the classic predictor on the same images (the only figure that decides whether a model ships).

    sizes = coded_sizes(images, {"classic": None, "cnn": hint_model})
    report = compare(sizes, "classic", "cnn")

`images` are mlzip.train.data.Coefs; `hint_model` anything with `all_hints(planes, qtables, sampling)`
(mlzip.learned.HintModel, or another family's model with the same method). Sizes are the bytes of
mlzip.coder's blobs (headers and layout are the same for every arm, so they are left out).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from mlzip.train.data import Coefs


def coded_bytes(coefs: Coefs, model: Any | None) -> int:
    """Bytes of the coefficient blob for one image; model None = classic buckets everywhere."""
    from mlzip.coder import encode_coefficients

    hints = None if model is None else model.all_hints(coefs.components, coefs.qtables, coefs.sampling)
    if hints is not None and all(h is None for h in hints):
        hints = None
    return len(encode_coefficients(coefs.components, coefs.qtables, coefs.sampling, hints=hints))


def luma_bytes(coefs: Coefs) -> int:
    """Bytes of the first plane coded alone: what no chroma hint can change (about one flush byte off)."""
    from mlzip.coder import encode_coefficients

    return len(encode_coefficients(coefs.components[:1], coefs.qtables[:1], coefs.sampling[:1]))


def coded_sizes(images: Sequence[Coefs], arms: Mapping[str, Any | None], with_luma: bool = True) -> dict[str, float]:
    """Total blob bytes per arm (plus "luma": the first planes alone, and "seconds:<arm>": CPU time)."""
    out: dict[str, float] = {name: 0 for name in arms}
    if with_luma:
        out["luma"] = sum(luma_bytes(c) for c in images)
    for name, model in arms.items():
        t0 = time.process_time()
        out[name] = sum(coded_bytes(c, model) for c in images)
        out[f"seconds:{name}"] = round(time.process_time() - t0, 2)
    out["images"] = len(images)
    out["coefficients"] = sum(c.n_coefficients for c in images)
    return out


def compare(sizes: Mapping[str, float], base: str, arm: str) -> dict[str, float]:
    """Savings of `arm` against `base`: on all coefficient bytes and on the hintable (non-first-plane) part."""
    total, new = sizes[base], sizes[arm]
    rest = total - sizes.get("luma", 0)
    return {
        "bytes_" + base: int(total),
        "bytes_" + arm: int(new),
        "saving": round(1 - new / total, 5) if total else 0.0,
        "saving_chroma": round((total - new) / rest, 5) if rest else 0.0,
        "bits_per_coef": round(8 * new / max(sizes.get("coefficients", 1), 1), 4),
    }
