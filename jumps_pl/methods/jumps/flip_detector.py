"""The flip detector: which parts of a window's input a detector gave with left and right exchanged.

A supervised 1D U-Net (``UNet1d``) over the 12 input joints of a window, normalized as the prior's
inputs (``models/normalization.py``, from the joints as given), with which are present: 36 channels
in, per frame 3 logits out, one per part (``skeleton.FLIP_PARTS``: torso, arms, legs),
each "this part is given exchanged". It sees the whole window (receptive field about +-30 frames at
3 downsamplings), so a burst of flipped frames reads as what it is: a person who cannot turn round and
back within a few frames, where the prior's encoder can read it as a person seen from behind.

Trained on the training split's windows with a detector's failures put on them
(``corruption.detector_failures``), binary cross-entropy per frame and part. Its log-probabilities are
one more term of the window labelling's cost (``relabel.py``, ``infer.repair.detector``).
``jumps train-baseline flip-detector`` trains one; the shipped one is ``jumps_pl/pretrained/flip-detector``.
"""
from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch
from torch.nn import functional

from jumps_pl import skeleton
from jumps_pl.methods.registry import register_trainable
from jumps_pl.models.corruption import detector_failures
from jumps_pl.models.networks import UNet1d
from jumps_pl.models.normalization import fit_normalization

_INPUTS = torch.as_tensor(skeleton.INPUT_INDICES)


class FlipNet(UNet1d):
    """The detector's 1D U-Net: the 12 input joints and their presence (36 channels) -> 3 part logits per frame."""

    def __init__(self, width: int, downsamplings: int):
        super().__init__(3 * len(_INPUTS), len(skeleton.FLIP_PARTS), width, downsamplings)

    def forward(self, poses: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Normalized poses (B, T, 21, 2) as given, weights (B, T, 21) (0: missing) -> logits (B, T, 3).

        Only presence is read, not the confidence: a detector's confident failures come at the
        confidence of its good detections, and a net that read it would learn the simulation's.
        """
        b, t = poses.shape[:2]
        present = (weights[:, :, _INPUTS] > 0).to(poses.dtype)
        given = poses[:, :, _INPUTS] * present[..., None]
        x = torch.cat([given.reshape(b, t, -1), present], dim=-1).transpose(1, 2)
        return super().forward(x).transpose(1, 2)


@register_trainable("flip-detector", config_key="flip_detector",
                    summary="the flip detector the default method's repair reads (baselines.flip_detector)")
class FlipDetector(pl.LightningModule):
    """The flip detector's training: ``FlipNet`` on windows with a detector's failures simulated on them."""

    def __init__(self, width: int, downsamplings: int, lr: float, missing_share_max: float, noise_max: float,
                 flip_prob: float, foreign_prob: float, outlier_share: float = 0.02):
        super().__init__()
        self.save_hyperparameters()
        self.net = FlipNet(width, downsamplings)

    def forward(self, poses: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Logits (B, T, 3), one per frame and part (``FlipNet.forward``)."""
        return self.net(poses, weights)

    # --- training ---------------------------------------------------------------------------------
    def configure_optimizers(self):
        """Adam at ``lr``."""
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)

    def _loss(self, batch: dict[str, Any], generator: torch.Generator | None) -> dict[str, torch.Tensor]:
        keypoints = batch["keypoints_px"]
        x = fit_normalization(keypoints).apply(keypoints)
        hp = self.hparams
        given, weights, parts = detector_failures(x, hp.missing_share_max, hp.noise_max, hp.flip_prob,
                                                  hp.foreign_prob, hp.outlier_share, generator)
        # normalized again from the joints as given, as at inference (where there is a whole torso)
        present = weights > 0
        ok = present[..., list(skeleton.TORSO_JOINTS)].all(-1).any(-1)
        if ok.any():
            again = fit_normalization(given[ok], present[ok])
            given[ok] = torch.where(present[ok][..., None], again.apply(given[ok]), 0.0)
        logits = self.net(given, weights)
        target = parts.to(logits.dtype)
        found = (logits > 0) & parts
        return {"loss": functional.binary_cross_entropy_with_logits(logits, target),
                "recall": found.sum() / parts.sum().clamp_min(1),
                "false_positive": ((logits > 0) & ~parts).to(logits.dtype).mean()}

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        """The loss on a batch with freshly drawn failures; logs loss, recall and false positives (``train/``)."""
        logs = self._loss(batch, None)
        self.log_dict({f"train/{k}": v for k, v in logs.items()}, batch_size=len(batch["keypoints_px"]))
        return logs["loss"]

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        """Loss, recall and false positives (``val/``) with the same failures every epoch (seeded by batch)."""
        with torch.random.fork_rng():  # the same failures every epoch (the gaps draw from the global RNG)
            torch.manual_seed(batch_idx)
            logs = self._loss(batch, torch.Generator().manual_seed(batch_idx))
        self.log_dict({f"val/{k}": v for k, v in logs.items()}, prog_bar=True, batch_size=len(batch["keypoints_px"]))
