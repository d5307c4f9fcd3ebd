"""Pose normalization, in one place: the networks see root-centred, scale-normalized windows.

For a window of keypoints (B, T, 21, 2) in pixels, with a mask of present entries (B, T, 21):

- centre c (B, 2): the mean over frames of the hip midpoint (left_hip + right_hip) / 2;
- scale s (B,): the mean over frames of the torso length, |shoulder midpoint - hip midpoint|;
- normalized = (keypoints - c) / s, and back: keypoints = normalized * s + c.

Both are taken over the COCO input joints only, where present, so the transform of an incomplete
low-resolution input is the one its complete version would get. The trajectory within the window is
kept (the centre is per window, not per frame), so the model learns root motion too.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from jumps_pl import skeleton

_HIPS, _SHOULDERS = skeleton.HIP_JOINTS, skeleton.SHOULDER_JOINTS


@dataclass
class Normalization:
    """An invertible per-window similarity: ``centre_px`` (B, 2), ``scale_px`` (B,)."""

    centre_px: torch.Tensor
    scale_px: torch.Tensor

    def apply(self, keypoints_px: torch.Tensor) -> torch.Tensor:
        """(B, T, J, 2) pixels to normalized units."""
        return (keypoints_px - self.centre_px[:, None, None]) / self.scale_px[:, None, None, None]

    def invert(self, normalized: torch.Tensor) -> torch.Tensor:
        """(B, T, J, 2) normalized units to pixels."""
        return normalized * self.scale_px[:, None, None, None] + self.centre_px[:, None, None]


def fit_normalization(keypoints_px: torch.Tensor, mask: torch.Tensor | None = None) -> Normalization:
    """The window's normalization from its present hip and shoulder keypoints (B, T, 21, 2)."""
    if mask is None:
        mask = torch.ones(keypoints_px.shape[:-1], dtype=torch.bool, device=keypoints_px.device)
    hips, hips_ok = _midpoint(keypoints_px, mask, _HIPS)
    shoulders, shoulders_ok = _midpoint(keypoints_px, mask, _SHOULDERS)
    centre = _masked_mean(hips, hips_ok)
    both = hips_ok & shoulders_ok
    torso = torch.linalg.vector_norm(shoulders - hips, dim=-1, keepdim=True)
    scale = _masked_mean(torso, both)[:, 0]
    if not bool((hips_ok.any(dim=1) & both.any(dim=1)).all()):
        raise ValueError("normalization needs, in every window, a frame with both hips and both shoulders present")
    return Normalization(centre, scale.clamp_min(1e-6))


def _midpoint(keypoints: torch.Tensor, mask: torch.Tensor, pair: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    ok = mask[..., pair[0]] & mask[..., pair[1]]
    return 0.5 * (keypoints[..., pair[0], :] + keypoints[..., pair[1], :]), ok


def _masked_mean(values: torch.Tensor, ok: torch.Tensor) -> torch.Tensor:
    """Mean over frames of (B, T, C) where ``ok`` (B, T)."""
    weights = ok.to(values.dtype)[..., None]
    return (values * weights).sum(1) / weights.sum(1).clamp_min(1.0)
