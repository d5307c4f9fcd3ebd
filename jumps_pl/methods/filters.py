"""The filters users compare with (MMPose's smoothing filters), each after the same per-frame ridge map
for the added joints as ``ridge+savgol``:

- ``ridge+one-euro``: the One-Euro filter (Casiez, Roussel and Vogel, CHI 2012), online and causal: per
  coordinate, a low-pass whose cutoff rises with the (low-passed) speed, ``min_cutoff + beta * |dx/dt|``
  (Hz, with dx/dt in pixels per second), so slow motion is smoothed hard and fast motion follows;
- ``ridge+gaussian``: an offline Gaussian filter along time (``sigma`` frames, edges held).

Their parameters (``baselines.one_euro``, ``baselines.gaussian``) were chosen on the validation split
(``experiments/sweeps/filters-val.yaml``).
"""
from __future__ import annotations

import numpy as np

from jumps_pl.methods.base import Prediction
from jumps_pl.methods.ridge import Ridge


def one_euro(sequence: np.ndarray, fps: float, min_cutoff: float, beta: float, d_cutoff: float) -> np.ndarray:
    """One-Euro filter of (N, T, ...) along T, causal (output t uses frames <= t only)."""
    x = np.asarray(sequence, dtype=np.float64)
    out = np.empty_like(x)
    te = 1.0 / fps

    def alpha(cutoff):
        tau = 1.0 / (2 * np.pi * cutoff)
        return 1.0 / (1.0 + tau / te)

    out[:, 0] = x[:, 0]
    dx_hat = np.zeros_like(x[:, 0])
    a_d = alpha(d_cutoff)
    for t in range(1, x.shape[1]):
        dx = (x[:, t] - out[:, t - 1]) / te
        dx_hat = a_d * dx + (1 - a_d) * dx_hat
        a = alpha(min_cutoff + beta * np.abs(dx_hat))
        out[:, t] = a * x[:, t] + (1 - a) * out[:, t - 1]
    return out.astype(np.asarray(sequence).dtype)


def gaussian(sequence: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian filter of (N, T, ...) along T (``sigma`` frames; edges held)."""
    from scipy.ndimage import gaussian_filter1d

    return gaussian_filter1d(np.asarray(sequence), sigma, axis=1, mode="nearest")


class RidgeOneEuro(Ridge):
    name = "ridge+one-euro"
    summary = "filter: ridge, then the One-Euro filter (online, causal; baselines.one_euro)"
    sections = ("baselines.one_euro",)
    causal = True

    def predict_windows(self, keypoints_px, mask, confidence=None) -> Prediction:
        cfg = self.config["baselines"]["one_euro"]
        return Prediction(one_euro(self.ridge.predict(keypoints_px, mask), self.config["data"]["fps"],
                                   cfg["min_cutoff"], cfg["beta"], cfg["d_cutoff"]))


class RidgeGaussian(Ridge):
    name = "ridge+gaussian"
    summary = "filter: ridge, then a Gaussian filter along time (offline; baselines.gaussian)"
    sections = ("baselines.gaussian",)

    def predict_windows(self, keypoints_px, mask, confidence=None) -> Prediction:
        sigma = self.config["baselines"]["gaussian"]["sigma"]
        return Prediction(gaussian(self.ridge.predict(keypoints_px, mask), sigma))


class ContinuityRidgeSavgol(Ridge):
    name = "continuity+ridge+savgol"
    summary = "heuristic: left/right flips and outlier frames repaired by continuity, then ridge+savgol"
    sections = ("baselines.continuity", "baselines.savgol")
    causal = False

    def predict_windows(self, keypoints_px, mask, confidence=None) -> Prediction:
        from jumps_pl.baselines.continuity import relabel_by_continuity
        from jumps_pl.baselines.ridge import savgol

        cfg, sg = self.config["baselines"]["continuity"], self.config["baselines"]["savgol"]
        repaired, kept, status = relabel_by_continuity(keypoints_px, mask, cfg["ratio"], cfg["outlier"], cfg["lone"])
        out = savgol(self.ridge.predict(repaired, kept), sg["window"], sg["order"])
        return Prediction(out, {"repair": status})
