"""MediaPipe Pose, as jumps-pl's street example stores it (``../shared/media/street``).

``{"fps", "landmark_names", "detections": [{"frame", "landmarks": [[x, y, visibility]] * 33}]}`` in pixels,
one person (MediaPipe Pose tracks a single person).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from jumps_pl import skeleton
from jumps_pl.io.tracks import LAYOUTS, PoseFile, PoseFormatError, Track, _checked, _fail, _frame_number, _load_json

# MediaPipe Pose's 33 landmarks, in its order (``jumps_pl.detect`` writes them as ``landmark_names``)
LANDMARK_NAMES = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
    "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)


def read_mediapipe(path: Path, format: str) -> PoseFile:
    """Read MediaPipe Pose landmarks JSON as one track."""
    return pose_file_from_record(path, _load_json(path), format)


def pose_file_from_record(path: Path, data: object, format: str = "mediapipe") -> PoseFile:
    """One track from MediaPipe landmarks in the layout above, already parsed (``path`` names them in errors).

    ``jumps_pl.detect.detect_video`` makes such a record from a video.
    """
    if not isinstance(data, dict) or not isinstance(data.get("detections"), list):
        raise PoseFormatError(f"{path}: not MediaPipe pose JSON (no 'detections' list)")
    columns, count = _columns(path, data.get("landmark_names"))  # type: ignore[union-attr]
    fps = data.get("fps")  # type: ignore[union-attr]
    if fps is not None and (not isinstance(fps, (int, float)) or not fps > 0):
        raise _fail(path, "fps", f"{fps!r} must be a positive number")
    frames, keypoints, confidence, entries, every = [], [], [], [], []
    # every landmark too, where they are MediaPipe's 33 in its order (what the landmark map reads)
    standard = data.get("landmark_names") in (None, list(LANDMARK_NAMES))  # type: ignore[union-attr]
    for i, detection in enumerate(data["detections"]):  # type: ignore[index]
        where = f"detections[{i}]"
        if not isinstance(detection, dict) or "landmarks" not in detection:
            raise _fail(path, where, "has no 'landmarks'")
        landmarks = detection["landmarks"]
        if landmarks is None:
            continue
        if (not isinstance(landmarks, list) or len(landmarks) != count
                or not all(isinstance(lm, list) and len(lm) in (2, 3, 4) for lm in landmarks)):
            raise _fail(path, where, f"landmarks must be {count} lists of [x, y, visibility], got "
                                     f"{len(landmarks) if isinstance(landmarks, list) else type(landmarks).__name__}")
        rows = np.asarray([(lm + [1.0])[:3] if len(lm) == 2 else lm[:3] for lm in
                           (landmarks[c] for c in columns)], dtype=np.float64)
        frame = _frame_number(path, where, detection.get("frame", i))
        k, c = _checked(path, f"{where} (frame {frame})", rows)
        if standard:
            every.append(_all_landmarks(landmarks))
        frames.append(frame)
        keypoints.append(k)
        confidence.append(c)
        entries.append(i)
    order = np.argsort(frames, kind="stable")
    track = Track(0, np.asarray(frames, dtype=np.int64)[order],
                  np.stack(keypoints)[order] if keypoints else np.zeros((0, 12, 2), np.float32),
                  np.stack(confidence)[order] if confidence else np.zeros((0, 12), np.float32),
                  [entries[i] for i in order],
                  np.stack(every)[order] if standard and every else None)
    return PoseFile(path, format, [track], fps=float(fps) if fps else None,
                    frame_count=data.get("frames") if isinstance(data.get("frames"), int) else None, raw=data)


def _all_landmarks(landmarks: list) -> np.ndarray:
    """One frame's landmarks (33, 3): x, y px and visibility (1 where not given); NaN if one is not a number."""
    try:
        return np.asarray([(lm + [1.0])[:3] if len(lm) == 2 else lm[:3] for lm in landmarks], dtype=np.float32)
    except (TypeError, ValueError):
        return np.full((len(landmarks), 3), np.nan, np.float32)


def _columns(path: Path, names: list | None) -> tuple[list[int], int]:
    """Where the 12 input joints are among the landmarks, and how many landmarks a detection has."""
    if names is None:
        return list(LAYOUTS["mediapipe33"]), 33
    missing = [n for n in skeleton.LOW_RES_JOINTS if n not in names]
    if missing:
        raise _fail(path, "landmark_names", f"lacks {', '.join(missing)}")
    return [names.index(n) for n in skeleton.LOW_RES_JOINTS], len(names)
