"""Block grids and the order in which a scan visits blocks, as flat offsets into one int16 buffer."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from mlzip.jpeg.segments import Frame, FrameComponent, Scan

# Orders of frames up to this many MCUs are kept for the next file of the same geometry (small
# files come in sets, and building a 32x32 image's order costs about as much as decoding its scan).
_CACHED_MCUS = 1024  # at most 10 blocks each: under 100 KB of offsets per entry


def component_bases(frame: Frame) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...], int]:
    """Start offset (in coefficients) of each component in the flat buffer, grids, total size."""
    return _bases(frame.width, frame.height, frame.sampling)  # asked several times per scan


@lru_cache(maxsize=64)
def _bases(width: int, height: int, sampling: tuple[tuple[int, int], ...]):
    frame = _frame(width, height, sampling)
    bases, grids, total = [], [], 0
    for ci in range(len(frame.components)):
        grid = frame.grid(ci)
        bases.append(total)
        grids.append(grid)
        total += grid[0] * grid[1] * 64
    return tuple(bases), tuple(grids), total


def _frame(width: int, height: int, sampling: tuple[tuple[int, int], ...]) -> Frame:
    """A frame with the geometry of any frame of this size and these sampling factors."""
    return Frame(0xC0, 8, height, width, [FrameComponent(i, h, v, 0) for i, (h, v) in enumerate(sampling)])


def scan_order(frame: Frame, scan: Scan, bases, grids):
    """(block_off int64[n_mcu * bpm], block_slot int64[bpm], bpm, n_mcu) for the scan kernels.
    The arrays of a small frame are shared with later calls: the kernels only read them."""
    mcu_rows, mcu_cols = frame.mcus
    if mcu_rows * mcu_cols > _CACHED_MCUS:
        return _scan_order(frame, tuple(scan.comps), bases, grids)
    return _small_order(frame.width, frame.height, frame.sampling, tuple(scan.comps))


@lru_cache(maxsize=32)
def _small_order(width: int, height: int, sampling: tuple[tuple[int, int], ...], comps: tuple[int, ...]):
    """The order from all it depends on (the frame's size and sampling factors, the scan's components)."""
    frame = _frame(width, height, sampling)
    bases, grids, _ = component_bases(frame)
    return _scan_order(frame, comps, bases, grids)


def _scan_order(frame: Frame, comps: tuple[int, ...], bases, grids):
    if len(comps) == 1:
        ci = comps[0]
        rows, cols = frame.coded_blocks(ci)
        grid_cols = grids[ci][1]
        y = np.arange(rows, dtype=np.int64)[:, None]
        x = np.arange(cols, dtype=np.int64)[None, :]
        off = (bases[ci] + (y * grid_cols + x) * 64).reshape(-1)
        return off, np.zeros(1, np.int64), 1, rows * cols
    mcu_rows, mcu_cols = frame.mcus
    pattern, pattern_row, pattern_col, slots = [], [], [], []
    for slot, ci in enumerate(comps):
        c = frame.components[ci]
        grid_cols = grids[ci][1]
        for yy in range(c.v):
            for xx in range(c.h):
                pattern.append(bases[ci] + (yy * grid_cols + xx) * 64)
                pattern_row.append(c.v * grid_cols * 64)  # offset step per MCU row
                pattern_col.append(c.h * 64)  # offset step per MCU column
                slots.append(slot)
    my = np.arange(mcu_rows, dtype=np.int64)[:, None, None]
    mx = np.arange(mcu_cols, dtype=np.int64)[None, :, None]
    off = (np.array(pattern, np.int64) + my * np.array(pattern_row, np.int64)
           + mx * np.array(pattern_col, np.int64))
    return off.reshape(-1), np.array(slots, np.int64), len(slots), mcu_rows * mcu_cols
