"""Compiled loops of the hint runtime (numba, cache=True): integer only, one pass each, no temporaries."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def plane_inputs(comp, zigzag, bitlen_table, gain, dc_step, lo, hi):
    """comp int16 [by, bx, 64] -> int16 [65, by, bx]: gain x bit length of |coefficient| per zigzag slot,
    then the dequantized DC / 8 clipped to [lo, hi] (the caller keeps both within int16)."""
    by, bx = comp.shape[0], comp.shape[1]
    out = np.empty((65, by, bx), np.int16)
    for y in range(by):
        for x in range(bx):
            for s in range(64):
                out[s, y, x] = bitlen_table[abs(np.int32(comp[y, x, zigzag[s]]))] * gain
            out[64, y, x] = min(max((np.int64(comp[y, x, 0]) * dc_step) >> 3, lo), hi)
    return out


@njit(cache=True)
def bucketize(codes, thresholds, zigzag, out):
    """codes int64 [64, h, w] (zigzag slots), thresholds int64 [64, n] ascending -> out uint8 [h, w, 64]
    (natural order): the number of a slot's thresholds its code exceeds."""
    n = thresholds.shape[1]
    for s in range(64):
        k = zigzag[s]
        for y in range(codes.shape[1]):
            for x in range(codes.shape[2]):
                v = codes[s, y, x]
                b = 0
                while b < n and v > thresholds[s, b]:
                    b += 1
                out[y, x, k] = b
