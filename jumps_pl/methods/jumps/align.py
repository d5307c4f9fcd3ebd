"""Closed-form 2D similarity alignment (scale, rotation, translation), weighted, batched, differentiable.

Used by latent optimization to align G(z) to the present input joints before the contextual loss.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Similarity:
    """x ~ scale * R(angle) @ y + translation, per window: scale (B,), angle (B,), translation (B, 2)."""

    scale: torch.Tensor
    angle: torch.Tensor
    translation: torch.Tensor

    def apply(self, points: torch.Tensor) -> torch.Tensor:
        """Transform points (B, ..., 2)."""
        c, s = torch.cos(self.angle), torch.sin(self.angle)
        rotation = torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)  # (B, 2, 2)
        flat = points.reshape(points.shape[0], -1, 2)
        out = self.scale[:, None, None] * flat @ rotation.transpose(1, 2) + self.translation[:, None]
        return out.reshape(points.shape)


def fit_similarity(source: torch.Tensor, target: torch.Tensor, weights: torch.Tensor) -> Similarity:
    """Least-squares similarity taking ``source`` onto ``target`` (B, N, 2), weights (B, N) >= 0.

    Minimizes sum_i w_i ||s R y_i + t - x_i||^2 in closed form (Umeyama, without reflections): with
    weighted centroids removed, angle = atan2(sum w (y x x), sum w (y . x)) and
    s = sum w (x . R y) / sum w |y|^2.
    """
    w = weights.to(source.dtype)
    total = w.sum(dim=1, keepdim=True).clamp_min(1e-12)
    mu_y = (w[..., None] * source).sum(1) / total
    mu_x = (w[..., None] * target).sum(1) / total
    y, x = source - mu_y[:, None], target - mu_x[:, None]
    dot = (w * (y * x).sum(-1)).sum(1)
    cross = (w * (y[..., 0] * x[..., 1] - y[..., 1] * x[..., 0])).sum(1)
    angle = torch.atan2(cross, dot)
    spread = (w * y.pow(2).sum(-1)).sum(1).clamp_min(1e-12)
    scale = torch.sqrt(dot.pow(2) + cross.pow(2)) / spread
    partial = Similarity(scale, angle, torch.zeros_like(mu_x))
    translation = mu_x - partial.apply(mu_y[:, None])[:, 0]
    return Similarity(scale, angle, translation)


def align_to(poses: torch.Tensor, given: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``poses`` (B, T, J, 2) similarity-aligned to the entries of ``given`` (B, T, J, 2) present in ``mask``."""
    b = len(poses)
    return fit_similarity(poses.reshape(b, -1, 2), given.reshape(b, -1, 2), mask.float().reshape(b, -1)).apply(poses)
