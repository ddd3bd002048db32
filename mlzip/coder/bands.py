"""Horizontal bands of MCU rows: the unit that coefficient format version 2 codes in parallel.

A band is a run of MCU rows ``[start_k, start_k+1)``; in component ``i`` (vertical sampling
``v_i``) it covers the block rows ``[start_k * v_i, start_k+1 * v_i)``, cut to the plane, and the
last band takes whatever is left (planes whose block counts are not exactly proportional included).
Each band has its own range coder, its own copy of the initial contexts, its own output stream,
and sees no block above its first row, so bands are independent: different threads may code them
at once (``classic.code_plane`` releases the GIL) and the bytes never depend on the thread count.

The encoder chooses the band starts (from the image alone, see :func:`choose`) and writes them
in the blob, so the decoder never repeats the choice and the rule may change without a new format.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

from mlzip import varint
from mlzip.errors import CorruptMember

JIT_SOURCES_SHA256 = "d33b6029615212926dfeb088c80211151adfda6fd4b6c67e895090285d30fa59"  # tools/stamp_jit.py

# Images of fewer blocks (all components) are one band: each extra band costs bytes (its
# contexts learn from its own rows only, from the prior on; its first row has no neighbours above),
# measured 0.2-0.4 % of the output per extra band on 1-3 MB photos, 1.1 % on a 1.1 M-block image
# that codes to 133 kB. Two bands keep two cores busy (``choose`` balances them); more only from
# FOUR_BANDS_BLOCKS on (about 45 MP at 4:2:0), where they help machines with more cores.
# 8192 blocks (about 0.36 MP at 4:2:0) at every banded level since session 12: typical 1 MP photos
# (photos-train, 150 files, mostly 1024x768) were one band at the default level, on one core
# while lepton_jpeg uses two, and decompressed at x0.29 of its speed (target 1/3). Two bands there
# cost 0.21 % of the level-6 coefficient bytes (0.155 points of savings; dev corpus 0.065 points).
# From 32768 blocks (the rule before) the bytes of every larger image are unchanged.
# 4096 blocks (about 0.18 MP at 4:2:0; a 640x480 photo has 7200) since session 15: the 24
# photos-train photos of 4096-8191 blocks coded in two bands 0.55 % (level 1) and 0.68 % (level 6)
# larger, and 1.45x faster at level 1, 1.5x / 1.37x (encode / decode) at level 6, on two threads
# (0.04 % more bytes over all 150 photos); from 2048 blocks, level 1 was no faster on them.
MIN_BANDED_BLOCKS = 1 << 12
FOUR_BANDS_BLOCKS = 1 << 21
MAX_BANDS = 16
THREADS_ENV = "MLZIP_THREADS"


def _v(sampling: Sequence[tuple[int, int]], i: int) -> int:
    return max(int(sampling[i][1]), 1)


def mcu_rows(shapes: Sequence[tuple[int, int]], sampling: Sequence[tuple[int, int]]) -> int:
    return max((-(-by // _v(sampling, i)) for i, (by, _) in enumerate(shapes)), default=0)


def band_count(total_blocks: int) -> int:
    """1 below MIN_BANDED_BLOCKS, 2 below FOUR_BANDS_BLOCKS, then twice as many per 4-fold size."""
    if total_blocks < MIN_BANDED_BLOCKS:
        return 1
    n, need = 2, FOUR_BANDS_BLOCKS
    while n < MAX_BANDS and total_blocks >= need:
        n, need = 2 * n, 4 * need
    return n


def choose(planes: Sequence[np.ndarray], sampling: Sequence[tuple[int, int]]) -> list[int]:
    """First MCU row of each band, for an image (the encoder's choice, written in the blob);
    images of fewer than MIN_BANDED_BLOCKS blocks are one band.

    Bands get equal work, estimated as blocks + non-zero coefficients (coding time is about
    0.1 us for each, measured), so that threads finish together on top-heavy photos too.
    """
    shapes = [p.shape[:2] for p in planes]
    n = band_count(sum(by * bx for by, bx in shapes))
    if n < 2:  # most images: no need to count MCU rows
        return [0]
    m = mcu_rows(shapes, sampling)
    n = min(n, m)
    if n < 2:
        return [0]
    work = np.zeros(m, np.int64)
    for i, p in enumerate(planes):
        if p.size:
            _add_row_work(p.reshape(p.shape[0], -1), _v(sampling, i), work)
    cum = np.cumsum(work)
    starts = [0]
    for k in range(1, n):
        row = int(np.searchsorted(cum, cum[-1] * k // n, side="right"))
        starts.append(min(max(row, starts[-1] + 1), m - (n - k)))
    return starts


@njit(cache=True, nogil=True)
def _add_row_work(rows, v, work):
    """work[y // v] += the blocks and non-zero coefficients of block row y (numpy's count along an axis
    and add.at took 1 ms of a 1 MP photo's level-1 encode, 5 % of it)."""
    blocks = rows.shape[1] // 64
    for y in range(rows.shape[0]):
        n = 0
        for x in range(rows.shape[1]):
            n += rows[y, x] != 0
        work[y // v] += blocks + n


def bounds(shapes: Sequence[tuple[int, int]], sampling: Sequence[tuple[int, int]],
           starts: Sequence[int]) -> list[list[tuple[int, int]]]:
    """``[band][component] -> (first block row, end block row)``; the last band takes the rest."""
    if len(starts) == 1:
        return [[(0, by) for by, _ in shapes]]
    out = []
    for k, start in enumerate(starts):
        last = k == len(starts) - 1
        per_comp = []
        for i, (by, _) in enumerate(shapes):
            v = _v(sampling, i)
            per_comp.append((min(start * v, by), by if last else min(starts[k + 1] * v, by)))
        out.append(per_comp)
    return out


def pack(starts: Sequence[int]) -> bytes:
    """Band fields: the number of extra bands, then each extra band's start after the previous one."""
    return varint.encode(len(starts) - 1) + b"".join(varint.encode(b - a) for a, b in zip(starts, starts[1:]))


def unpack(blob: bytes, pos: int, n_mcu_rows: int) -> tuple[list[int], int]:
    """(starts, position after the band fields); checks that every band has rows."""
    extra, pos = varint.decode(blob, pos, "coefficient bands")
    if not 1 <= extra < max(n_mcu_rows, 1):
        raise CorruptMember("coefficient stream has a damaged band count")
    starts = [0]
    for _ in range(extra):
        step, pos = varint.decode(blob, pos, "coefficient bands")
        starts.append(starts[-1] + step)
        if step < 1 or starts[-1] >= n_mcu_rows:
            raise CorruptMember("coefficient stream has a damaged band start")
    return starts, pos


def thread_count(threads: int | None, n_bands: int) -> int:
    """``threads``, else $MLZIP_THREADS, else the usable CPUs; never more than the bands."""
    if threads is None and n_bands <= 1:
        return 1  # whatever $MLZIP_THREADS says (reading it was 2 % of a 1 KB file's compress)
    if threads is None:
        try:
            threads = int(os.environ.get(THREADS_ENV, ""))
        except ValueError:  # unset or not a number: the machine decides
            threads = _usable_cpus()
    if threads < 1:
        raise ValueError(f"threads must be at least 1, not {threads}")
    return min(threads, max(n_bands, 1))


def _usable_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run(pool: ThreadPoolExecutor | None, task: Callable[[int], object], n_bands: int) -> None:
    """``task(k)`` for every band, on the pool when there is one; the first error is raised."""
    if pool is None:
        for k in range(n_bands):
            task(k)
        return
    futures = [pool.submit(task, k) for k in range(n_bands)]
    try:
        for future in futures:
            future.result()
    except BaseException:  # an error or Ctrl-C: bands not started yet are not started at all
        for future in futures:
            future.cancel()
        raise
