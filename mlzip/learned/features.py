"""Inputs of the "luma" hint scheme, computed from planes the decoder already has (integer numpy).

Pass order of the coder: luma first (classic buckets), then each chroma plane with hints from a network
that sees the fully decoded luma, the chroma plane decoded just before (Cb, when hinting Cr) and the
quantization tables. Nothing of the hinted plane itself is an input: the coder decodes a plane in one
go, so none of it exists when its hints are computed. Every value is an integer code with FEATURE_FRAC
fractional bits in FEATURE_RANGE, identical for training (mlzip.train) and the runtime.

Channels (order fixed by model version; a change means a new scheme name):
    0..63    bit lengths of the luma coefficients (zigzag order) averaged over the luma blocks under
             each block, x BITLEN_GAIN
    64       luma DC (dequantized / 8) averaged the same way
    65..128  bit lengths of the previous chroma plane (zeros for the first chroma plane)
    129      previous chroma plane's DC (dequantized / 8)
    130..132 log2 of this plane's quantizer steps (DC, low AC, high AC), x8
    133      log2 of luma's low-AC steps, x8
    134      32 when a previous chroma plane is present, else 0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ZIGZAG = np.array([
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14,
    21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53,
    60, 61, 54, 47, 55, 62, 63,
])
FEATURE_RANGE = (-256, 256)
FEATURE_FRAC = 5  # real values within +-8: with raw integers the stem saturates (measured)
BITLEN_GAIN = 16
N_LUMA_INPUTS = 135


_BITLEN = np.array([i.bit_length() for i in range(1 << 15)] + [16], np.uint8)  # |int16| <= 32768


def bitlen(x: np.ndarray) -> np.ndarray:
    """Bit length of |x| (0 for 0), elementwise, integer only; |x| past 32768 counts as 16 bits."""
    x = np.asarray(x)
    if x.dtype == np.int16:  # the coefficient planes: one int32 widening, no int64 temporaries
        return _BITLEN[np.abs(x.astype(np.int32))]
    return _BITLEN[np.minimum(np.abs(x.astype(np.int64)), 1 << 15)]


def ilog2_8(num: int, den: int = 1) -> int:
    """round(8 * log2(num / den)) (halves up; 0 below 1) in exact integer arithmetic, no libm:
    j = floor(16 log2 m) from big integers, and round(t / 2) = floor((j + 1) / 2) for t in [j, j + 1)."""
    num, den = int(num), max(int(den), 1)
    if num <= den:
        return 0
    j = ((num ** 16) // (den ** 16)).bit_length() - 1
    return (j + 1) // 2


def quant_planes(qtable: np.ndarray) -> list[int]:
    """Quantizer levels of a table: DC, mean of zigzag 1..9, mean of zigzag 10..63, as 8 log2."""
    qz = [int(v) for v in np.asarray(qtable).reshape(-1)[ZIGZAG]]
    return [ilog2_8(qz[0]), ilog2_8(sum(qz[1:10]), 9), ilog2_8(sum(qz[10:]), 54)]


def dc_plane(comp: np.ndarray, qtable: np.ndarray) -> np.ndarray:
    """Dequantized DC / 8 (about the block mean minus 128), clipped: [by, bx]."""
    dcq = comp[..., 0].astype(np.int64) * int(np.asarray(qtable).reshape(-1)[0])
    return np.clip(dcq >> 3, *FEATURE_RANGE)


def on_grid(planes: np.ndarray, src: tuple[int, int], dst: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """[C, sy, sx] values of a plane with sampling `src` (h, v) mapped onto the block grid `shape` of a plane
    with sampling `dst`: each destination block gets the mean (floor) of the source blocks it covers."""
    rx, ry = max(src[0] // max(dst[0], 1), 1), max(src[1] // max(dst[1], 1), 1)
    cy, cx = shape
    if rx == ry == 1 and planes.shape[1:] == (cy, cx):
        return planes  # same grid (4:4:4, or Cb onto Cr): no copy
    grid = np.zeros((planes.shape[0], cy * ry, cx * rx), dtype=np.int32)
    hh, ww = min(cy * ry, planes.shape[1]), min(cx * rx, planes.shape[2])
    grid[:, :hh, :ww] = planes[:, :hh, :ww]
    if rx == ry == 1:
        return grid.astype(planes.dtype)
    return (grid.reshape(-1, cy, ry, cx, rx).sum(axis=(2, 4), dtype=np.int32) // (rx * ry)).astype(planes.dtype)


def _plane_inputs(comp: np.ndarray, qtable: np.ndarray) -> np.ndarray:
    """Bit lengths (zigzag) x BITLEN_GAIN and DC of one decoded plane: int16 [65, by, bx]."""
    from mlzip.learned.kernels import plane_inputs

    comp = np.ascontiguousarray(comp, dtype=np.int16)
    step = int(np.asarray(qtable).reshape(-1)[0])
    return plane_inputs(comp, ZIGZAG, _BITLEN, BITLEN_GAIN, step, *FEATURE_RANGE)


class LumaInputs:
    """The network input of chroma plane c (1 or 2), [135, *shape], built window by window so that large
    images never hold all 135 channels at once; reads only decoded[0 .. c-1].

    `cache`: a dict kept across the planes of one image, so Cr reuses the luma part computed for Cb."""

    def __init__(self, decoded: Sequence[np.ndarray], c: int, shape: tuple[int, int],
                 qtables: Sequence[np.ndarray], sampling: Sequence[tuple[int, int]], cache: dict | None = None):
        self.shape = (N_LUMA_INPUTS, *shape)
        key = ("luma", tuple(shape), tuple(sampling[c]))
        luma = None if cache is None else cache.get(key)
        if luma is None:
            luma = on_grid(_plane_inputs(decoded[0], qtables[0]), sampling[0], sampling[c], shape)
            if cache is not None:
                cache[key] = luma
        # plane inputs lie in FEATURE_RANGE by construction (bit lengths <= 16 x 16, DC clipped) and so do
        # their block means: no clip needed
        self.luma = luma
        self.prev = None
        if c >= 2:
            self.prev = on_grid(_plane_inputs(decoded[c - 1], qtables[c - 1]), sampling[c - 1], sampling[c], shape)
        consts = quant_planes(qtables[c]) + [quant_planes(qtables[0])[1], 32 if c >= 2 else 0]
        self.consts = np.clip(np.array(consts, np.int64), *FEATURE_RANGE)

    def window(self, ya: int, yb: int, xa: int, xb: int) -> np.ndarray:
        """int16 [135, yb - ya, xb - xa]"""
        out = np.zeros((N_LUMA_INPUTS, yb - ya, xb - xa), np.int16)
        out[:65] = self.luma[:, ya:yb, xa:xb]
        if self.prev is not None:
            out[65:130] = self.prev[:, ya:yb, xa:xb]
        out[130:] = self.consts[:, None, None]
        return out

    def array(self) -> np.ndarray:
        return self.window(0, self.shape[1], 0, self.shape[2])


def luma_inputs(decoded: Sequence[np.ndarray], c: int, shape: tuple[int, int], qtables: Sequence[np.ndarray],
                sampling: Sequence[tuple[int, int]], cache: dict | None = None) -> np.ndarray:
    """The whole network input of chroma plane c (training and tests; the runtime goes window by window)."""
    return LumaInputs(decoded, c, shape, qtables, sampling, cache).array()


def hinted_components(n_components: int) -> range:
    """The planes the luma scheme hints: the two chroma planes of a 3-component (YCbCr) image."""
    return range(1, 3) if n_components == 3 else range(0)
