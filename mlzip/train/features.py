"""Integer features and targets on the block grid, for the pass schemes of the learned hint.

Everything here is integer numpy (the same code prepares inputs for the runtime and for training),
per component laid out as channels x blocks_y x blocks_x.
"""

from __future__ import annotations

import numpy as np

from collections.abc import Callable, Sequence

from mlzip.train.data import Coefs

# ZIGZAG[i] = natural index of the i-th coefficient in zigzag order
ZIGZAG = np.array([
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14,
    21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53,
    60, 61, 54, 47, 55, 62, 63,
])
MAX_BITLEN = 11
FEATURE_RANGE = (-256, 256)
# Input codes carry 5 fractional bits (real values within +-8): with raw integers the stem saturates
# its clamped activations and stops learning (measured: worse than a per-position mean).
FEATURE_FRAC = 5
BITLEN_GAIN = 16  # bit-length feature planes scaled to real values 0..5.5, like the DC plane
N_HINTS = 12
# Hint buckets are per zigzag position: thresholds [63, N_HINTS - 1] on the network's predicted bit
# length codes, set at the training data's quantiles so every position uses all buckets. They are
# integers stored in the model file ("hint.thresholds"): the runtime compares integers only.


def bitlen(x: np.ndarray) -> np.ndarray:
    """Bit length of |x| (0 for 0), elementwise, integer only."""
    a = np.abs(x.astype(np.int64))
    out = np.zeros(a.shape, dtype=np.int64)
    for b in range(16):
        out += a >= (1 << b)
    return out


def zigzag(comp: np.ndarray) -> np.ndarray:
    """[by, bx, 64] natural -> zigzag order."""
    return comp[..., ZIGZAG]


def ilog2_8(q: float) -> int:
    """round(8 * log2(q)) of a quantizer step (computed from table integers once per image)."""
    return int(np.round(8 * np.log2(max(float(q), 1.0))))


def quant_planes(qtable: np.ndarray) -> list[int]:
    qz = np.asarray(qtable)[ZIGZAG]
    return [ilog2_8(qz[0]), ilog2_8(qz[1:10].mean()), ilog2_8(qz[10:].mean())]


def dc_plane(comp: np.ndarray, qtable: np.ndarray) -> np.ndarray:
    """Dequantized DC / 8 (about the block mean minus 128), clipped: [by, bx]."""
    dcq = comp[..., 0].astype(np.int64) * int(qtable[0])
    return np.clip(dcq >> 3, *FEATURE_RANGE)


def ac_target(comp: np.ndarray) -> np.ndarray:
    """Bit lengths of the 63 AC coefficients, zigzag order: [63, by, bx]."""
    return np.minimum(bitlen(zigzag(comp)[..., 1:]), MAX_BITLEN).transpose(2, 0, 1)


def ac_sign_target(comp: np.ndarray) -> np.ndarray:
    """Signs (-1, 0, 1) of the 63 AC coefficients, zigzag order: [63, by, bx]."""
    return np.sign(zigzag(comp)[..., 1:].astype(np.int64)).transpose(2, 0, 1)


def ac_targets(comp: np.ndarray) -> np.ndarray:
    """What the hint networks predict per block: 63 bit lengths then 63 signs. [126, by, bx]"""
    return np.concatenate([ac_target(comp), ac_sign_target(comp)]).astype(np.float32)


N_TARGETS = 126


def dc_features(coefs: Coefs, c: int) -> np.ndarray:
    """Scheme (b): the whole DC plane of component c is decoded first. Channels: DC, 3 quantizer levels,
    chroma flag. [5, by, bx]"""
    comp, q = coefs.components[c], coefs.qtables[c]
    h, w = comp.shape[:2]
    consts = quant_planes(q) + [32 if c > 0 else 0]
    planes = [dc_plane(comp, q)] + [np.full((h, w), v, dtype=np.int64) for v in consts]
    return np.stack(planes)


def luma_on_chroma_grid(coefs: Coefs, c: int) -> np.ndarray:
    """Bit lengths of luma coefficients averaged over the luma blocks under each block of component c:
    [64, cy, cx] (zigzag order)."""
    y, comp = coefs.components[0], coefs.components[c]
    (hy, vy), (hc, vc) = coefs.sampling[0], coefs.sampling[c]
    rx, ry = max(hy // max(hc, 1), 1), max(vy // max(vc, 1), 1)
    cy, cx = comp.shape[:2]
    bl = bitlen(zigzag(y)).transpose(2, 0, 1)
    grid = np.zeros((64, cy * ry, cx * rx), dtype=np.int64)
    hh, ww = min(cy * ry, bl.shape[1]), min(cx * rx, bl.shape[2])
    grid[:, :hh, :ww] = bl[:, :hh, :ww]
    return grid.reshape(64, cy, ry, cx, rx).sum(axis=(2, 4)) // (rx * ry)


def luma_features(coefs: Coefs, c: int) -> np.ndarray:
    """Scheme (a): luma fully decoded, then component c's DC plane. [64 + 1 + 3 + 1, cy, cx]"""
    comp, q = coefs.components[c], coefs.qtables[c]
    h, w = comp.shape[:2]
    consts = quant_planes(q) + [quant_planes(coefs.qtables[0])[1]]
    planes = [dc_plane(comp, q)] + [np.full((h, w), v, dtype=np.int64) for v in consts]
    return np.concatenate([luma_on_chroma_grid(coefs, c) * BITLEN_GAIN, np.stack(planes)])


N_SIGN_HINTS = 5
# predicted sign (frac 8 codes) -> 5 buckets: surely -, maybe -, unsure, maybe +, surely +
SIGN_THRESHOLDS = np.array([-128, -38, 39, 129], dtype=np.int64)


def fit_hint_thresholds(preds: Sequence[np.ndarray]) -> np.ndarray:
    """Per-position quantiles of predicted bit-length codes ([63, h, w] arrays) -> int32 [63, N_HINTS-1]."""
    flat = np.concatenate([p[:63].reshape(63, -1) for p in preds], axis=1)
    qs = np.arange(1, N_HINTS) / N_HINTS
    return np.quantile(flat, qs, axis=1, method="lower").T.astype(np.int32)


def image_rank_thresholds(pred_codes: np.ndarray) -> np.ndarray:
    """Per-position quantiles of one image's own predictions [63+, h, w] -> [63, N_HINTS-1] (integer sort,
    so encoder and decoder agree). Usable when the whole prediction map exists before the AC pass
    (schemes dc, luma, checker); it removes what all blocks of the image share (mostly the quality)."""
    flat = np.sort(pred_codes[:63].reshape(63, -1), axis=1)
    idx = (np.arange(1, N_HINTS) * flat.shape[1]) // N_HINTS
    return flat[:, idx]


def hint_from_prediction(pred_codes: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Predicted bit-length codes [63, h, w] -> hint buckets 0..N_HINTS-1 (count of thresholds passed)."""
    t = np.asarray(thresholds, dtype=np.int64)[:, :, None, None]
    return (pred_codes[:63][:, None] > t).sum(axis=1).astype(np.uint8)


def sign_hint_from_prediction(pred_codes: np.ndarray) -> np.ndarray:
    """Network output codes (predicted sign in [-1, 1], frac 8) -> sign context 0..N_SIGN_HINTS-1."""
    return np.searchsorted(SIGN_THRESHOLDS, pred_codes, side="right").astype(np.uint8)


def checker_masks(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Checkerboard halves of a block grid: black (coded first) and white."""
    yy, xx = np.indices(shape[:2])
    black = (yy + xx) % 2 == 0
    return black, ~black


def checker_features(coefs: Coefs, c: int) -> np.ndarray:
    """Scheme (c): bit lengths of the black half (white zeroed), a black-mask plane, 3 quantizer levels,
    chroma flag. [64 + 5, by, bx]"""
    comp = coefs.components[c]
    black, _ = checker_masks(comp.shape)
    bl = np.minimum(bitlen(zigzag(comp)), MAX_BITLEN).transpose(2, 0, 1) * black[None] * BITLEN_GAIN
    consts = quant_planes(coefs.qtables[c]) + [32 if c > 0 else 0]
    planes = [black.astype(np.int64) * 32] + [np.full(comp.shape[:2], v, np.int64) for v in consts]
    return np.concatenate([bl, np.stack(planes)])


def rows_features(coefs: Coefs, c: int) -> np.ndarray:
    """Scheme (d): DC plane first, then AC block row by block row. Channels: the 5 DC-scheme planes (free),
    then the 63 AC bit lengths shifted down one block row (row i holds row i-1: rows-causal). [68, by, bx]"""
    ac = ac_target(coefs.components[c])
    shifted = np.zeros_like(ac)
    shifted[:, 1:] = ac[:, :-1] * BITLEN_GAIN
    return np.concatenate([dc_features(coefs, c), shifted])


def _all(coefs: Coefs) -> range:
    return range(len(coefs.components))


def _chroma(coefs: Coefs) -> range:
    return range(1, 3) if len(coefs.components) == 3 else range(0)


# scheme -> (features of component c, which components the hint serves)
SCHEMES: dict[str, tuple[Callable[[Coefs, int], np.ndarray], Callable[[Coefs], range]]] = {
    "dc": (dc_features, _all),
    "luma": (luma_features, _chroma),
    "checker": (checker_features, _all),
    "rows": (rows_features, _all),
}


def build_samples(images: Sequence[Coefs], scheme: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """(features, targets [N_TARGETS, by, bx]) per component the scheme's hint serves."""
    feat, comps = SCHEMES[scheme]
    out = []
    for coefs in images:
        for c in comps(coefs):
            y = ac_targets(coefs.components[c])
            if scheme == "checker":  # black blocks are known when the hint is used: predict white only
                y = y * checker_masks(y.shape[1:])[1][None]
            out.append((feat(coefs, c), y))
    return out
