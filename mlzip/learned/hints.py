"""A learned model that hints the coder: integer network -> per-coefficient context buckets.

The network's head gives, per block of a hinted plane, 64 integer codes in zigzag order (8 fractional
bits; slot 0: the expected distance of the DC from its neighbours' mean, slots 1..63: the expected
magnitude of each AC coefficient, in quantizer steps). Thresholds stored in the model file turn them
into the coder's buckets (mlzip.coder: 0..11, DC 0..12) with the classic model's meaning (bit length of
a gain x the predicted magnitude). Everything is integer numpy/numba: no torch, no float
transcendental, the same buckets on every machine, with any tile size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mlzip.errors import ModelError
from mlzip.learned.features import N_LUMA_INPUTS, ZIGZAG, LumaInputs, hinted_components
from mlzip.nn.model import IntModel

N_BUCKETS = 12  # coder buckets 0..11 (mlzip.coder.classic.N_MAG)
DC_NO_PREDICTION = 12  # the coder's DC bucket for a block without neighbours
TILE = 128  # blocks per tile side: bounds the int64 temporaries on large images (outputs do not depend on it)
# scheme -> (input channels, builder of the input source (shape + window()), planes it hints)
SCHEMES = {"luma": (N_LUMA_INPUTS, LumaInputs, hinted_components)}
BUCKET_MODES = ("frozen",)

HintFn = Callable[[int, Sequence[np.ndarray]], "np.ndarray | None"]


def pow2_thresholds(gains: np.ndarray) -> np.ndarray:
    """Thresholds giving bucket = bit length of floor(gain x predicted value) per slot (the classic model's
    meaning: 7x7 AC gain 1, edge AC gain 4), for head codes with 8 fractional bits. [64, N_BUCKETS - 1]"""
    g = np.asarray(gains, np.float64)[:, None]  # training-time only: the runtime reads the stored integers
    steps = (256 << np.arange(N_BUCKETS - 1))[None, :]
    return (np.ceil(steps / g) - 1).astype(np.int32)


def edge_slots() -> np.ndarray:
    """Zigzag slots of the first row and column AC coefficients (the coder's edge predictions)."""
    return ((ZIGZAG < 8) | (ZIGZAG % 8 == 0)) & (ZIGZAG != 0)


def buckets(codes: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Codes [64, h, w] (zigzag slots) -> uint8 buckets [h, w, 64] in natural order (count of thresholds passed)."""
    from mlzip.learned.kernels import bucketize

    out = np.empty((codes.shape[1], codes.shape[2], 64), np.uint8)
    bucketize(np.ascontiguousarray(codes, dtype=np.int64), np.ascontiguousarray(thresholds, dtype=np.int64),
              ZIGZAG, out)
    return out


class HintModel:
    """An IntModel whose spec carries {"hint": {"scheme", "buckets"}} and a `hint.thresholds` tensor."""

    def __init__(self, model: IntModel, tile: int = TILE):
        info = model.spec.get("hint")
        if not isinstance(info, dict) or info.get("scheme") not in SCHEMES or info.get("buckets") not in BUCKET_MODES:
            raise ModelError("model file lacks a known hint scheme")
        self.model, self.scheme, self.tile = model, info["scheme"], tile
        n_in, self._source, self._components = SCHEMES[self.scheme]
        thr = model.tensors.get("hint.thresholds")
        if (model.spec["input"]["channels"] != n_in or thr is None or thr.shape != (64, N_BUCKETS - 1)
                or np.any(np.diff(thr.astype(np.int64), axis=1) < 0)):
            raise ModelError("model file does not fit its hint scheme")
        self.thresholds = thr.astype(np.int64)

    @classmethod
    def from_bytes(cls, data: bytes) -> HintModel:
        return cls(IntModel.from_bytes(data))

    def components(self, n_components: int) -> range:
        return self._components(n_components)

    def inputs(self, decoded: Sequence[np.ndarray], c: int, shape: tuple[int, int], qtables: Sequence[Any],
               sampling: Sequence[tuple[int, int]], cache: dict | None = None) -> np.ndarray:
        return self._source(decoded, c, shape, qtables, sampling, cache).array()

    def codes(self, x: np.ndarray) -> np.ndarray:
        """Head codes [64, h, w] of one input [C, h, w] (whole image: tests and training tools)."""
        return self.model.forward(x[None])["head"][0]

    def hints(self, decoded: Sequence[np.ndarray], c: int, shape: tuple[int, int], qtables: Sequence[Any],
              sampling: Sequence[tuple[int, int]], cache: dict | None = None) -> np.ndarray:
        """uint8 [*shape, 64] buckets, computed tile by tile: the int64 head codes never exist whole."""
        x = self._source(decoded, c, shape, qtables, sampling, cache)
        out = np.empty((*shape, 64), np.uint8)
        for y0, x0, part in self.model.iter_tiles(x, self.tile):
            codes = part["head"][0]
            out[y0 : y0 + codes.shape[1], x0 : x0 + codes.shape[2]] = buckets(codes, self.thresholds)
        if out.size:
            out[0, 0, 0] = DC_NO_PREDICTION  # as the coder's own DC bucket for the first block
        return out

    def hint_fn(self, shapes: Sequence[tuple[int, int]], qtables: Sequence[Any],
                sampling: Sequence[tuple[int, int]]) -> HintFn:
        """`fn(c, decoded)`: hints for plane c from the planes decoded before it, or None (classic buckets)."""
        hinted = self.components(len(shapes))
        cache: dict = {}  # one image: planes decoded earlier do not change

        def fn(c: int, decoded: Sequence[np.ndarray]) -> np.ndarray | None:
            if c not in hinted:
                return None
            return self.hints(decoded, c, tuple(shapes[c]), qtables, sampling, cache)

        return fn

    def all_hints(self, planes: Sequence[np.ndarray], qtables: Sequence[Any],
                  sampling: Sequence[tuple[int, int]]) -> list[np.ndarray | None]:
        """Encoder side: every plane is known, so all hints at once (the same values hint_fn gives)."""
        fn = self.hint_fn([p.shape[:2] for p in planes], qtables, sampling)
        return [fn(c, planes[:c]) for c in range(len(planes))]
