"""The gan family's training: the CNN generator's rate loss plus an adversarial term.

A patch discriminator (float torch, training only; it is never exported) sees the context features
and either the true targets (bit lengths and signs per block) or the generator's predictions, and
says per block whether they look real. The generator gets weight x the non-saturating adversarial
loss beside its masked MSE; at inference it is an ordinary predictor in the same integer runtime.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

TARGET_SCALE = 0.25  # bit lengths 0..11 -> about 0..3, like the scaled features
# The adversarial weight the gan models use (study/gan_weight_sweep.json: 0.3 and 1.0 cost bits, 0.03 does not).
DEFAULT_WEIGHT = 0.03


class Discriminator(nn.Module):
    def __init__(self, in_channels: int, target_channels: int, width: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_channels + target_channels, width, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, width, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 1, 1),
        )

    def forward(self, context: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([context, targets * TARGET_SCALE], dim=1))


def _masked_bce(logits: torch.Tensor, real: bool, mask: torch.Tensor) -> torch.Tensor:
    label = torch.full_like(logits, 1.0 if real else 0.0)
    loss = F.binary_cross_entropy_with_logits(logits, label, reduction="none")
    return (loss * mask).sum() / mask.sum().clamp_min(1)


class AdversarialTerm:
    """loop.Adversary for the gan family. `weight` scales the generator's adversarial loss."""

    def __init__(self, in_channels: int, target_channels: int, in_frac: int, weight: float, lr: float = 1e-3,
                 width: int = 32):
        self.disc = Discriminator(in_channels, target_channels, width)
        self.opt = torch.optim.Adam(self.disc.parameters(), lr=lr, betas=(0.5, 0.999))
        self.scale = 1.0 / (1 << in_frac)
        self.weight = weight
        self.gen_loss: list[float] = []  # adversarial loss of the generator, per step
        self.disc_loss: list[float] = []

    def generator_term(self, x: torch.Tensor, pred: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        loss = _masked_bce(self.disc(x * self.scale, pred), True, mask)
        self.gen_loss.append(float(loss.detach()))
        return self.weight * loss

    def update(self, x: torch.Tensor, pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> None:
        ctx = x * self.scale
        loss = _masked_bce(self.disc(ctx, target), True, mask) + _masked_bce(self.disc(ctx, pred), False, mask)
        self.opt.zero_grad()  # also drops the gradients the generator's term left here
        loss.backward()
        self.opt.step()
        self.disc_loss.append(float(loss.detach()))
