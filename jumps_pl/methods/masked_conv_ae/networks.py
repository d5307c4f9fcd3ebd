"""The infill network of ``masked-conv-ae`` as inference uses it.

A 1D U-Net from masked, normalized windows to the 21 joints; its training is ``model.py``.
"""
from __future__ import annotations

import torch
from torch import nn

from jumps_pl import skeleton
from jumps_pl.models.networks import UNet1d
from jumps_pl.models.normalization import fit_normalization

J = skeleton.NUM_JOINTS


class MaskedConvUNet(UNet1d):
    """The 1D U-Net: masked coordinates and the mask (63 channels) -> the 21 joints (42 channels)."""

    def __init__(self, width: int, downsamplings: int):
        super().__init__(3 * J, 2 * J, width, downsamplings)

    def forward(self, poses: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Normalized poses (B, T, 21, 2), mask (B, T, 21) -> (B, T, 21, 2); T a multiple of 2^D."""
        b, t = poses.shape[:2]
        present = mask.to(poses.dtype)
        x = torch.cat([(poses * present[..., None]).reshape(b, t, -1), present], dim=-1).transpose(1, 2)
        return super().forward(x).transpose(1, 2).reshape(b, t, J, 2)


def predict_px(net: MaskedConvUNet, keypoints_px: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """21 joints (B, T, 21, 2) px from the present entries of (B, T, 21, 2) px, in the window's normalization."""
    mask = mask.bool()
    norm = fit_normalization(keypoints_px, mask)
    x = torch.where(mask[..., None], norm.apply(keypoints_px), torch.zeros_like(keypoints_px))
    return norm.invert(net(x, mask))


class MaskedConvNet(nn.Module):
    """The trained network, loaded from a model folder with no Lightning import.

    It holds ``model.MaskedConvAE``'s weights under the same module names; the training settings are
    accepted and unused.
    """

    def __init__(self, width: int, downsamplings: int, **training: float):
        super().__init__()
        self.net = MaskedConvUNet(width, downsamplings)

    def predict_px(self, keypoints_px: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """21 joints (B, T, 21, 2) px from the present entries of (B, T, 21, 2) px."""
        return predict_px(self.net, keypoints_px, mask)
