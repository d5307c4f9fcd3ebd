"""The flip detector: which parts of a window's input a detector gave with left and right exchanged.

A supervised 1D U-Net (``UNet1d``) over the 12 input joints of a window, normalized as the prior's
inputs (``models/normalization.py``, from the joints as given), with which are present: 36 channels
in, per frame a logit per input pair (``labels: pairs``, 6: shoulders, elbows, wrists, hips, knees,
ankles) or per part (``labels: parts``, 3, ``skeleton.FLIP_PARTS``: torso, arms, legs; the shipped
detector's), each "this pair (part) is given exchanged". It sees the whole window (receptive field about +-30 frames at
3 downsamplings), so a burst of flipped frames reads as what it is: a person who cannot turn round and
back within a few frames, where the prior's encoder can read it as a person seen from behind.

With ``reconstruction`` it also reads how far each given input joint lies from the prior's reading of
the window (G(E(x)) aligned, the reconstruction error: 24 channels more, 0 where missing), the reading
the repair begins from (``latent_opt.LatentOptimizer``); trained against the prior ``prior`` names.

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


LABELS = {"parts": len(skeleton.FLIP_PARTS), "pairs": len(skeleton.INPUT_PAIRS)}  # what its logits name (FLIP_LABELS)


def part_labels(pairs: torch.Tensor) -> torch.Tensor:
    """Which parts (B, T, 3) are exchanged, from which input pairs are (B, T, 6): a part's first pair."""
    return pairs[..., [part[0] for part in skeleton.FLIP_PARTS]]


class FlipNet(UNet1d):
    """The detector's 1D U-Net: the 12 input joints and their presence (36 channels) -> logits per frame.

    ``reconstruction``: and each given joint's offset from the prior's reading (24 channels more).
    """

    def __init__(self, width: int, downsamplings: int, labels: str = "parts", reconstruction: bool = False):
        if labels not in LABELS:
            raise ValueError(f"baselines.flip_detector.labels must be one of {', '.join(LABELS)}, got {labels!r}")
        self.reconstruction = bool(reconstruction)
        super().__init__((5 if self.reconstruction else 3) * len(_INPUTS), LABELS[labels], width, downsamplings)

    def forward(self, poses: torch.Tensor, weights: torch.Tensor, reading: torch.Tensor | None = None) -> torch.Tensor:
        """Normalized poses (B, T, 21, 2) as given, weights (B, T, 21) (0: missing) -> logits (B, T, 6 or 3).

        Only presence is read, not the confidence: a detector's confident failures come at the
        confidence of its good detections, and a net that read it would learn the simulation's.
        ``reading`` (B, T, 21, 2): the prior's aligned reading of the window, for a net with ``reconstruction``.
        """
        b, t = poses.shape[:2]
        present = (weights[:, :, _INPUTS] > 0).to(poses.dtype)
        given = poses[:, :, _INPUTS] * present[..., None]
        channels = [given.reshape(b, t, -1), present]
        if self.reconstruction:
            if reading is None:
                raise ValueError("this flip detector reads the prior's reconstruction error: pass its reading")
            channels.append(((poses - reading)[:, :, _INPUTS] * present[..., None]).reshape(b, t, -1))
        x = torch.cat(channels, dim=-1).transpose(1, 2)
        return super().forward(x).transpose(1, 2)


class FlipDetector(nn.Module):
    """The trained detector, loaded from a model folder with no Lightning import.

    It holds ``flip_training.FlipDetectorTraining``'s weights under the same module names; the training
    settings are accepted and unused.
    """

    def __init__(self, width: int, downsamplings: int, labels: str = "parts", reconstruction: bool = False,
                 **training: object):
        super().__init__()
        self.net = FlipNet(width, downsamplings, labels, reconstruction)

    @property
    def reconstruction(self) -> bool:
        """Whether it reads the prior's reconstruction error (``forward``'s ``reading``)."""
        return self.net.reconstruction

    def forward(self, poses: torch.Tensor, weights: torch.Tensor, reading: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (B, T, 6 or 3), one per frame and pair or part (``FlipNet.forward``)."""
        return self.net(poses, weights, reading)
