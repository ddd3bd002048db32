"""Compiled integer kernels of the numpy runtime (numba, cache=True): single-threaded and exact.

A dense convolution as a BLAS matmul spends more CPU in OpenBLAS's threads than in arithmetic on the
small matrices of a block-grid network (measured: 3x the CPU on a shared 2-core machine), and most
inputs are zero (bit lengths of high frequencies, absent planes): this loop skips them.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def conv_taps(flat: np.ndarray, wt: np.ndarray, rows: int, stride: int) -> np.ndarray:
    """flat: int64 [L, C] (a zero-padded image, channels last, rows of `stride` pixels, flattened);
    wt: int64 [k, k, C, O]. Returns int64 [rows * stride, O]: out[p] = sum over taps (dy, dx) of
    flat[p + dy * stride + dx] @ wt[dy, dx]."""
    k, _, c_in, c_out = wt.shape
    n = rows * stride
    out = np.zeros((n, c_out), np.int64)
    for dy in range(k):
        for dx in range(k):
            off = dy * stride + dx
            for p in range(n):
                src = flat[p + off]
                dst = out[p]
                for c in range(c_in):
                    v = src[c]
                    if v != 0:
                        for o in range(c_out):
                            dst[o] += v * wt[dy, dx, c, o]
    return out
