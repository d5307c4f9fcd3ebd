"""The filters users compare with (MMPose's smoothing filters), each after the per-frame ridge map.

The same ridge map for the added joints as ``ridge+savgol``; the filters are in ``jumps_pl.smoothing``.

- ``ridge+one-euro``: the One-Euro filter, online and causal;
- ``ridge+gaussian``: an offline Gaussian filter along time (``sigma`` frames, edges held).

Their parameters (``baselines.one_euro``, ``baselines.gaussian``) were chosen on the validation split
(``experiments/sweeps/filters-val.yaml``).
"""
from __future__ import annotations

from jumps_pl.methods.registry import register_method
from jumps_pl.methods.ridge.method import Ridge
from jumps_pl.prediction import Prediction
from jumps_pl.smoothing import gaussian, one_euro


@register_method
class RidgeOneEuro(Ridge):
    """The ridge map, then the One-Euro filter."""

    name, slug = "ridge+one-euro", "ridge-one-euro"

    def predict_windows(self, keypoints_px, mask, confidence=None, report=None) -> Prediction:
        """The ridge map, filtered causally."""
        cfg = self.config["baselines"]["one_euro"]
        return Prediction(one_euro(self.ridge.predict(keypoints_px, mask), self.config["data"]["fps"],
                                   cfg["min_cutoff"], cfg["beta"], cfg["d_cutoff"]))


@register_method
class RidgeGaussian(Ridge):
    """The ridge map, then a Gaussian filter along time."""

    name, slug = "ridge+gaussian", "ridge-gaussian"

    def predict_windows(self, keypoints_px, mask, confidence=None, report=None) -> Prediction:
        """The ridge map, smoothed."""
        sigma = self.config["baselines"]["gaussian"]["sigma"]
        return Prediction(gaussian(self.ridge.predict(keypoints_px, mask), sigma))
