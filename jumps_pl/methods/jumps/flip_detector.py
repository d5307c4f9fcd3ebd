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
``jumps train-baseline flip-detector`` trains one (``flip_training.py``); the shipped one is
``jumps_pl/pretrained/flip-detector``.
"""
from __future__ import annotations

import torch
from torch import nn

from jumps_pl import skeleton
from jumps_pl.models.networks import UNet1d

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


class FlipDetector(nn.Module):
    """The trained detector, loaded from a model folder with no Lightning import.

    It holds ``flip_training.FlipDetectorTraining``'s weights under the same module names; the training
    settings are accepted and unused.
    """

    def __init__(self, width: int, downsamplings: int, **training: float):
        super().__init__()
        self.net = FlipNet(width, downsamplings)

    def forward(self, poses: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Logits (B, T, 3), one per frame and part (``FlipNet.forward``)."""
        return self.net(poses, weights)
