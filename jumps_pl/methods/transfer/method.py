"""``JUMPS + ridge transfer``: a design change beside the paper's row (README, "Results").

The JUMPS row's output is corrected by what the per-frame ridge map says the input's residual implies
(``transfer_residual``); when both rows run on the same windows, the JUMPS row's fit is reused.
"""
from __future__ import annotations

import numpy as np

from jumps_pl.methods.base import Method
from jumps_pl.methods.registry import register_method
from jumps_pl.methods.ridge.method import load_ridge
from jumps_pl.methods.ridge.model import RidgeBaseline
from jumps_pl.prediction import Prediction


def transfer_residual(ridge: RidgeBaseline, pred_px: np.ndarray, keypoints_px: np.ndarray,
                      mask: np.ndarray) -> np.ndarray:
    """Correct a model's output ``pred_px`` (N, T, 21, 2) by what the ridge map says the input's residual implies.

    With the per-frame linear map as ``ridge``:

        out = pred + ridge(x) - ridge(pred),  x = the present input entries, pred's elsewhere.

    Where ``pred`` already satisfies the linear relation between input and added joints, ``out`` is
    ridge's answer plus ``pred``'s deviation from it (what the generator knows beyond a linear map);
    where ``pred`` misses the input, the miss is not passed on to the added joints.
    """
    pred = np.asarray(pred_px, dtype=np.float64)
    given = np.where(np.asarray(mask, dtype=bool)[..., None], keypoints_px, pred)
    everything = np.ones(pred.shape[:3], dtype=bool)
    return (pred + ridge.predict(given, everything) - ridge.predict(pred, everything)).astype(np.float32)


@register_method
class JumpsRidgeTransfer(Method):
    """JUMPS's output corrected by the ridge map of its input residual."""

    name, slug = "JUMPS + ridge transfer", "jumps-ridge-transfer"
    models = ("jumps", "ridge")

    def __init__(self, config: dict, loader):
        super().__init__(config, loader)
        self.jumps = loader.method("JUMPS")
        self.ridge = loader.model("ridge", load_ridge)

    @property
    def window(self) -> int:
        """The prior's window length in frames."""
        return self.jumps.window

    def predict_windows(self, keypoints_px, mask, confidence=None, report=None) -> Prediction:
        """The JUMPS row's windows, corrected."""
        pred = self.jumps.predict_windows(keypoints_px, mask, confidence, report)
        pred.positions = transfer_residual(self.ridge, pred.positions, keypoints_px, mask)
        return pred

    def predict_track(self, keypoints_px, mask, confidence=None, progress=None) -> Prediction:
        """The JUMPS row's track, corrected."""
        pred = self.jumps.predict_track(keypoints_px, mask, confidence, progress)
        present = mask if confidence is None else mask & (confidence > 0)
        pred.positions = transfer_residual(self.ridge, pred.positions[None], keypoints_px[None], present[None])[0]
        return pred
