"""`masked-conv-ae`: a supervised temporal convolutional network from masked, low-resolution windows to 21 joints.

In the spirit of convolutional motion infilling (Kaufmann et al., 3DV 2020).

Input: a window normalized as JUMPS's (``jumps_pl.models.normalization``), the masked coordinates and
the mask itself (63 channels). Output: the 21 joints (42 channels). A 1D U-Net: ``downsamplings``
stride-2 stages and back, with additive skip connections, so it keeps frame-level detail.

Training masks every window as a detector would leave it: the 9 added joints always, each input joint
in bursts of 5 to 20 frames covering a random share (up to ``missing_share_max``), and, with
probability ``noise_prob``, Gaussian noise (sigma up to ``noise_max`` torso lengths) on what is left.
Loss: squared position error per frame plus ``velocity_weight`` times that of the velocities.
"""
from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch

from jumps_pl import skeleton
from jumps_pl.methods.masked_conv_ae.networks import MaskedConvUNet, predict_px
from jumps_pl.methods.registry import register_trainable
from jumps_pl.models.corruption import burst_gaps
from jumps_pl.models.normalization import fit_normalization

J = skeleton.NUM_JOINTS


@register_trainable("masked-conv-ae", config_key="masked_conv_ae")
class MaskedConvAE(pl.LightningModule):
    """``MaskedConvUNet`` trained on windows masked (and made noisy) as a detector would leave them."""

    def __init__(self, width: int, downsamplings: int, lr: float, velocity_weight: float,
                 missing_share_max: float, noise_prob: float, noise_max: float):
        super().__init__()
        self.save_hyperparameters()
        self.net = MaskedConvUNet(width, downsamplings)

    def predict_px(self, keypoints_px: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """21 joints (B, T, 21, 2) px from the present entries of (B, T, 21, 2) px."""
        return predict_px(self.net, keypoints_px, mask)

    # --- training ---------------------------------------------------------------------------------
    def configure_optimizers(self):
        """Adam at ``lr``."""
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)

    def _training_mask(self, shape: tuple[int, int, int], device) -> torch.Tensor:
        b, t, _ = shape
        mask = torch.zeros(b, t, J, dtype=torch.bool, device=device)
        mask[..., torch.as_tensor(skeleton.INPUT_INDICES, device=device)] = True
        share = torch.rand(b, 1, device=device) * self.hparams.missing_share_max
        gap = burst_gaps(share, 12, t, device)  # per (window, input joint), gaps of 5..20 frames
        mask[..., torch.as_tensor(skeleton.INPUT_INDICES, device=device)] &= ~gap
        return mask

    def _loss(self, batch: dict[str, Any], train: bool) -> tuple[torch.Tensor, torch.Tensor]:
        keypoints = batch["keypoints_px"]
        norm = fit_normalization(keypoints)
        target = norm.apply(keypoints)
        if train:
            mask = self._training_mask(target.shape[:3], target.device)
            noisy = torch.rand(len(target), 1, 1, 1, device=target.device) < self.hparams.noise_prob
            sigma = torch.rand(len(target), 1, 1, 1, device=target.device) * self.hparams.noise_max
            given = target + noisy * sigma * torch.randn_like(target)
        else:
            mask = torch.zeros(target.shape[:3], dtype=torch.bool, device=target.device)
            mask[..., torch.as_tensor(skeleton.INPUT_INDICES, device=target.device)] = True
            given = target
        pred = self.net(torch.where(mask[..., None], given, torch.zeros_like(given)), mask)
        position = (pred - target).pow(2).sum((-2, -1)).mean()
        velocity = ((pred[:, 1:] - pred[:, :-1]) - (target[:, 1:] - target[:, :-1])).pow(2).sum((-2, -1)).mean()
        error_head = (torch.linalg.vector_norm(norm.invert(pred) - keypoints, dim=-1)
                      / batch["head_size_px"][..., None]).mean()
        return position + self.hparams.velocity_weight * velocity, error_head

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        """The loss on a batch masked as for training (added joints, burst gaps, noise); logs it and the error."""
        loss, error = self._loss(batch, train=True)
        self.log_dict({"train/loss": loss, "train/error_head": error}, batch_size=len(batch["keypoints_px"]))
        return loss

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        """Loss and error in head sizes on the upsampling task: the 12 input joints given, nothing else."""
        loss, error = self._loss(batch, train=False)
        self.log_dict({"val/loss": loss, "val/error_head_upsampling": error}, prog_bar=True,
                      batch_size=len(batch["keypoints_px"]))
