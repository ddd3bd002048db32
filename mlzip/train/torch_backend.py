"""Runs mlzip.nn.IntModel's integer graph with torch (CPU or CUDA): must equal the numpy runtime bit for bit.

Convolutions are float64 on integer values (sums < 2**52, checked at model load), hence exact on any
device and thread count; TF32 never applies to float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F


class TorchBackend:
    name = "torch"

    def __init__(self, device: str | torch.device = "cpu"):
        self.device = torch.device(device)

    def asint(self, x: Any) -> torch.Tensor:
        if isinstance(x, np.ndarray):
            x = torch.from_numpy(np.ascontiguousarray(x, dtype=np.int64))
        return torch.as_tensor(x, dtype=torch.int64, device=self.device)

    @staticmethod
    def clamp(x: torch.Tensor, lo: int, hi: int) -> torch.Tensor:
        return torch.clamp(x, lo, hi)

    @staticmethod
    def concat(xs: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(xs, dim=1)

    @staticmethod
    def concat_width(xs: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(xs, dim=3)

    def conv(self, x: torch.Tensor, w: np.ndarray, b: np.ndarray, groups: int) -> torch.Tensor:
        wt = torch.as_tensor(np.asarray(w, dtype=np.float64), device=self.device)
        bt = torch.as_tensor(np.asarray(b, dtype=np.float64), device=self.device)
        acc = F.conv2d(x.to(torch.float64), wt, bt, padding=w.shape[-1] // 2, groups=groups)
        return acc.to(torch.int64)

    def vector(self, v: np.ndarray, like: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(np.asarray(v, dtype=np.int64), device=self.device)[None, :, None, None]
