"""The classic model's trained prior: the initial state of every adaptive context.

Starting every context at p = 1/2 costs a few bits per context before it has learnt anything; on a
32x32 image that is most of the coefficient bytes. The prior is the state the coder reaches after
coding a set of training photos (``data/photos-train``), with each context's observation count
capped at PRIOR_COUNT so that every image still adapts quickly to its own statistics.

Stored as ``classic_prior_v1.bin`` (the classic model) and ``strong_prior_v1.bin`` (the strong
models' layout, ``api.N_CONTEXTS_STRONG``): zlib of uint8 [2, n_contexts] (probability >> 8, count).
Build one with ``python -m mlzip.coder.prior [--strong] [--stem-below N] OUT.bin JPEG_DIR...``
(reads JPEGs with jpeglib; ``--stem-below`` skips files named by a number >= N, to keep a
validation part of numbered data sets out). The strong prior was built with::

    python -m mlzip.coder.prior --strong --stem-below 4500 strong_prior_v1.bin \
        ../shared/data/photos-train/jpeg ../shared/data/cifar10-jpeg/train

A file never changes once shipped; a new prior is a new file and flag.
"""

import functools
import hashlib
import sys
import zlib
from pathlib import Path

import numpy as np

from mlzip.coder import rangecoder
from mlzip.errors import ModelError

PRIOR_DIR = Path(__file__).parent
CLASSIC = "classic_prior_v1.bin"
STRONG = "strong_prior_v1.bin"
SHA256 = {
    CLASSIC: "230e217bdc5349740a9d66f215867a8ce8519dec2ac7d9bb27fdedb8a7c7a191",
    STRONG: "f560c1157ce5e99c0f6899a13f47639a33654fa22f472d1a453b9c9402fbc791",
}
PRIOR_COUNT = 6  # the prior weighs as much as this many observations of the image itself


def pack(model: np.ndarray) -> bytes:
    p = (model >> 8) & 0xFFFF
    n = model & 0xFF
    return zlib.compress(np.stack([(p >> 8).astype(np.uint8), np.minimum(n, 255).astype(np.uint8)]).tobytes(), 9)


def unpack(data: bytes, n_contexts: int) -> np.ndarray:
    raw = np.frombuffer(zlib.decompress(data), np.uint8)
    if raw.size != 2 * n_contexts:
        raise ModelError("classic prior does not match the model's context layout")
    p8, n = raw[:n_contexts].astype(np.int32), raw[n_contexts:].astype(np.int32)
    p = np.clip((p8 << 8) | 0x80, rangecoder.PROB_MIN, rangecoder.PROB_MAX)
    model = np.full(n_contexts, (rangecoder.PROB_ONE // 2) << 8, np.int32)
    seen = n > 0
    model[seen] = (p[seen] << 8) | np.minimum(n[seen], PRIOR_COUNT)
    return model


@functools.cache
def _load(n_contexts: int, name: str) -> np.ndarray:
    path = PRIOR_DIR / name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"classic prior missing: {path}") from exc
    if SHA256[name] is not None and hashlib.sha256(data).hexdigest() != SHA256[name]:
        raise ModelError(f"classic prior {name} fails its sha256 check")
    model = unpack(data, n_contexts)
    model.setflags(write=False)
    return model


def initial_model(n_contexts: int, name: str = CLASSIC) -> np.ndarray:
    """The prior state, loaded once (read only: the coder works on copies)."""
    return _load(n_contexts, name)


def _numbered_at_least(path: Path, limit: int | None) -> bool:
    return limit is not None and path.stem.isdigit() and int(path.stem) >= limit


def build(out: Path, dirs: list[Path], strength: int = 0, stem_below: int | None = None) -> None:
    import jpeglib

    from mlzip.coder import api

    # directories in the order given (the last ones weigh most), files sorted within each
    files = [p for d in dirs for p in sorted(d.rglob("*"))
             if p.suffix.lower() in (".jpg", ".jpeg") and not _numbered_at_least(p, stem_below)]
    model = rangecoder.new_contexts(api.N_CONTEXTS_STRONG if strength else api.N_CONTEXTS)
    used = 0
    for path in files:
        try:
            im = jpeglib.read_dct(str(path))
        except Exception:  # noqa: BLE001 - unreadable training files are skipped
            continue
        planes = [im.Y] + ([im.Cb, im.Cr] if im.Cb is not None else [])
        coefs = [np.ascontiguousarray(p.reshape(p.shape[0], p.shape[1], 64), np.int16) for p in planes]
        qts = [im.qt[im.quant_tbl_no[i]].reshape(64) for i in range(len(coefs))]
        api.encode_coefficients(coefs, qts, [(1, 1)] * len(coefs), model=model, strength=strength)
        used += 1
    out.write_bytes(pack(model))
    print(f"{used} files, {out.stat().st_size} bytes, sha256 {hashlib.sha256(out.read_bytes()).hexdigest()}")


def main(argv: list[str]) -> None:
    import argparse

    from mlzip.coder import classic

    ap = argparse.ArgumentParser(prog="python -m mlzip.coder.prior")
    ap.add_argument("--strong", action="store_true", help="the strong models' layout")
    ap.add_argument("--stem-below", type=int, help="skip files named by a number >= this")
    ap.add_argument("out", type=Path)
    ap.add_argument("dirs", type=Path, nargs="+")
    args = ap.parse_args(argv)
    # STRONGEST visits every context of the strong layout (STRONG codes a subset of them)
    build(args.out, args.dirs, classic.STRONGEST if args.strong else 0, args.stem_below)


if __name__ == "__main__":
    main(sys.argv[1:])
