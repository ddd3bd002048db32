"""Block grids and the order in which a scan visits blocks, as flat offsets into one int16 buffer."""

from __future__ import annotations

import numpy as np

from mlzip.jpeg.segments import Frame, Scan


def component_bases(frame: Frame) -> tuple[list[int], list[tuple[int, int]], int]:
    """Start offset (in coefficients) of each component in the flat buffer, grids, total size."""
    bases, grids, total = [], [], 0
    for ci in range(len(frame.components)):
        grid = frame.grid(ci)
        bases.append(total)
        grids.append(grid)
        total += grid[0] * grid[1] * 64
    return bases, grids, total


def scan_order(frame: Frame, scan: Scan, bases: list[int], grids: list[tuple[int, int]]):
    """(block_off int64[n_mcu * bpm], block_slot int64[bpm], bpm, n_mcu) for the scan kernels."""
    if len(scan.comps) == 1:
        ci = scan.comps[0]
        rows, cols = frame.coded_blocks(ci)
        grid_cols = grids[ci][1]
        y = np.arange(rows, dtype=np.int64)[:, None]
        x = np.arange(cols, dtype=np.int64)[None, :]
        off = (bases[ci] + (y * grid_cols + x) * 64).reshape(-1)
        return off, np.zeros(1, np.int64), 1, rows * cols
    mcu_rows, mcu_cols = frame.mcus
    pattern, pattern_row, pattern_col, slots = [], [], [], []
    for slot, ci in enumerate(scan.comps):
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
