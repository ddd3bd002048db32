"""Constant tables of the classic model: scan orders, integer DCT basis, context buckets."""

import numpy as np

# natural index (8*row + col) of each zigzag position
ZIGZAG = np.array([
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63], np.int64)

# the 49 coefficients with row >= 1 and col >= 1 ("7x7"), in zigzag order
ZIGZAG_7X7 = np.array([k for k in ZIGZAG if k >= 8 and k % 8 != 0], np.int64)

# ICOS[x, u] = round(4096 * alpha(u) * cos((2x + 1) u pi / 16)): the orthonormal 1-D IDCT basis,
# written out as integers so that every machine computes the same predictions.
ICOS = np.array([
    [1448, 2009, 1892, 1703, 1448, 1138, 784, 400],
    [1448, 1703, 784, -400, -1448, -2009, -1892, -1138],
    [1448, 1138, -784, -2009, -1448, 400, 1892, 1703],
    [1448, 400, -1892, -1138, 1448, 1703, -784, -2009],
    [1448, -400, -1892, 1138, 1448, -1703, -784, 2009],
    [1448, -1138, -784, 2009, -1448, -400, 1892, -1703],
    [1448, -1703, 784, 400, -1448, 2009, -1892, 1138],
    [1448, -2009, 1892, -1703, 1448, -1138, 784, -400]], np.int64)


def _bucketize(n: int, edges: list[int]) -> np.ndarray:
    """table[i] = number of edges <= i, for i in 0..n-1."""
    return np.searchsorted(np.array(edges), np.arange(n), side="right").astype(np.int64)


# neighbours' average 7x7 non-zero count (0..49) -> 10 buckets
NZ_AVG_BUCKET = _bucketize(50, [1, 2, 3, 4, 6, 8, 11, 16, 24])
# non-zeros still to code in the 7x7 (0..63 on corrupt input) -> 10 buckets
NZ_LEFT_BUCKET = _bucketize(64, [2, 3, 4, 5, 7, 9, 12, 17, 25])
# 7x7 non-zero count -> 4 coarse buckets for the edge contexts
NZ_COARSE_BUCKET = _bucketize(64, [1, 4, 11])
# luma guide's average 7x7 non-zero count -> 4 buckets
GUIDE_BUCKET = _bucketize(50, [1, 3, 8])
# neighbours' average non-zero count of an edge (0..7) -> 5 buckets
EDGE_NZ_BUCKET = _bucketize(8, [1, 2, 3, 5])
