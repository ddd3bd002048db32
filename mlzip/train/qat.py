"""Quantization-aware torch definition of the integer networks in mlzip.nn.

`QGraph` takes the same spec as mlzip.nn.IntModel (minus the exported shifts), trains in float with
fake quantization that mimics the integer pipeline (int8 per-channel weights, fixed-point
activations with `frac` fractional bits, round half up, clamps), and `export()` freezes it into
(spec, integer tensors) for IntModel. The torch integer forward (IntModel + TorchBackend) is then
bit-identical to the numpy runtime; the float forward here differs only by the multiplier rounding.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mlzip.nn import ops, recurrent
from mlzip.nn.model import IntModel

WEIGHT_MAX = 127  # int8 weights, symmetric
MULT_BITS = 15  # requantization multipliers fit in 15 bits


def ste_round(x: torch.Tensor) -> torch.Tensor:
    """Round half up (as the integer runtime does) with a straight-through gradient."""
    return x + (torch.floor(x + 0.5) - x).detach()


def ste_floor(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.floor(x) - x).detach()


def fake_quant(x: torch.Tensor, frac: int, lo: int, hi: int) -> torch.Tensor:
    """Snap to the fixed-point grid 2**-frac and clamp to the code range [lo, hi]."""
    s = float(1 << frac)
    return torch.clamp(ste_round(x * s), lo, hi) / s


class QConv(nn.Module):
    def __init__(self, cin: int, cout: int, k: int, groups: int, mask: np.ndarray | None = None):
        super().__init__()
        self.k, self.groups = k, groups
        self.weight = nn.Parameter(torch.empty(cout, cin // groups, k, k))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        self.bias = nn.Parameter(torch.zeros(cout))
        m = torch.ones(k, k) if mask is None else torch.as_tensor(mask, dtype=torch.float32)
        self.register_buffer("mask", m[None, None].expand(cout, cin // groups, k, k).clone())

    def weight_scale(self) -> torch.Tensor:
        w = self.weight * self.mask
        return (w.detach().abs().flatten(1).amax(1).clamp_min(1e-8) / WEIGHT_MAX)

    def forward(self, x: torch.Tensor, frac_in: int) -> torch.Tensor:
        sw = self.weight_scale()
        wq = torch.clamp(ste_round(self.weight * self.mask / sw[:, None, None, None]), -WEIGHT_MAX, WEIGHT_MAX)
        sb = sw / float(1 << frac_in)
        bq = ste_round(self.bias / sb) * sb
        return F.conv2d(x, wq * sw[:, None, None, None], bq, padding=self.k // 2, groups=self.groups)

    def export(self, frac_in: int, frac_out: int) -> tuple[dict[str, np.ndarray], int]:
        with torch.no_grad():
            sw = self.weight_scale().double().cpu().numpy()
            w = np.clip(np.floor((self.weight * self.mask).double().cpu().numpy() / sw[:, None, None, None] + 0.5),
                        -WEIGHT_MAX, WEIGHT_MAX)
            b = np.floor(self.bias.double().cpu().numpy() / (sw / (1 << frac_in)) + 0.5)
        real_mult = sw * 2.0 ** (frac_out - frac_in)  # accumulator code -> output code
        shift = int(np.clip(math.floor(math.log2(((1 << MULT_BITS) - 1) / real_mult.max())), 0, 47))
        m = np.floor(real_mult * (1 << shift) + 0.5)
        return {"w": w.astype(np.int8), "b": b.astype(np.int32), "m": m.astype(np.int32)}, shift


def _hsigmoid(x: torch.Tensor, frac: int) -> torch.Tensor:
    """ops.hard_sigmoid on real values: floor((x + 2) / 4) on the 2**-frac grid, clamped to [0, 1]."""
    one = float(1 << frac)
    return torch.clamp(ste_floor((x * one + 2 * one) / 4), 0, one) / one


def _key(layer_name: str) -> str:
    """ModuleDict keys cannot contain dots; layer names may."""
    return layer_name.replace(".", "__")


class QGraph(nn.Module):
    """Float (fake-quant) twin of an IntModel spec; layer ops as documented in mlzip.nn.model."""

    def __init__(self, spec: dict[str, Any], masks: dict[str, np.ndarray] | None = None):
        super().__init__()
        self.spec = copy.deepcopy(spec)
        self.convs = nn.ModuleDict()
        self.frac: dict[str, int] = {"input": int(spec["input"]["frac"])}
        self.chan: dict[str, int] = {"input": int(spec["input"]["channels"])}
        for layer in self.spec["layers"]:
            name, src = layer["name"], layer["src"]
            srcs = src if isinstance(src, list) else [src]
            if layer["op"] == "conv":
                mask = (masks or {}).get(name)
                if mask is None and "mask" in layer:
                    mask = ops.named_mask(layer["mask"], layer["k"])
                self.convs[_key(name)] = QConv(self.chan[src], layer["cout"], layer["k"], layer["groups"], mask)
                self.frac[name], self.chan[name] = int(layer["frac"]), int(layer["cout"])
            elif layer["op"] == "gru":  # its recurrent product is a 1x1 conv hidden -> 3*hidden
                self.convs[_key(name)] = QConv(layer["hidden"], 3 * layer["hidden"], 1, 1)
                self.frac[name], self.chan[name] = self.frac[src], int(layer["hidden"])
            elif layer["op"] == "concat":
                self.frac[name], self.chan[name] = self.frac[srcs[0]], sum(self.chan[s] for s in srcs)
            elif layer["op"] == "slice":
                self.frac[name], self.chan[name] = self.frac[src], layer["stop"] - layer["start"]
            else:
                self.frac[name] = int(layer.get("frac", self.frac[srcs[0]]))
                self.chan[name] = self.chan[srcs[0]]

    def forward(self, x_codes: torch.Tensor) -> dict[str, torch.Tensor]:
        """x_codes: integer-valued float [N, C, H, W] input codes. Returns outputs as real values."""
        inp = self.spec["input"]
        vals = {"input": torch.clamp(x_codes, *inp["range"]) / float(1 << self.frac["input"])}
        for layer in self.spec["layers"]:
            vals[layer["name"]] = self._run(layer, vals)
        return {o: vals[o] for o in self.spec["outputs"]}

    def _run(self, layer: dict[str, Any], vals: dict[str, torch.Tensor]) -> torch.Tensor:
        op, name, src = layer["op"], layer["name"], layer["src"]
        f = self.frac[name]
        if op == "conv":
            y = self.convs[_key(name)](vals[src], self.frac[src])
            return fake_quant(y, f, *layer["range"])
        if op == "add":
            return fake_quant(vals[src[0]] + vals[src[1]], f, *layer["range"])
        if op == "concat":
            return torch.cat([vals[s] for s in src], dim=1)
        if op == "hsigmoid":
            return _hsigmoid(vals[src], f)
        if op == "htanh":
            return torch.clamp(vals[src], -1.0, 1.0)
        if op == "mul":
            return fake_quant(vals[src[0]] * vals[src[1]], f, *layer["range"])
        if op == "gru":
            return self._gru(layer, vals[src], f)
        if op == "slice":
            return vals[src][:, layer["start"] : layer["stop"]]
        raise ValueError(f"unknown op {op}")

    def _gru(self, layer: dict[str, Any], x: torch.Tensor, f: int) -> torch.Tensor:
        conv, hidden, (lo, hi) = self.convs[_key(layer["name"])], int(layer["hidden"]), layer["range"]
        big = 1 << 30  # the integer mul op has no clamp of its own

        def step(xt: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
            return recurrent.gru_cell(
                xt, h, hidden, lin=lambda v: fake_quant(conv(v, f), f, lo, hi), gate=lambda v: _hsigmoid(v, f),
                tanh=lambda v: torch.clamp(v, -1.0, 1.0), mul=lambda a, b: fake_quant(a * b, f, -big, big))

        return recurrent.row_scan(x, hidden, bool(layer.get("reverse", False)), step, lambda xs: torch.cat(xs, 3))

    def export(self) -> IntModel:
        spec = copy.deepcopy(self.spec)
        tensors: dict[str, np.ndarray] = {}
        for layer in spec["layers"]:
            if layer["op"] in ("conv", "gru"):
                name = layer["name"]
                t, shift = self.convs[_key(name)].export(self.frac[layer["src"]], self.frac[name])
                layer["shift"] = shift
                tensors.update({f"{name}.{k}": v for k, v in t.items()})
        return IntModel(spec, tensors)


def int_forward_torch(model: IntModel, x: Any, device: str = "cpu") -> dict[str, np.ndarray]:
    """The integer forward pass with torch (CPU or CUDA), returned as numpy int64."""
    from mlzip.train.torch_backend import TorchBackend

    out = model.forward(x, TorchBackend(device))
    return {k: v.cpu().numpy() for k, v in out.items()}


__all__ = ["QGraph", "QConv", "fake_quant", "int_forward_torch"]
