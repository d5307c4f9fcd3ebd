"""The flip detector's training (``jumps train-baseline flip-detector``).

``FlipNet`` on training windows with a detector's failures simulated on them (``corruption.detector_failures``).
With ``reconstruction`` the prior ``prior`` (a JUMPS model folder; null: the shipped one) reads each window as
given, frozen, and the net sees how far the given joints lie from that reading. ``start_from``: a flip
detector's model folder whose weights it starts from, the input channels that one lacks at zero (so it
starts from that detector's very logits).
"""
from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch
from torch.nn import functional

from jumps_pl import skeleton
from jumps_pl.methods.jumps.align import align_to
from jumps_pl.methods.jumps.flip_detector import FlipNet, part_labels
from jumps_pl.methods.registry import register_trainable
from jumps_pl.models.corruption import DETECTOR_FLIP_FRAMES, detector_failures
from jumps_pl.models.normalization import fit_normalization


@register_trainable("flip-detector", config_key="flip_detector")
class FlipDetectorTraining(pl.LightningModule):
    """The flip detector's training: ``FlipNet`` on windows with a detector's failures simulated on them."""

    def __init__(self, width: int, downsamplings: int, lr: float, missing_share_max: float, noise_max: float,
                 flip_prob: float, foreign_prob: float, outlier_share: float = 0.02, labels: str = "parts",
                 flip_mix: str = "protocol", reconstruction: bool = False, prior: str | None = None,
                 start_from: str | None = None, flip_frames: tuple[int, int] = DETECTOR_FLIP_FRAMES):
        super().__init__()
        self.save_hyperparameters()
        self.net = FlipNet(width, downsamplings, labels, reconstruction)
        # the prior whose reading it sees (frozen, not saved with it: a model folder keeps only the net)
        self._prior = [_load_prior(prior)] if reconstruction else []
        if start_from:
            _start_from(self.net, start_from)

    def forward(self, poses: torch.Tensor, weights: torch.Tensor, reading: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (B, T, 6 or 3), one per frame and pair or part (``FlipNet.forward``)."""
        return self.net(poses, weights, reading)

    def reading(self, given: torch.Tensor, present: torch.Tensor) -> torch.Tensor | None:
        """The prior's aligned reading G(E(x)) of normalized windows as given (None: no prior read)."""
        if not self._prior:
            return None
        prior = self._prior[0]
        if next(prior.parameters()).device != given.device:
            self._prior[0] = prior = prior.to(given.device)
        with torch.no_grad():
            return align_to(prior.generator(prior.encoder(given, present)), given, present)

    # --- training ---------------------------------------------------------------------------------
    def configure_optimizers(self):
        """Adam at ``lr``."""
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)

    def _loss(self, batch: dict[str, Any], generator: torch.Generator | None) -> dict[str, torch.Tensor]:
        keypoints = batch["keypoints_px"]
        x = fit_normalization(keypoints).apply(keypoints)
        hp = self.hparams
        given, weights, pairs = detector_failures(x, hp.missing_share_max, hp.noise_max, hp.flip_prob,
                                                  hp.foreign_prob, hp.outlier_share, generator,
                                                  hp.get("flip_mix", "protocol"),
                                                  tuple(hp.get("flip_frames", DETECTOR_FLIP_FRAMES)))
        parts = pairs if hp.get("labels", "parts") == "pairs" else part_labels(pairs)
        # normalized again from the joints as given, as at inference (where there is a whole torso)
        present = weights > 0
        ok = present[..., list(skeleton.TORSO_JOINTS)].all(-1).any(-1)
        if ok.any():
            again = fit_normalization(given[ok], present[ok])
            given[ok] = torch.where(present[ok][..., None], again.apply(given[ok]), 0.0)
        logits = self.net(given, weights, self.reading(given, present))
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


def _load_prior(prior: str | None):
    """The JUMPS prior (eval mode, frozen) of a model folder, a shipped model's name or null (the shipped one)."""
    from jumps_pl.methods.jumps.method import load_jumps
    from jumps_pl.model_folders import model_path

    model = load_jumps(model_path({"jumps": prior}, "jumps"))[0]
    if model.encoder is None:
        raise ValueError(f"baselines.flip_detector.prior: {prior!r} has no encoder (model.use_encoder=true needed)")
    return model.requires_grad_(False)


def _start_from(net: FlipNet, folder: str) -> None:
    """``net`` with the weights of the flip detector in ``folder``; input channels that one lacks start at 0."""
    from jumps_pl.model_folders import load_state_dict, model_path

    folder = model_path({"flip_detector": folder}, "flip_detector")  # a path, or a shipped model's name
    state = {k.removeprefix("net."): v for k, v in load_state_dict(folder).items()}
    stem = net.stem[0].weight
    given = state.get("stem.0.weight")
    if given is not None and given.shape[1] < stem.shape[1]:  # the reconstruction's channels come last
        state["stem.0.weight"] = torch.cat([given, given.new_zeros(given.shape[0], stem.shape[1] - given.shape[1],
                                                                   given.shape[2])], dim=1)
    try:
        net.load_state_dict(state)
    except RuntimeError as err:
        raise ValueError(f"baselines.flip_detector.start_from: {folder / 'weights.pt'} does not fit this detector "
                         f"({err})") from None
