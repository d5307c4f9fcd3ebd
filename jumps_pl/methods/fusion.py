"""``JUMPS + fusion``: the design change that ``jumps upsample`` runs by default (docs/evaluation.md).

The paper's latent fit (``JUMPS``, or ``JUMPS + repair`` with ``fusion.repair``), then the fit and the
observations fused by how noisy the observations are (``jumps_pl.inference.fusion``): exact inputs are
kept, noisy ones smoothed around the prior's motion, gaps follow the prior, and the added joints come
from the per-frame linear map of the fused inputs plus the share ``fusion.transfer`` of what the prior
knows beyond that map. Config: ``infer``, ``fusion``; models: ``models.jumps``, ``models.ridge``.
"""
from __future__ import annotations

import numpy as np

from jumps_pl.baselines.continuity import apply_repair
from jumps_pl.inference.fusion import FusionSettings, fuse
from jumps_pl.methods.base import Method, Prediction
from jumps_pl.methods.ridge import load_ridge


class JumpsFusion(Method):
    name = "JUMPS + fusion"
    summary = ("design change (the default): the JUMPS fit with confident failures repaired, fused with the "
               "observations by how noisy they are; added joints by the linear map plus the prior (fusion)")
    models = ("jumps", "ridge")
    sections = ("infer", "fusion")

    def __init__(self, config: dict, loader):
        super().__init__(config, loader)
        self.fit = loader.method("JUMPS + repair" if config["fusion"]["repair"] else "JUMPS")
        self.ridge = loader.model("ridge", load_ridge)
        self.settings = FusionSettings.from_config(config["fusion"])

    @property
    def window(self) -> int:
        return self.fit.window

    @property
    def fps(self) -> float:
        return self.fit.fps

    def _added_map(self, poses_px: np.ndarray) -> np.ndarray:
        return self.ridge.predict(poses_px, np.ones(poses_px.shape[:3], dtype=bool))

    def _fused(self, fit: Prediction, keypoints_px, mask, confidence) -> Prediction:
        weights = np.asarray(mask, dtype=np.float32) * (1.0 if confidence is None else np.asarray(confidence))
        keypoints, weights = apply_repair(keypoints_px, weights, fit.extras["repair"])
        out, _ = fuse(keypoints, weights, fit.keypoints, self._added_map, self.settings)
        return Prediction(out, fit.extras)

    def predict_windows(self, keypoints_px, mask, confidence=None) -> Prediction:
        return self._fused(self.fit.predict_windows(keypoints_px, mask, confidence), keypoints_px, mask, confidence)

    def predict_track(self, keypoints_px, mask, confidence=None, progress=None) -> Prediction:
        """The fit of the whole track (windows blended), then the fusion over the whole track at once."""
        fit = self.fit.predict_track(keypoints_px, mask, confidence, progress)
        one = Prediction(fit.keypoints[None], {k: v[None] for k, v in fit.extras.items()})
        fused = self._fused(one, keypoints_px[None], mask[None], None if confidence is None else confidence[None])
        return Prediction(fused.keypoints[0], fit.extras)
