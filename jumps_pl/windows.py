"""Long sequences as overlapping windows: cut, predict a batch of windows at a time, blend.

Windows of T frames overlap by ``overlap`` frames; predictions are blended with weights that ramp
linearly across each overlap, so there are no seams, each extra by its kind (``prediction.Blend``).
Frames past the end of a short sequence are padded as missing. Memory is bounded by ``batch_windows``,
not by the sequence length.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from jumps_pl.prediction import Blend, Prediction

# predict(windows (B, T, J, 2), mask (B, T, J), confidence (B, T, J) or None, first window index, report)
#   -> a Prediction of (B, T, 21, 2) positions; report(share) may tell how much of the batch (0..1) is done
WindowPredictor = Callable[[np.ndarray, np.ndarray, np.ndarray | None, int, Callable[[float], None]], Prediction]


def window_starts(frames: int, window: int, overlap: int) -> np.ndarray:
    """Window starts covering ``frames``: hop ``window - overlap``, the last window ending at the end."""
    if frames <= window:
        return np.zeros(1, dtype=np.int64)
    hop = window - overlap
    starts = list(range(0, frames - window + 1, hop))
    if starts[-1] + window < frames:
        starts.append(frames - window)
    return np.asarray(starts, dtype=np.int64)


def blend_weights(window: int, overlap: int) -> np.ndarray:
    """Per-frame weights of a window: linear ramps of ``overlap`` frames at both ends, 1 between."""
    weights = np.ones(window)
    if overlap:
        ramp = (np.arange(overlap) + 1.0) / (overlap + 1.0)
        weights[:overlap] = ramp
        weights[-overlap:] = ramp[::-1]
    return weights


def predict_sequence(predict: WindowPredictor, keypoints: np.ndarray, mask: np.ndarray,
                     confidence: np.ndarray | None, window: int, overlap: int, batch_windows: int,
                     progress: Callable[[float], None] | None = None) -> Prediction:
    """A whole sequence (F, J, 2) with ``mask`` (F, J) -> a ``Prediction`` (F, 21, ...), any F >= 1.

    Overlapping windows, ``batch_windows`` at a time, blended; ``progress(n)`` hears of every n windows
    done, fractions of a batch included where the method reports them.
    """
    frames = len(keypoints)
    starts = window_starts(frames, window, overlap)
    ramp = blend_weights(window, overlap)
    blend = Blend(frames)
    for first in range(0, len(starts), batch_windows):
        chunk = starts[first:first + batch_windows]
        index = np.minimum(chunk[:, None] + np.arange(window), frames - 1)
        valid = (chunk[:, None] + np.arange(window)) < frames
        conf = None if confidence is None else confidence[index]
        told = [0.0]

        def report(share: float, windows: int = len(chunk), told: list[float] = told) -> None:
            step = min(share, 1.0) * windows - told[0]
            if progress and step > 0:
                progress(step)
                told[0] += step

        predictions = predict(keypoints[index], mask[index] & valid[..., None], conf, first, report)
        for k, start in enumerate(chunk):
            stop = min(start + window, frames)
            rows = predictions.select(k).select(slice(0, stop - start))
            blend.add(rows, np.arange(start, stop), ramp[: stop - start])
        report(1.0)
    return blend.result()
