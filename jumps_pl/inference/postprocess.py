"""Post-processing real pose-estimator output: one person track in, 21 joints on every frame out.

For a track with detections on frames ``first..last`` (input frame rate ``fps``):
1. joints below ``min_confidence`` (and frames without a detection) are missing; the rest keep the
   detector's confidence as their weight in the contextual term;
2. the sequence is resampled to the model's frame rate (linear in time; a resampled entry is present
   when both input frames around it are);
3. missing input entries get a placeholder by linear interpolation in time with weight 0: they never
   pull the fit, but every window can be normalized even across long gaps;
4. latent optimization over overlapping windows (``LatentOptimizer.upsample_sequence``), streamed;
5. the result is resampled back to the input's frames.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from jumps_pl import skeleton
from jumps_pl.baselines.ridge import interpolate_missing
from jumps_pl.inference.latent_opt import LatentOptimizer, window_starts
from jumps_pl.io.formats import Track


@dataclass
class UpsampledTrack:
    """``frames`` (L,) input frame numbers first..last; ``keypoints`` (L, 21, 2) px; ``observed``
    (L, 21) True where a confident detection was given; ``confidence`` (L, 21) the detector's there, 0
    elsewhere; ``detected`` (L,) frames that had a detection."""

    track_id: int | str
    frames: np.ndarray
    keypoints: np.ndarray
    observed: np.ndarray
    confidence: np.ndarray
    detected: np.ndarray


def resample(values: np.ndarray, present: np.ndarray, times_from: np.ndarray, times_to: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Linear resampling of (F, ...) ``values`` along time; an output is present where both neighbours are."""
    index = np.clip(np.searchsorted(times_from, times_to, side="right") - 1, 0, len(times_from) - 1)
    upper = np.minimum(index + 1, len(times_from) - 1)
    span = np.where(upper > index, times_from[upper] - times_from[index], 1.0)
    w = np.clip((times_to - times_from[index]) / span, 0.0, 1.0)
    shape = (-1,) + (1,) * (values.ndim - 1)
    out = values[index] * (1 - w).reshape(shape) + values[upper] * w.reshape(shape)
    exact = w == 0
    ok = present[index] & (present[upper] | exact.reshape((-1,) + (1,) * (present.ndim - 1)))
    return out, ok


def windows_for(frames: int, fps_in: float, model_fps: float, window: int, overlap: int) -> int:
    """How many windows a track of ``frames`` input frames takes (for progress bars)."""
    resampled = int(np.floor((frames - 1) * model_fps / fps_in + 1e-9)) + 1
    return len(window_starts(resampled, window, overlap))


def upsample_track(optimizer: LatentOptimizer, track: Track, fps_in: float, model_fps: float,
                   min_confidence: float, progress: Callable[[int], None] | None = None) -> UpsampledTrack:
    first, last = int(track.frames[0]), int(track.frames[-1])
    length = last - first + 1
    keypoints = np.zeros((length, 12, 2), dtype=np.float64)
    confidence = np.zeros((length, 12), dtype=np.float64)
    keypoints[track.frames - first] = track.keypoints
    confidence[track.frames - first] = track.confidence
    detected = np.zeros(length, dtype=bool)
    detected[track.frames - first] = True
    present = confidence >= max(min_confidence, 1e-6)
    if not (present[:, [0, 1, 6, 7]].all(axis=1)).any():
        raise ValueError(f"track {track.track_id}: no frame has both shoulders and both hips at confidence >= "
                         f"{min_confidence} (infer.min_confidence); nothing to anchor the skeleton")
    times_in = np.arange(length) / fps_in
    times_model = np.arange(int(np.floor((length - 1) * model_fps / fps_in + 1e-9)) + 1) / model_fps
    if fps_in != model_fps:
        kp_model, ok = resample(keypoints, present, times_in, times_model)
        conf_model, _ = resample(confidence, present, times_in, times_model)
    else:
        kp_model, ok, conf_model = keypoints, present, confidence
    filled, never = interpolate_missing(kp_model[None], ok[None])
    full = np.zeros((len(kp_model), skeleton.NUM_JOINTS, 2), dtype=np.float32)
    mask = np.zeros(full.shape[:2], dtype=bool)
    weight = np.zeros(full.shape[:2], dtype=np.float32)
    full[:, skeleton.INPUT_INDICES] = filled[0]
    mask[:, skeleton.INPUT_INDICES] = ~never[0][None, :]
    weight[:, skeleton.INPUT_INDICES] = np.where(ok, conf_model, 0.0)
    out = optimizer.upsample_sequence(full, mask, weight, progress)
    if fps_in != model_fps:
        out, _ = resample(out, np.ones(out.shape[:2], dtype=bool), times_model, times_in)
    observed = np.zeros((length, skeleton.NUM_JOINTS), dtype=bool)
    observed[:, skeleton.INPUT_INDICES] = present
    conf21 = np.zeros((length, skeleton.NUM_JOINTS), dtype=np.float32)
    conf21[:, skeleton.INPUT_INDICES] = np.where(present, confidence, 0.0)
    return UpsampledTrack(track.track_id, np.arange(first, last + 1), out.astype(np.float32), observed, conf21,
                          detected)
