"""``ridge`` and ``ridge+savgol``: a per-frame ridge map from the input joints to all 21.

``ridge+savgol`` then smooths along time with a Savitzky-Golay filter. Config: ``baselines.savgol``;
model: ``models.ridge``.
"""
from __future__ import annotations

from pathlib import Path

from jumps_pl.methods.base import Method
from jumps_pl.methods.registry import register_method
from jumps_pl.methods.ridge.model import RidgeBaseline
from jumps_pl.model_folders import read_model_config
from jumps_pl.prediction import Prediction
from jumps_pl.smoothing import savgol


def load_ridge(folder: str | Path) -> RidgeBaseline:
    """The ridge map of a model folder (``jumps train-baseline ridge``)."""
    read_model_config(folder, "ridge")
    return RidgeBaseline.load(Path(folder) / "weights.npz")


@register_method
class Ridge(Method):
    """The per-frame ridge map alone."""

    name = slug = "ridge"
    models = ("ridge",)

    def __init__(self, config: dict, loader):
        super().__init__(config, loader)
        self.ridge = loader.model("ridge", load_ridge)

    def predict_windows(self, keypoints_px, mask, confidence=None, report=None) -> Prediction:
        """The map of each frame's present input joints."""
        return Prediction(self.ridge.predict(keypoints_px, mask))


@register_method
class RidgeSavgol(Ridge):
    """The ridge map, then Savitzky-Golay smoothing along time."""

    name, slug = "ridge+savgol", "ridge-savgol"

    def predict_windows(self, keypoints_px, mask, confidence=None, report=None) -> Prediction:
        """The ridge map, smoothed."""
        sg = self.config["baselines"]["savgol"]
        return Prediction(savgol(self.ridge.predict(keypoints_px, mask), sg["window"], sg["order"]))
