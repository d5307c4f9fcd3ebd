"""Gap filling in time, shared by every method family and the track pipeline."""
from __future__ import annotations

import numpy as np


def interpolate_missing(keypoints: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fill missing entries of (N, T, J, 2) along T by linear interpolation, edges held.

    Returns the filled array and (N, J) True where a joint is missing in the whole window (left as is).
    """
    filled = np.array(keypoints, dtype=np.float64, copy=True)
    frames = np.arange(keypoints.shape[1])
    present_any = mask.any(axis=1)
    todo = present_any & ~mask.all(axis=1)
    for n, j in zip(*np.nonzero(todo), strict=True):
        known = mask[n, :, j]
        for c in range(keypoints.shape[-1]):
            filled[n, :, j, c] = np.interp(frames, frames[known], filled[n, known, j, c])
    return filled, ~present_any
