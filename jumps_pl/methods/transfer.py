"""``JUMPS + ridge transfer``: a design change beside the paper's row (README, "Results").

The JUMPS row's output is corrected by what the per-frame ridge map says the input's residual implies
(``baselines.ridge.transfer_residual``); it reuses the JUMPS row's predictions when both are evaluated.
"""
from __future__ import annotations

from jumps_pl.baselines.ridge import transfer_residual
from jumps_pl.methods.base import Method, Prediction
from jumps_pl.methods.ridge import load_ridge


class JumpsRidgeTransfer(Method):
    name = "JUMPS + ridge transfer"
    summary = "design change: JUMPS's output corrected by the ridge map of its input residual"
    models = ("jumps", "ridge")
    sections = ("infer",)

    def __init__(self, config: dict, loader):
        super().__init__(config, loader)
        self.jumps = loader.method("JUMPS")
        self.ridge = loader.model("ridge", load_ridge)

    @property
    def window(self) -> int:
        return self.jumps.window

    def predict_windows(self, keypoints_px, mask, confidence=None) -> Prediction:
        pred = self.jumps.predict_windows(keypoints_px, mask, confidence)
        return Prediction(transfer_residual(self.ridge, pred.keypoints, keypoints_px, mask), pred.extras)

    def predict_track(self, keypoints_px, mask, confidence=None, progress=None) -> Prediction:
        pred = self.jumps.predict_track(keypoints_px, mask, confidence, progress)
        present = mask if confidence is None else mask & (confidence > 0)
        out = transfer_residual(self.ridge, pred.keypoints[None], keypoints_px[None], present[None])[0]
        return Prediction(out, pred.extras)
