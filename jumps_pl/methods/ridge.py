"""``ridge`` and ``ridge+savgol``: a per-frame ridge map from the input joints to all 21, then
(``ridge+savgol``) Savitzky-Golay smoothing along time. Config: ``baselines.savgol``; model: ``models.ridge``."""
from __future__ import annotations

from pathlib import Path

from jumps_pl.baselines.ridge import RidgeBaseline, savgol
from jumps_pl.methods.base import Method, Prediction
from jumps_pl.model_folders import read_model_config


def load_ridge(folder: str | Path) -> RidgeBaseline:
    read_model_config(folder, "ridge")
    return RidgeBaseline.load(Path(folder) / "weights.npz")


class Ridge(Method):
    name = "ridge"
    summary = "baseline: per-frame ridge regression from the present input joints (training split)"
    models = ("ridge",)

    def __init__(self, config: dict, loader):
        super().__init__(config, loader)
        self.ridge = loader.model("ridge", load_ridge)

    def predict_windows(self, keypoints_px, mask, confidence=None) -> Prediction:
        return Prediction(self.ridge.predict(keypoints_px, mask))


class RidgeSavgol(Ridge):
    name = "ridge+savgol"
    summary = "baseline: ridge, then a Savitzky-Golay filter along time (baselines.savgol)"
    sections = ("baselines.savgol",)

    def predict_windows(self, keypoints_px, mask, confidence=None) -> Prediction:
        sg = self.config["baselines"]["savgol"]
        return Prediction(savgol(self.ridge.predict(keypoints_px, mask), sg["window"], sg["order"]))
