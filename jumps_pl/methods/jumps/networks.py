"""The three networks of JUMPS, temporal 1D convolutions over (B, T, J, 2) pose windows.

With T = 64, J = 21, width W = 128, ``downsamplings`` D = 3, latent channels Z = 16 (the defaults):

- ``Encoder``: (B, T, J, 2) + mask (B, T, J) -> z (B, Z, T / 2^D) = (B, 16, 8). Input channels are the
  masked coordinates and the mask itself (2J + J = 63), so it encodes incomplete windows too.
  Conv(63->W, k3) then D x [Conv(W->W, k4, stride 2) + residual Conv(W->W, k3)], Conv(W->Z, k3).
- ``Generator`` (the decoder): z (B, Z, T / 2^D) -> (B, T, J, 2). Conv(Z->W, k3), then
  D x [nearest upsampling x2, Conv(W->W, k3) + residual Conv(W->W, k3)], Conv(W->2J, k3).
- ``Critic``: (B, T, J, 2) -> (B,) scores. As the encoder without the mask channels, then a linear
  layer over the flattened (W, T / 2^D) features. No normalization layers (gradient penalty).

LeakyReLU(0.2) everywhere. Prior P_z: N(0, I) over the latent sequence (B, Z, T / 2^D).
Parameter counts at the defaults: encoder 375k, generator 318k, critic 362k
(``count_parameters``); the GPU preset (W = 256, Z = 32): 1.45M, 1.24M, 1.41M.
"""
from __future__ import annotations

import torch
from torch import nn

from jumps_pl import skeleton


class _Residual(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.conv = nn.Conv1d(width, width, 3, padding=1)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.act(self.conv(x))


def _down_stack(in_channels: int, width: int, downsamplings: int) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv1d(in_channels, width, 3, padding=1), nn.LeakyReLU(0.2)]
    for _ in range(downsamplings):
        layers += [nn.Conv1d(width, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2), _Residual(width)]
    return nn.Sequential(*layers)


def _to_channels(poses: torch.Tensor) -> torch.Tensor:
    """(B, T, J, C) -> (B, J*C, T)."""
    b, t = poses.shape[:2]
    return poses.reshape(b, t, -1).transpose(1, 2)


class Encoder(nn.Module):
    """E: a window (B, T, J, 2) and its mask (B, T, J) -> latent sequence z (B, Z, T / 2^D)."""

    def __init__(self, joints: int, width: int, latent_channels: int, downsamplings: int):
        super().__init__()
        self.body = _down_stack(3 * joints, width, downsamplings)
        self.head = nn.Conv1d(width, latent_channels, 3, padding=1)

    def forward(self, poses: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Poses (B, T, J, 2) normalized, mask (B, T, J) True where present -> z (B, Z, T')."""
        if mask is None:
            mask = torch.ones(poses.shape[:-1], dtype=torch.bool, device=poses.device)
        present = mask.to(poses.dtype)
        x = torch.cat([_to_channels(poses * present[..., None]), _to_channels(present[..., None])], dim=1)
        return self.head(self.body(x))


class Generator(nn.Module):
    """G, the decoder: latent sequence z (B, Z, T / 2^D) -> window (B, T, J, 2), normalized units."""

    def __init__(self, joints: int, width: int, latent_channels: int, downsamplings: int):
        super().__init__()
        self.joints = joints
        layers: list[nn.Module] = [nn.Conv1d(latent_channels, width, 3, padding=1), nn.LeakyReLU(0.2)]
        for _ in range(downsamplings):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv1d(width, width, 3, padding=1),
                       nn.LeakyReLU(0.2), _Residual(width)]
        layers.append(nn.Conv1d(width, 2 * joints, 3, padding=1))
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Z (B, Z, T') -> poses (B, T, J, 2), normalized units."""
        out = self.body(z)
        return out.transpose(1, 2).reshape(z.shape[0], -1, self.joints, 2)


class Critic(nn.Module):
    """D, the WGAN critic: window (B, T, J, 2) -> score (B,), higher for more realistic motion."""

    def __init__(self, joints: int, width: int, downsamplings: int, window: int):
        super().__init__()
        if window % (2 ** downsamplings):
            raise ValueError(f"window {window} must be divisible by 2^downsamplings = {2 ** downsamplings}")
        self.body = _down_stack(2 * joints, width, downsamplings)
        self.head = nn.Linear(width * (window // 2 ** downsamplings), 1)

    def forward(self, poses: torch.Tensor) -> torch.Tensor:
        """Poses (B, T, J, 2) normalized -> scores (B,)."""
        return self.head(self.body(_to_channels(poses)).flatten(1))[:, 0]


def prior_networks(window: int, width: int, latent_channels: int, downsamplings: int, use_encoder: bool
                   ) -> tuple[Generator, Critic, Encoder | None]:
    """G, D and (with ``use_encoder``) E of a prior, as training (``JumpsGAN``) and inference build them."""
    joints = skeleton.NUM_JOINTS
    return (Generator(joints, width, latent_channels, downsamplings), Critic(joints, width, downsamplings, window),
            Encoder(joints, width, latent_channels, downsamplings) if use_encoder else None)


class JumpsPrior(nn.Module):
    """The trained prior as inference uses it: G, D and (with ``use_encoder``) E, without the training.

    Its weights are a ``JumpsGAN``'s (the same module names), so a model folder or checkpoint loads into
    it with no Lightning import.
    """

    def __init__(self, window: int, width: int, latent_channels: int, downsamplings: int, use_encoder: bool):
        super().__init__()
        self.window = window
        self.generator, self.critic, self.encoder = prior_networks(window, width, latent_channels, downsamplings,
                                                                   use_encoder)
        self.latent_shape = (latent_channels, window // 2 ** downsamplings)

    @classmethod
    def from_config(cls, model: dict) -> JumpsPrior:
        """The prior of a ``model.*`` section (its training settings are not needed)."""
        return cls(*(model[key] for key in ("window", "width", "latent_channels", "downsamplings", "use_encoder")))

    @property
    def device(self) -> torch.device:
        """Where the weights are."""
        return next(self.parameters()).device

    def sample_prior(self, batch_size: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Z ~ P_z = N(0, I), shape (B, Z, T')."""
        return torch.randn(batch_size, *self.latent_shape, device=self.device, generator=generator)
