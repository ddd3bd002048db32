"""An integer network described by a JSON spec plus integer tensors, run by a pluggable backend.

The graph walk is written once; `NumpyBackend` (here) runs it for the codec, and the torch backend
(mlzip.train.torch_backend) runs the very same walk for training checks and a GPU path, so both
give identical integers.

Spec: {"input": {"channels", "frac", "range"}, "layers": [...], "outputs": [...]}. Every tensor is
a fixed-point code with `frac` fractional bits clamped to `range`. Layer ops:
  conv     {"name","src","k","groups","cout","shift","frac","range"}; tensors name.w (int8
           [cout, cin/groups, k, k]), name.b (int32 [cout]), name.m (int32 [cout] multipliers):
           y = clamp(round((conv(x, w) + b) * m / 2**shift), range)
  add      {"name","src":[a,b],"range"}            same-frac sum, clamped
  concat   {"name","src":[...]}                    channel concat of same-frac tensors
  hsigmoid / htanh {"name","src"}                   hard gates at the source's frac
  mul      {"name","src":[a,b],"frac","range"}     fixed-point product
  slice    {"name","src","start","stop"}           channels start:stop of a tensor
A conv may carry "mask" (rows | raster | raster_center): training zeroes those taps (mlzip.nn.ops),
so the exported weights are already causal and the runtime needs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from mlzip.errors import ModelError
from mlzip.nn import ops
from mlzip.nn.weights import read_weights, write_weights


class NumpyBackend:
    name = "numpy"

    @staticmethod
    def asint(x: Any) -> np.ndarray:
        return np.asarray(x, dtype=np.int64)

    @staticmethod
    def clamp(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
        return np.clip(x, lo, hi)

    @staticmethod
    def concat(xs: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(xs, axis=1)

    @staticmethod
    def conv(x: np.ndarray, w: np.ndarray, b: np.ndarray, groups: int) -> np.ndarray:
        return ops.conv2d_numpy(x, w, b, groups)

    @staticmethod
    def vector(v: np.ndarray, like: np.ndarray) -> np.ndarray:
        """A per-channel vector shaped to broadcast over [N, C, H, W]."""
        return np.asarray(v, dtype=np.int64)[None, :, None, None]


class IntModel:
    """A frozen integer network. `forward(x)` maps int codes [N, C, H, W] to a dict of int64 outputs."""

    def __init__(self, spec: dict[str, Any], tensors: dict[str, np.ndarray]):
        self.spec = spec
        self.tensors = {k: np.asarray(v) for k, v in tensors.items()}
        self._info: dict[str, tuple[int, int, int, int]] = {}  # name -> (channels, frac, lo, hi)
        self.radius = 0
        self._validate()

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_bytes(cls, data: bytes) -> IntModel:
        return cls(*read_weights(data))

    def to_bytes(self) -> bytes:
        return write_weights(self.spec, self.tensors)

    @property
    def params(self) -> int:
        return int(sum(t.size for n, t in self.tensors.items() if n.endswith((".w", ".b"))))

    def _validate(self) -> None:
        """Check shapes, and that every accumulator provably stays in the exact range."""
        try:
            inp = self.spec["input"]
            self._info["input"] = (int(inp["channels"]), int(inp["frac"]), *map(int, inp["range"]))
            for layer in self.spec["layers"]:
                self._info[layer["name"]] = self._check_layer(layer)
            for out in self.spec["outputs"]:
                if out not in self._info:
                    raise ModelError(f"model output {out!r} is not a layer")
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"model spec malformed: {exc!r}") from None

    def _check_layer(self, layer: dict[str, Any]) -> tuple[int, int, int, int]:
        op, name = layer["op"], layer["name"]
        if name in self._info:
            raise ModelError(f"model layer name {name!r} reused")
        srcs = layer["src"] if isinstance(layer["src"], list) else [layer["src"]]
        ins = [self._info[s] for s in srcs]
        lo, hi = map(int, layer.get("range", (ins[0][2], ins[0][3])))
        if op == "conv":
            c, _, xlo, xhi = ins[0]
            k, groups, cout, shift = int(layer["k"]), int(layer["groups"]), int(layer["cout"]), int(layer["shift"])
            w, b, m = (self.tensors[f"{name}.{t}"] for t in "wbm")
            if w.shape != (cout, c // groups, k, k) or b.shape != (cout,) or m.shape != (cout,) or k % 2 == 0:
                raise ModelError(f"model layer {name}: tensor shapes disagree with the spec")
            if w.dtype.kind != "i" or b.dtype.kind != "i" or m.dtype.kind != "i" or not 0 <= shift < 48:
                raise ModelError(f"model layer {name}: integer tensors and a shift in [0, 48) required")
            xmax = max(abs(xlo), abs(xhi))
            acc = int(np.abs(w.astype(np.int64)).reshape(cout, -1).sum(1).max()) * xmax + int(np.abs(b).max())
            if acc >= ops.EXACT_FLOAT_BOUND or acc * int(np.abs(m).max()) >= ops.INT64_PRODUCT_BOUND:
                raise ModelError(f"model layer {name}: accumulator bound {acc} not exact")
            self.radius += k // 2
            return cout, int(layer["frac"]), lo, hi
        if op in ("add", "concat"):
            if len({i[1] for i in ins}) != 1:
                raise ModelError(f"model layer {name}: inputs of different fixed-point scales")
            ch = ins[0][0] if op == "add" else sum(i[0] for i in ins)
            if op == "concat":
                lo, hi = min(i[2] for i in ins), max(i[3] for i in ins)
            return ch, ins[0][1], lo, hi
        if op in ("hsigmoid", "htanh"):
            one = 1 << ins[0][1]
            return ins[0][0], ins[0][1], (0 if op == "hsigmoid" else -one), one
        if op == "mul":
            return ins[0][0], int(layer["frac"]), lo, hi
        if op == "slice":
            start, stop = int(layer["start"]), int(layer["stop"])
            if not 0 <= start < stop <= ins[0][0]:
                raise ModelError(f"model layer {name}: slice out of range")
            return stop - start, ins[0][1], ins[0][2], ins[0][3]
        raise ModelError(f"model layer {name}: unknown op {op!r}")

    # -- inference ------------------------------------------------------------------------------
    def forward(self, x: Any, backend: Any = NumpyBackend) -> dict[str, Any]:
        """Run the whole graph on integer codes [N, C, H, W]; inputs outside the range are clamped."""
        _, _, lo, hi = self._info["input"]
        vals: dict[str, Any] = {"input": backend.clamp(backend.asint(x), lo, hi)}
        for layer in self.spec["layers"]:
            vals[layer["name"]] = self._run_layer(layer, vals, backend)
        return {o: vals[o] for o in self.spec["outputs"]}

    def _run_layer(self, layer: dict[str, Any], vals: dict[str, Any], be: Any) -> Any:
        op, name = layer["op"], layer["name"]
        _, frac, lo, hi = self._info[name]
        src = layer["src"]
        if op == "conv":
            t = self.tensors
            acc = be.conv(vals[src], t[f"{name}.w"], t[f"{name}.b"], int(layer["groups"]))
            y = ops.requantize(acc, be.vector(t[f"{name}.m"], acc), int(layer["shift"]))
            return be.clamp(y, lo, hi)
        if op == "add":
            return be.clamp(vals[src[0]] + vals[src[1]], lo, hi)
        if op == "concat":
            return be.concat([vals[s] for s in src])
        if op == "hsigmoid":
            return ops.hard_sigmoid(vals[src], frac, be.clamp)
        if op == "htanh":
            return ops.hard_tanh(vals[src], frac, be.clamp)
        if op == "mul":
            a, b = vals[src[0]], vals[src[1]]
            shift = self._info[src[0]][1] + self._info[src[1]][1] - frac
            return be.clamp(ops.round_shift(a * b, shift), lo, hi)
        if op == "slice":
            return vals[src][:, int(layer["start"]) : int(layer["stop"])]
        raise ModelError(f"unknown op {op}")

    def iter_tiles(self, x: Any, tile: int) -> Iterator[tuple[int, int, dict[str, np.ndarray]]]:
        """(y0, x0, outputs of the tile at rows y0.., columns x0..): forward() on tile x tile windows with a halo
        of the receptive radius, so the pieces equal forward()'s output exactly (bounds memory on large
        images; also the test that tiling never changes a bit). `x`: an array [N, C, H, W], or an object
        with `shape` ([C, H, W]) and `window(ya, yb, xa, xb)` giving one window [C, h, w] (built on demand)."""
        if hasattr(x, "window"):
            h, w = x.shape[1:]
            source = x

            def part_of(ya: int, yb: int, xa: int, xb: int) -> np.ndarray:
                return source.window(ya, yb, xa, xb)[None]
        else:
            _, _, h, w = np.shape(x)

            def part_of(ya: int, yb: int, xa: int, xb: int) -> np.ndarray:
                return x[:, :, ya:yb, xa:xb]
        r = self.radius
        for y0 in range(0, h, tile):
            for x0 in range(0, w, tile):
                ya, yb, xa, xb = max(0, y0 - r), min(h, y0 + tile + r), max(0, x0 - r), min(w, x0 + tile + r)
                th, tw = min(tile, h - y0), min(tile, w - x0)
                part = self.forward(part_of(ya, yb, xa, xb))
                yield y0, x0, {k: v[:, :, y0 - ya : y0 - ya + th, x0 - xa : x0 - xa + tw] for k, v in part.items()}

    def forward_tiled(self, x: np.ndarray, tile: int) -> dict[str, np.ndarray]:
        """Same result as forward(), computed tile by tile (see iter_tiles)."""
        n, _, h, w = np.shape(x)
        outs: dict[str, np.ndarray] = {}
        for y0, x0, part in self.iter_tiles(x, tile):
            for k, v in part.items():
                if k not in outs:
                    outs[k] = np.zeros((n, v.shape[1], h, w), dtype=np.int64)
                outs[k][:, :, y0 : y0 + v.shape[2], x0 : x0 + v.shape[3]] = v
        return outs
