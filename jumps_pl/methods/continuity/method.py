"""``continuity+ridge+savgol``: the continuity heuristic (``heuristic.py``) in front of ``ridge+savgol``."""
from __future__ import annotations

from jumps_pl.methods.continuity.heuristic import relabel_by_continuity
from jumps_pl.methods.registry import register_method
from jumps_pl.methods.ridge.method import Ridge
from jumps_pl.prediction import Prediction
from jumps_pl.smoothing import savgol


@register_method
class ContinuityRidgeSavgol(Ridge):
    """Flips and outlier frames repaired by continuity, then the ridge map, smoothed."""

    name, slug = "continuity+ridge+savgol", "continuity-ridge-savgol"

    def predict_windows(self, keypoints_px, mask, confidence=None, report=None) -> Prediction:
        """The repaired input through ``ridge+savgol``, with what was repaired."""
        cfg, sg = self.config["baselines"]["continuity"], self.config["baselines"]["savgol"]
        repaired, kept, status = relabel_by_continuity(keypoints_px, mask, cfg["ratio"], cfg["outlier"], cfg["lone"])
        out = savgol(self.ridge.predict(repaired, kept), sg["window"], sg["order"])
        return Prediction(out, repair=status)
