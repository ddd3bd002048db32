"""Integer operations shared by the numpy runtime and its torch twin.

Functions here use only operators that numpy arrays and torch tensors both support (`*`, `+`, `>>`),
so one definition serves both backends; the backend supplies clamp and convolution.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Accumulators must stay below this for float64 convolution sums to be exact.
EXACT_FLOAT_BOUND = 1 << 52
# Requantization products (accumulator * multiplier) must stay inside int64.
INT64_PRODUCT_BOUND = 1 << 62


def round_shift(x: Any, shift: int) -> Any:
    """x / 2**shift rounded half up, with an arithmetic shift (exact for int64 arrays and tensors)."""
    if shift <= 0:
        return x << -shift if shift < 0 else x
    return (x + (1 << (shift - 1))) >> shift


def requantize(acc: Any, mult: Any, shift: int) -> Any:
    """acc * mult / 2**shift, rounded: moves an accumulator to the next layer's fixed-point scale."""
    return round_shift(acc * mult, shift)


def mul_fixed(a: Any, b: Any, frac: int) -> Any:
    """Product of two fixed-point codes with `frac` fractional bits, kept at `frac` bits."""
    return round_shift(a * b, frac)


def hard_sigmoid(x: Any, frac: int, clamp: Any) -> Any:
    """clamp(x/4 + 1/2, 0, 1) on codes with `frac` fractional bits: a gate without exp()."""
    one = 1 << frac
    return clamp((x + 2 * one) >> 2, 0, one)


def hard_tanh(x: Any, frac: int, clamp: Any) -> Any:
    one = 1 << frac
    return clamp(x, -one, one)


def lut(x: np.ndarray, table: np.ndarray, lo: int) -> np.ndarray:
    """Table lookup for a non-linearity: table[clip(x - lo)], the table being part of the model file."""
    idx = np.clip(x - lo, 0, len(table) - 1)
    return table[idx]


def sigmoid_table(frac_in: int, frac_out: int, span: int = 8) -> tuple[np.ndarray, int]:
    """A sigmoid table over inputs in [-span, span): built once from floats, then frozen as integers.

    Build it at training/export time and store it in the model file: the runtime only indexes it.
    """
    lo = -span << frac_in
    xs = np.arange(lo, -lo, dtype=np.float64) / (1 << frac_in)
    table = np.round((1 << frac_out) / (1.0 + np.exp(-xs))).astype(np.int64)
    return table, lo


def causal_mask(k: int, include_center: bool) -> np.ndarray:
    """k x k mask keeping the taps before the centre in raster order (and the centre if asked).

    Multiply kernel weights by it so a convolution sees only already-decoded positions.
    """
    mask = np.zeros((k, k), dtype=np.int64)
    c = k // 2
    mask[:c, :] = 1
    mask[c, :c] = 1
    if include_center:
        mask[c, c] = 1
    return mask


def row_causal_mask(k: int) -> np.ndarray:
    """k x k mask keeping the rows above and the centre row: a stack of these never looks below."""
    mask = np.ones((k, k), dtype=np.int64)
    mask[k // 2 + 1 :, :] = 0
    return mask


def named_mask(name: str, k: int) -> np.ndarray:
    """The masks a spec's conv layers may name."""
    if name == "rows":
        return row_causal_mask(k)
    if name in ("raster", "raster_center"):
        return causal_mask(k, include_center=name == "raster_center")
    raise ValueError(f"unknown conv mask {name!r}")


def conv2d_numpy(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, groups: int) -> np.ndarray:
    """Exact integer 'same' convolution: x int64 [N,C,H,W], weight [O, C/groups, k, k] -> int64 [N,O,H,W].

    Dense and 1x1 run a compiled int64 kernel (mlzip.nn.kernels; accumulators are bounded below 2**52 when
    the model loads); depthwise sums k*k shifted int64 products.
    """
    n, c, h, w = x.shape
    o, cg, k, _ = weight.shape
    if groups == 1:
        # each tap's shifted window is a contiguous slice of the flattened zero-padded image (channels last):
        # no k*k-times larger im2col copy. Row ends wrap into the padding columns, cut off at the end.
        from mlzip.nn.kernels import conv_taps

        p = k // 2
        wp = w + 2 * p
        xp = np.zeros((n, h + 2 * p + 1, wp, c), np.int64)  # a spare row keeps the last taps' slices inside
        xp[:, p : p + h, p : p + w] = x.transpose(0, 2, 3, 1)
        wt = np.ascontiguousarray(weight.astype(np.int64).transpose(2, 3, 1, 0))  # [k, k, C, O]
        acc = np.stack([conv_taps(xp[i].reshape(-1, c), wt, h, wp) for i in range(n)])
        out = acc.reshape(n, h, wp, o)[:, :, :w].transpose(0, 3, 1, 2)
    elif groups == c and cg == 1 and o == c:
        p = k // 2
        xp = np.pad(x.astype(np.int64), ((0, 0), (0, 0), (p, p), (p, p)))
        out = np.zeros((n, c, h, w), dtype=np.int64)
        wk = weight.astype(np.int64)
        for dy in range(k):  # k*k whole-image passes, not a per-pixel loop
            for dx in range(k):
                out += xp[:, :, dy : dy + h, dx : dx + w] * wk[None, :, 0, dy, dx, None, None]
    else:
        raise ValueError(f"unsupported conv groups={groups} for {c} channels")
    return out + bias.astype(np.int64)[None, :, None, None]
