"""Network building blocks shared by the method families.

``UNet1d``: the supervised networks beside the prior (``masked-conv-ae``, the flip detector): stride-2
stages down and back up with additive skip connections, so they keep frame-level detail.
"""
from __future__ import annotations

import torch
from torch import nn


def count_parameters(module: nn.Module) -> int:
    """The number of parameters (weights) of ``module``, trainable or not."""
    return sum(p.numel() for p in module.parameters())


class ConvBlock(nn.Module):
    """Two k3 convolutions with a residual connection."""

    def __init__(self, width: int):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv1d(width, width, 3, padding=1), nn.LeakyReLU(0.2),
                                  nn.Conv1d(width, width, 3, padding=1))
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, width, T) -> (B, width, T)."""
        return self.act(x + self.conv(x))


class UNet1d(nn.Module):
    """(B, in_channels, T) -> (B, out_channels, T), T a multiple of 2^downsamplings."""

    def __init__(self, in_channels: int, out_channels: int, width: int, downsamplings: int):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv1d(in_channels, width, 5, padding=2), nn.LeakyReLU(0.2), ConvBlock(width))
        self.down = nn.ModuleList([nn.Sequential(nn.Conv1d(width, width, 4, stride=2, padding=1),
                                                 nn.LeakyReLU(0.2), ConvBlock(width)) for _ in range(downsamplings)])
        self.up = nn.ModuleList([nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                               nn.Conv1d(width, width, 3, padding=1), nn.LeakyReLU(0.2))
                                 for _ in range(downsamplings)])
        self.merge = nn.ModuleList([ConvBlock(width) for _ in range(downsamplings)])
        self.head = nn.Conv1d(width, out_channels, 3, padding=1)
        self.factor = 2 ** downsamplings

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, in_channels, T) -> (B, out_channels, T); T not a multiple of 2^downsamplings is an error."""
        if x.shape[-1] % self.factor:
            raise ValueError(f"window length {x.shape[-1]} must be a multiple of {self.factor}")
        skips = [self.stem(x)]
        for stage in self.down:
            skips.append(stage(skips[-1]))
        h = skips.pop()
        for up, merge in zip(self.up, self.merge, strict=True):
            h = merge(up(h) + skips.pop())
        return self.head(h)
