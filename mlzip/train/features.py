"""Integer features and targets on the block grid, for the pass schemes of the learned hint.

Everything here is integer numpy (the same code prepares inputs for the runtime and for training),
per component laid out as channels x blocks_y x blocks_x.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mlzip.learned import features as LF
# shared with the runtime: integer ops, zigzag order, input code scale
from mlzip.learned.features import (BITLEN_GAIN, FEATURE_FRAC, FEATURE_RANGE, ZIGZAG, bitlen, dc_plane,  # noqa: F401
                                    ilog2_8, on_grid, quant_planes)
from mlzip.train.data import Coefs

MAX_BITLEN = 11
N_HINTS = 12
# Hint buckets are per zigzag position: thresholds [63, N_HINTS - 1] on the network's predicted bit
# length codes, set at the training data's quantiles so every position uses all buckets. They are
# integers stored in the model file ("hint.thresholds"): the runtime compares integers only.


def zigzag(comp: np.ndarray) -> np.ndarray:
    """[by, bx, 64] natural -> zigzag order."""
    return comp[..., ZIGZAG]


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
    bl = bitlen(zigzag(coefs.components[0])).transpose(2, 0, 1)
    return on_grid(bl, coefs.sampling[0], coefs.sampling[c], coefs.components[c].shape[:2])


def luma_dc_features(coefs: Coefs, c: int) -> np.ndarray:
    """Study scheme (a'): luma fully decoded, then component c's DC plane (a pass order the coder does not
    have: it codes a plane's DC with its AC). [64 + 1 + 3 + 1, cy, cx]"""
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


def luma_features(coefs: Coefs, c: int) -> np.ndarray:
    """Scheme (a), the shipped one: luma fully decoded (and Cb before Cr), see mlzip.learned.features."""
    return LF.luma_inputs(coefs.components, c, coefs.components[c].shape[:2], coefs.qtables, coefs.sampling)


MAX_MAGNITUDE = 127  # targets are clipped here (head codes are int16 with 8 fractional bits)


def hint_targets(comp: np.ndarray) -> np.ndarray:
    """What a coder-hint network predicts per block, zigzag slots [64, by, bx]: slot 0 the DC's distance from
    its left/above neighbours' mean, slots 1..63 the AC magnitudes, in quantizer steps, clipped. Squared
    error makes the network estimate their conditional means: the quantity whose bit length the classic
    predictor's buckets hold (a weighted mean of neighbouring magnitudes), so the coder's trained
    prior keeps its meaning."""
    dc = comp[..., 0].astype(np.int64)
    pred = np.zeros_like(dc)
    pred[1:, 1:] = (dc[:-1, 1:] + dc[1:, :-1]) >> 1
    pred[0, 1:] = dc[0, :-1]
    pred[1:, 0] = dc[:-1, 0]
    mags = np.abs(zigzag(comp)[..., 1:].astype(np.int64)).transpose(2, 0, 1)
    return np.minimum(np.concatenate([np.abs(dc - pred)[None], mags]), MAX_MAGNITUDE).astype(np.float32)


# scheme -> (features of component c, which components the hint serves)
SCHEMES: dict[str, tuple[Callable[[Coefs, int], np.ndarray], Callable[[Coefs], range]]] = {
    "dc": (dc_features, _all),
    "luma": (luma_features, _chroma),
    "luma-dc": (luma_dc_features, _chroma),
    "checker": (checker_features, _all),
    "rows": (rows_features, _all),
}


# schemes whose networks drive the coder (mlzip.learned): their own targets, 64 slots
CODER_SCHEMES: dict[str, Callable[[np.ndarray], np.ndarray]] = {"luma": hint_targets}


def n_targets(scheme: str) -> int:
    return 64 if scheme in CODER_SCHEMES else N_TARGETS


def build_samples(images: Sequence[Coefs], scheme: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """(features, targets [n_targets(scheme), by, bx]) per component the scheme's hint serves."""
    feat, comps = SCHEMES[scheme]
    target = CODER_SCHEMES.get(scheme, ac_targets)
    out = []
    for coefs in images:
        for c in comps(coefs):
            y = target(coefs.components[c])
            if scheme == "checker":  # black blocks are known when the hint is used: predict white only
                y = y * checker_masks(y.shape[1:])[1][None]
            out.append((feat(coefs, c), y))
    return out
