"""Count a JPEG's quantized DCT coefficients, for bits-per-coefficient figures.

Prefers mlzip's own JPEG layer (``mlzip.jpeg.parse``) and falls back to jpeglib (libjpeg). Counting runs
in child processes whose stderr is silenced: libjpeg prints warnings for the awkward files a corpus is
meant to contain, and a native crash there must not take the bench down.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path


def counter_name() -> str | None:
    """Which library counts coefficients here, or None when neither is importable."""
    try:
        from mlzip.jpeg import parse  # noqa: F401

        return "mlzip.jpeg"
    except Exception:  # branch not merged yet, or broken: fall back
        pass
    try:
        import jpeglib  # noqa: F401

        return "jpeglib"
    except Exception:
        return None


def count_file(path: str) -> int | None:
    """Coefficients in one JPEG file (all components, 64 per block), None when it cannot be read."""
    try:
        if counter_name() == "mlzip.jpeg":
            from mlzip.jpeg import parse

            image = parse(Path(path).read_bytes())
            return int(sum(c.coefs.shape[0] * c.coefs.shape[1] * 64 for c in image.components))
        import jpeglib

        dct = jpeglib.read_dct(path)
        return int(sum(a.size for a in (dct.Y, dct.Cb, dct.Cr, dct.K) if a is not None))
    except Exception:
        return None


def _silence_stderr() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)


def count_files(paths: Sequence[str], jobs: int = 1) -> list[int | None]:
    """Coefficient counts for ``paths`` (None where unknown); all None without a counter."""
    if not paths or counter_name() is None:
        return [None] * len(paths)
    context = multiprocessing.get_context("spawn")
    counts: list[int | None] = [None] * len(paths)
    try:
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=max(1, jobs), mp_context=context, initializer=_silence_stderr
        ) as pool:
            for index, count in enumerate(pool.map(count_file, paths, chunksize=16)):
                counts[index] = count
    except BrokenProcessPool:
        pass  # a crash in the native reader: the counts not reached stay unknown
    return counts
