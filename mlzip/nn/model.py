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
  gru      {"name","src","hidden","shift","range","reverse"}  row GRU (mlzip.nn.recurrent) along each block
           row, left to right (or right to left when "reverse"); src holds 3*hidden input parts at the
           state's frac; tensors name.w/.b/.m as a 1x1 conv hidden -> 3*hidden (the recurrent product,
           requantized to the src frac and clamped to "range"); output: hidden states in [-1, 1]
A conv may carry "mask" (rows | raster | raster_center): training zeroes those taps (mlzip.nn.ops),
so the exported weights are already causal and the runtime needs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from mlzip.errors import ModelError
from mlzip.nn import ops, recurrent
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
    def concat_width(xs: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(xs, axis=3)

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
        self.row_recurrent = False  # a gru layer sees its whole block row: tiles then span full rows
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
            k = int(layer["k"])
            self._check_conv_tensors(name, c, int(layer["cout"]), k, int(layer["groups"]), int(layer["shift"]),
                                     max(abs(xlo), abs(xhi)))
            self.radius += k // 2
            return int(layer["cout"]), int(layer["frac"]), lo, hi
        if op == "gru":
            hidden, frac = int(layer["hidden"]), ins[0][1]
            if ins[0][0] != 3 * hidden or hidden < 1:
                raise ModelError(f"model layer {name}: a gru needs 3 x hidden input channels")
            self._check_conv_tensors(name, hidden, 3 * hidden, 1, 1, int(layer["shift"]), 1 << frac)
            self.row_recurrent = True
            return hidden, frac, -(1 << frac), 1 << frac
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

    def _check_conv_tensors(self, name: str, cin: int, cout: int, k: int, groups: int, shift: int,
                            xmax: int) -> None:
        """Shapes and integer types of name.w/.b/.m, and that the accumulator provably stays exact."""
        w, b, m = (self.tensors[f"{name}.{t}"] for t in "wbm")
        if w.shape != (cout, cin // groups, k, k) or b.shape != (cout,) or m.shape != (cout,) or k % 2 == 0:
            raise ModelError(f"model layer {name}: tensor shapes disagree with the spec")
        if w.dtype.kind != "i" or b.dtype.kind != "i" or m.dtype.kind != "i" or not 0 <= shift < 48:
            raise ModelError(f"model layer {name}: integer tensors and a shift in [0, 48) required")
        acc = int(np.abs(w.astype(np.int64)).reshape(cout, -1).sum(1).max()) * xmax + int(np.abs(b).max())
        if acc >= ops.EXACT_FLOAT_BOUND or acc * int(np.abs(m).max()) >= ops.INT64_PRODUCT_BOUND:
            raise ModelError(f"model layer {name}: accumulator bound {acc} not exact")

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
            return self._conv(name, vals[src], int(layer["groups"]), int(layer["shift"]), lo, hi, be)
        if op == "gru":
            return self._gru(layer, vals[src], frac, be)
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

    def _conv(self, name: str, x: Any, groups: int, shift: int, lo: int, hi: int, be: Any) -> Any:
        t = self.tensors
        acc = be.conv(x, t[f"{name}.w"], t[f"{name}.b"], groups)
        return be.clamp(ops.requantize(acc, be.vector(t[f"{name}.m"], acc), shift), lo, hi)

    def _gru(self, layer: dict[str, Any], x: Any, frac: int, be: Any) -> Any:
        name, hidden, shift = layer["name"], int(layer["hidden"]), int(layer["shift"])
        ulo, uhi = map(int, layer["range"])

        def step(xt: Any, h: Any) -> Any:
            return recurrent.gru_cell(
                xt, h, hidden, lin=lambda v: self._conv(name, v, 1, shift, ulo, uhi, be),
                gate=lambda v: ops.hard_sigmoid(v, frac, be.clamp), tanh=lambda v: ops.hard_tanh(v, frac, be.clamp),
                mul=lambda a, b: ops.mul_fixed(a, b, frac))

        return recurrent.row_scan(x, hidden, bool(layer.get("reverse", False)), step, be.concat_width)

    def iter_tiles(self, x: Any, tile: int) -> Iterator[tuple[int, int, dict[str, np.ndarray]]]:
        """(y0, x0, outputs of the tile at rows y0.., columns x0..): forward() on tile x tile windows with a halo
        of the receptive radius, so the pieces equal forward()'s output exactly (bounds memory on large
        images; also the test that tiling never changes a bit). `x`: an array [N, C, H, W], or an object
        with `shape` ([C, H, W]) and `window(ya, yb, xa, xb)` giving one window [C, h, w] (built on demand).
        A model with a row GRU gets whole-width tiles."""
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
        tile_w = w if self.row_recurrent else tile
        for y0 in range(0, h, tile):
            for x0 in range(0, w, tile_w):
                ya, yb, xa, xb = max(0, y0 - r), min(h, y0 + tile + r), max(0, x0 - r), min(w, x0 + tile_w + r)
                th, tw = min(tile, h - y0), min(tile_w, w - x0)
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
