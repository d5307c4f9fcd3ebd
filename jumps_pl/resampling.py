"""Resampling in time, the one resampler.

It takes mocap clips to the training rate, and detector tracks to the model's rate and back.
"""
from __future__ import annotations

import numpy as np

from jumps_pl.prediction import Prediction, channels, from_channels


def frame_times(frames: int, fps: float) -> np.ndarray:
    """Times (s) of ``frames`` frames at ``fps``, the first at 0."""
    return np.arange(frames) / fps


def times_at(duration_frames: int, fps_in: float, fps_out: float) -> np.ndarray:
    """Times at ``fps_out`` covering ``duration_frames`` frames at ``fps_in`` (the last one not past the end)."""
    return np.arange(int(np.floor((duration_frames - 1) * fps_out / fps_in + 1e-9)) + 1) / fps_out


def resample(values: np.ndarray, present: np.ndarray, times_from: np.ndarray, times_to: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Linear resampling of (F, ...) ``values`` along time, with where each output is present.

    An output is present where both neighbours are (or where it falls exactly on a present input frame).
    """
    index = np.clip(np.searchsorted(times_from, times_to, side="right") - 1, 0, len(times_from) - 1)
    upper = np.minimum(index + 1, len(times_from) - 1)
    span = np.where(upper > index, times_from[upper] - times_from[index], 1.0)
    w = np.clip((times_to - times_from[index]) / span, 0.0, 1.0)
    shape = (-1,) + (1,) * (values.ndim - 1)
    out = values[index] * (1 - w).reshape(shape) + values[upper] * w.reshape(shape)
    exact = w == 0
    ok = present[index] & (present[upper] | exact.reshape((-1,) + (1,) * (present.ndim - 1)))
    return out, ok


def sample_at(values: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Linear interpolation of batched sequences (B, S, ...) at fractional frame ``times`` (B, T) -> (B, T, ...).

    ``times`` lie in [0, S - 1]; this is the playback-speed augmentation of training windows.
    """
    span = values.shape[1]
    low = np.clip(np.floor(times).astype(np.int64), 0, max(span - 2, 0))
    high = np.minimum(low + 1, span - 1)
    w = (times - low).reshape(times.shape + (1,) * (values.ndim - 2)).astype(values.dtype)
    rows = np.arange(len(values))[:, None]
    return values[rows, low] * (1 - w) + values[rows, high] * w


def resample_rate(values: np.ndarray, fps_in: float, fps_out: float) -> np.ndarray:
    """(F, ...) complete values from ``fps_in`` to ``fps_out``; unchanged within 0.1% of the rate."""
    if abs(fps_in - fps_out) <= 1e-3 * fps_out or len(values) < 2:
        return values
    present = np.ones(len(values), dtype=bool)
    out, _ = resample(values, present, frame_times(len(values), fps_in), times_at(len(values), fps_in, fps_out))
    return out.astype(values.dtype)


def resample_prediction(prediction: Prediction, times_from: np.ndarray, times_to: np.ndarray) -> Prediction:
    """A whole track's ``Prediction`` (F, 21, ...) resampled from ``times_from`` to ``times_to``.

    Positions and values linearly, repair codes by the same weights as a vote (``prediction.channels``).
    """
    every = np.ones(prediction.positions.shape[:2], dtype=bool)
    return from_channels({name: resample(values, every, times_from, times_to)[0]
                          for name, values in channels(prediction).items()})
