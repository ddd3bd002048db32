"""The classic model's trained prior: the initial state of every adaptive context.

Starting every context at p = 1/2 costs a few bits per context before it has learnt anything; on a
32x32 image that is most of the coefficient bytes. The prior is the state the coder reaches after
coding a set of training photos (``data/photos-train``), with each context's observation count
capped at PRIOR_COUNT so that every image still adapts quickly to its own statistics.

Stored as ``classic_prior_v1.bin``: zlib of uint8 [2, n_contexts] (probability >> 8, count).
Build it with ``python -m mlzip.coder.prior OUT.bin JPEG_DIR...`` (reads JPEGs with jpeglib).
The file is part of format version 1: it never changes; a new prior is a new file and flag.
"""

import functools
import hashlib
import sys
import zlib
from pathlib import Path

import numpy as np

from mlzip.coder import rangecoder
from mlzip.errors import ModelError

PRIOR_FILE = Path(__file__).with_name("classic_prior_v1.bin")
PRIOR_SHA256 = "230e217bdc5349740a9d66f215867a8ce8519dec2ac7d9bb27fdedb8a7c7a191"
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
def _load(n_contexts: int) -> np.ndarray:
    try:
        data = PRIOR_FILE.read_bytes()
    except OSError as exc:
        raise ModelError(f"classic prior missing: {PRIOR_FILE}") from exc
    if PRIOR_SHA256 is not None and hashlib.sha256(data).hexdigest() != PRIOR_SHA256:
        raise ModelError("classic prior fails its sha256 check")
    return unpack(data, n_contexts)


def initial_model(n_contexts: int) -> np.ndarray:
    """A fresh copy of the prior state (the coder updates it in place)."""
    return _load(n_contexts).copy()


def build(out: Path, dirs: list[Path]) -> None:
    import jpeglib

    from mlzip.coder import api

    # directories in the order given (the last ones weigh most), files sorted within each
    files = [p for d in dirs for p in sorted(d.rglob("*")) if p.suffix.lower() in (".jpg", ".jpeg")]
    model = rangecoder.new_contexts(api.N_CONTEXTS)
    used = 0
    for path in files:
        try:
            im = jpeglib.read_dct(str(path))
        except Exception:  # noqa: BLE001 - unreadable training files are skipped
            continue
        planes = [im.Y] + ([im.Cb, im.Cr] if im.Cb is not None else [])
        coefs = [np.ascontiguousarray(p.reshape(p.shape[0], p.shape[1], 64), np.int16) for p in planes]
        qts = [im.qt[im.quant_tbl_no[i]].reshape(64) for i in range(len(coefs))]
        api.encode_coefficients(coefs, qts, [(1, 1)] * len(coefs), model=model)
        used += 1
    out.write_bytes(pack(model))
    print(f"{used} files, {out.stat().st_size} bytes, sha256 {hashlib.sha256(out.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    build(Path(sys.argv[1]), [Path(a) for a in sys.argv[2:]])
