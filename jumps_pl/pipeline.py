"""Post-processing real pose-estimator output: one person track in, 21 joints on every frame out.

For a track with detections on frames ``first..last`` (input frame rate ``fps``):
1. joints below ``min_confidence`` (and frames without a detection) are missing; the rest keep the
   detector's confidence as their weight in the contextual term;
2. the sequence is resampled to the model's frame rate (linear in time; a resampled entry is present
   when both input frames around it are);
3. missing input entries get a placeholder by linear interpolation in time with weight 0: they never
   pull the fit, but every window can be normalized even across long gaps;
4. the method's ``predict_track`` (for JUMPS: latent optimization over overlapping windows, streamed);
5. the result is resampled back to the input's frames.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from jumps_pl import skeleton
from jumps_pl.gaps import interpolate_missing
from jumps_pl.io.tracks import Track, UpsampledTrack
from jumps_pl.prediction import Prediction
from jumps_pl.resampling import frame_times, resample, resample_prediction, times_at
from jumps_pl.windows import window_starts

# predict_track(keypoints (F, 21, 2), mask (F, 21), weight (F, 21), progress) -> a Prediction (F, 21, ...)
TrackPredictor = Callable[[np.ndarray, np.ndarray, np.ndarray, Callable[[int], None] | None], Prediction]


def model_frames(frames: int, fps_in: float, model_fps: float) -> int:
    """How many frames at the model's rate a track of ``frames`` input frames becomes."""
    return len(times_at(frames, fps_in, model_fps))


def windows_for(frames: int, window: int, overlap: int) -> int:
    """How many windows a sequence of ``frames`` frames (at the model's rate) takes."""
    return len(window_starts(frames, window, overlap))


def upsample_track(predict: TrackPredictor, track: Track, fps_in: float, model_fps: float, min_confidence: float,
                   progress: Callable[[int], None] | None = None) -> UpsampledTrack:
    """One detector track (12 input joints) through the pipeline above."""
    first, last = int(track.frames[0]), int(track.frames[-1])
    length = last - first + 1
    keypoints = np.zeros((length, len(skeleton.INPUT_INDICES), 2), dtype=np.float64)
    confidence = np.zeros((length, len(skeleton.INPUT_INDICES)), dtype=np.float64)
    keypoints[track.frames - first] = track.keypoints
    confidence[track.frames - first] = track.confidence
    detected = np.zeros(length, dtype=bool)
    detected[track.frames - first] = True
    given = np.zeros(skeleton.NUM_JOINTS, dtype=bool)
    given[skeleton.INPUT_INDICES] = True
    out, observed, conf = upsample_arrays(predict, skeleton.place_inputs(keypoints),
                                          skeleton.place_inputs(confidence, -1), given, fps_in, model_fps,
                                          min_confidence, f"track {track.track_id}", progress)
    return UpsampledTrack(track.track_id, np.arange(first, last + 1), out.positions, observed, conf, detected,
                          out.radius_px, out.repair, out.repair_confidence)


def upsample_arrays(predict: TrackPredictor, keypoints: np.ndarray, confidence: np.ndarray, given: np.ndarray,
                    fps_in: float, model_fps: float, min_confidence: float, what: str,
                    progress: Callable[[int], None] | None = None) -> tuple[Prediction, np.ndarray, np.ndarray]:
    """(L, 21, 2) px with confidences (L, 21) on the joints ``given`` (21,) -> the 21 joints at the input's frames.

    Returns the ``Prediction`` (L, 21, ...), where the joints were observed (L, 21), and the detector's
    confidence there (0 elsewhere).
    """
    length = len(keypoints)
    present = (confidence >= max(min_confidence, 1e-6)) & given
    if not present[:, list(skeleton.TORSO_JOINTS)].all(axis=1).any():
        raise ValueError(f"{what}: no frame has both shoulders and both hips at confidence >= "
                         f"{min_confidence} (upsample.min_confidence); nothing to anchor the skeleton")
    times_in = frame_times(length, fps_in)
    times_model = times_at(length, fps_in, model_fps)
    if fps_in != model_fps:
        kp_model, ok = resample(keypoints, present, times_in, times_model)
        conf_model, _ = resample(confidence, present, times_in, times_model)
    else:
        kp_model, ok, conf_model = keypoints, present, confidence
    columns = np.nonzero(given)[0]
    filled, never = interpolate_missing(kp_model[None][:, :, columns], ok[None][:, :, columns])
    full = np.zeros((len(kp_model), skeleton.NUM_JOINTS, 2), dtype=np.float32)
    mask = np.zeros(full.shape[:2], dtype=bool)
    weight = np.zeros(full.shape[:2], dtype=np.float32)
    full[:, columns] = filled[0]
    mask[:, columns] = ~never[0][None, :]
    weight[:, columns] = np.where(ok[:, columns], conf_model[:, columns], 0.0)
    out = predict(full, mask, weight, progress)
    if fps_in != model_fps:
        out = resample_prediction(out, times_model, times_in)
    out = replace(out, **{name: np.asarray(values, dtype=np.float32) for name, values in
                          (("positions", out.positions), *out.extras().items()) if name != "repair"})
    conf_out = np.where(present, confidence, 0.0).astype(np.float32)
    return out, present, conf_out
