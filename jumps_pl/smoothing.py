"""Smoothing filters along time, shared by every method family (the filter rows, the fusion).

- ``savgol``: Savitzky-Golay smoothing (offline, a local polynomial per frame);
- ``one_euro``: the One-Euro filter (Casiez, Roussel and Vogel, CHI 2012), online and causal: per
  coordinate, a low-pass whose cutoff rises with the (low-passed) speed, ``min_cutoff + beta * |dx/dt|``
  (Hz, with dx/dt in units per second), so slow motion is smoothed hard and fast motion follows. It gives
  what the reference ``OneEuroFilter`` package gives, sample by sample;
- ``gaussian``: a Gaussian filter along time (offline, ``sigma`` frames, edges held).

Each takes (N, T, ...) sequences and filters along T.
"""
from __future__ import annotations

import numpy as np


def savgol(sequence: np.ndarray, window: int, order: int) -> np.ndarray:
    """Savitzky-Golay smoothing of (N, T, ...) along T (window shrunk to the odd length <= T)."""
    from scipy.signal import savgol_filter

    frames = sequence.shape[1]
    window = min(window, frames if frames % 2 else frames - 1)
    if window <= order:
        return sequence
    return savgol_filter(sequence, window, order, axis=1, mode="interp").astype(sequence.dtype)


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
