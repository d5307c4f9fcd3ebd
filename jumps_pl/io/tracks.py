"""What every pose reader produces, and the checks and track building they share.

A reader turns a detector's output into a ``PoseFile``: per person a ``Track`` of the 12 input joints
(``skeleton.LOW_RES_JOINTS``, COCO body order) in pixels, with the detector's confidences. Readers
collect ``Detection`` s (one person in one frame) and hand them to ``group_tracks``, which uses the
detector's track ids where it gave any and links detections frame to frame (``link_tracks``) where not.
"""
from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from jumps_pl import skeleton

COCO17 = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
          "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
          "right_knee", "left_ankle", "right_ankle")
# Where the 12 input joints (skeleton.LOW_RES_JOINTS order) sit in each keypoint layout.
LAYOUTS: dict[str, tuple[int, ...]] = {
    "coco17": tuple(range(5, 17)),
    "body25": (5, 2, 6, 3, 7, 4, 12, 9, 13, 10, 14, 11),
    "coco18": (5, 2, 6, 3, 7, 4, 11, 8, 12, 9, 13, 10),
    "mediapipe33": (11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28),
    "jumps21": tuple(int(i) for i in skeleton.INPUT_INDICES),
    "input12": tuple(range(12)),
}


class PoseFormatError(ValueError):
    """Bad pose input; the message names the file and the entry."""


@dataclass
class Track:
    """One person: ``frames`` (K,) increasing frame numbers, ``keypoints`` (K, 12, 2) px, ``confidence`` (K, 12).

    Confidences are in [0, 1] (0 where the detector gave no joint); ``entries`` (K,) says where each came
    from (list index, or (frame, person) for OpenPose), for writers.
    """

    track_id: int | str
    frames: np.ndarray
    keypoints: np.ndarray
    confidence: np.ndarray
    entries: list = field(default_factory=list)
    # (K, L, 3) px and visibility: every landmark of a format that gives more than the 12 joints (MediaPipe's 33),
    # for its landmark map (``joint_centres.LandmarkMap``); None for other formats
    landmarks: np.ndarray | None = None


@dataclass
class PoseFile:
    """A read pose file: its path and format, its person tracks, and what writers need to extend it."""

    path: Path
    format: str
    tracks: list[Track]
    fps: float | None = None
    frame_count: int | None = None
    raw: Any = None                    # the parsed input, kept for writers that extend it
    frame_ids: dict[int, Any] = field(default_factory=dict)  # frame number -> the input's image_id
    image_size: tuple[int, int] | None = None  # (width, height) px, where the input needed it


class Detection(NamedTuple):
    """One person in one frame: ``keypoints`` (12, 2) px, ``confidence`` (12,), ``score``, ``entry``.

    ``score`` is the detection's own confidence (it ranks the detections of a frame); ``entry`` is where it
    came from in the input.
    """

    frame: int
    track_id: Any
    keypoints: np.ndarray
    confidence: np.ndarray
    score: float
    entry: Any


def _fail(path: Path, where: str, message: str) -> PoseFormatError:
    return PoseFormatError(f"{path}: {where}: {message}")


def _load_json(path: Path) -> Any:
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        raise PoseFormatError(f"{path}: not a text (JSON) file") from None
    if not text.strip():
        raise PoseFormatError(f"{path}: empty file")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise PoseFormatError(f"{path}: malformed JSON at line {err.lineno}, column {err.colno}: {err.msg}") from None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _triplets(path: Path, where: str, values: Any, layouts: dict[int, str]) -> tuple[np.ndarray, np.ndarray]:
    """(12, 2) keypoints and (12,) confidences from a flat [x, y, s] * K list."""
    if not isinstance(values, list) or not all(_is_number(v) for v in values):
        raise _fail(path, where, "keypoints must be a list of numbers")
    if len(values) % 3 or len(values) // 3 not in layouts:
        expected = " or ".join(f"{3 * k} ({k} joints x 3)" for k in layouts)
        raise _fail(path, where, f"keypoints has {len(values)} values, expected {expected}")
    return _rows(path, where, np.asarray(values, dtype=np.float64).reshape(-1, 3), layouts)


def _rows(path: Path, where: str, rows: np.ndarray, layouts: dict[int, str]) -> tuple[np.ndarray, np.ndarray]:
    """(12, 2) keypoints and (12,) confidences from (K, 3) rows of x, y, confidence in a known layout."""
    names = COCO17 if layouts[len(rows)] == "coco17" and len(rows) == 17 else tuple(
        f"keypoint {k}" for k in range(len(rows)))
    _checked(path, where, rows, names)  # every keypoint, also those the model does not use
    return _checked(path, where, rows[list(LAYOUTS[layouts[len(rows)]])])


def _checked(path: Path, where: str, rows: np.ndarray, names: tuple[str, ...] = skeleton.LOW_RES_JOINTS
             ) -> tuple[np.ndarray, np.ndarray]:
    """Validate (12, 3) rows of x, y, confidence: finite coordinates, confidences >= 0."""
    for j, (x, y, s) in enumerate(rows):
        if not (math.isfinite(x) and math.isfinite(y)):
            raise _fail(path, f"{where}, joint {names[j]}", f"coordinates ({x}, {y}) are not finite")
        if not math.isfinite(s) or s < 0:
            raise _fail(path, f"{where}, joint {names[j]}", f"confidence {s} must be a finite number >= 0")
    return rows[:, :2].astype(np.float32), np.minimum(rows[:, 2], 1.0).astype(np.float32)


def _frame_number(path: Path, where: str, image_id: Any) -> int:
    if isinstance(image_id, bool):
        raise _fail(path, where, f"image_id {image_id!r} is neither a number nor a frame file name")
    if isinstance(image_id, int):
        return image_id
    if isinstance(image_id, float) and image_id.is_integer():
        return int(image_id)
    if isinstance(image_id, str):
        numbers = re.findall(r"\d+", Path(image_id).stem)
        if numbers:
            return int(numbers[-1])
    raise _fail(path, where, f"image_id {image_id!r} is neither a number nor a frame file name with a number")


def _score(path: Path, where: str, value: Any, name: str = "score") -> float:
    if not _is_number(value) or not math.isfinite(value):
        raise _fail(path, where, f"{name} {value!r} is not a finite number")
    return float(value)


def group_tracks(detections: list[Detection]) -> list[Track]:
    """Tracks by the detector's track ids when it gave any, else linked frame to frame; longest first."""
    if any(d[1] is not None for d in detections):
        tracks: dict[Any, list] = {}
        for d in detections:
            tracks.setdefault(d[1] if d[1] is not None else "untracked", []).append(d)
        result = [_track_from(tid, ds) for tid, ds in tracks.items()]
    else:
        result = link_tracks(detections)
    return sorted(result, key=lambda t: -len(t.frames))


def _track_from(track_id: Any, detections: list) -> Track:
    """One track from (frame, id, keypoints, confidence, score, entry) tuples; the best score per frame."""
    best: dict[int, tuple] = {}
    for d in detections:
        if d[0] not in best or d[4] > best[d[0]][4]:
            best[d[0]] = d
    frames = sorted(best)
    return Track(track_id, np.asarray(frames, dtype=np.int64),
                 np.stack([best[f][2] for f in frames]), np.stack([best[f][3] for f in frames]),
                 [best[f][5] for f in frames])


def link_tracks(detections: list, max_distance: float = 1.0) -> list[Track]:
    """Greedy frame-to-frame linking of untracked detections (frame, _, keypoints, confidence, score, entry).

    A detection joins the track whose last pose is nearest (mean joint distance over the joints both
    have, relative to that pose's size), if nearer than ``max_distance`` sizes; else it starts a track.
    """
    by_frame: dict[int, list] = {}
    for d in detections:
        by_frame.setdefault(d[0], []).append(d)
    tracks: list[list] = []
    for frame in sorted(by_frame):
        candidates = sorted(by_frame[frame], key=lambda d: -d[4])
        taken: set[int] = set()
        for d in candidates:
            best, best_distance = None, max_distance
            for t, members in enumerate(tracks):
                last = members[-1]
                if t in taken or last[0] >= frame:
                    continue
                both = (last[3] > 0) & (d[3] > 0)
                if not both.any():
                    continue
                size = np.ptp(last[2][last[3] > 0], axis=0).max() + 1e-6
                distance = np.linalg.norm(last[2][both] - d[2][both], axis=-1).mean() / size
                if distance < best_distance:
                    best, best_distance = t, distance
            if best is None:
                tracks.append([d])
                taken.add(len(tracks) - 1)
            else:
                tracks[best].append(d)
                taken.add(best)
    return [_track_from(k, members) for k, members in enumerate(tracks)]


@dataclass
class UpsampledTrack:
    """One person upsampled: 21 joints on every input frame from the track's first to its last.

    ``frames`` (L,) input frame numbers first..last; ``keypoints`` (L, 21, 2) px; ``observed`` (L, 21) True
    where a confident detection was given; ``confidence`` (L, 21) the detector's there, 0 elsewhere;
    ``detected`` (L,) frames that had a detection.
    """

    track_id: int | str
    frames: np.ndarray
    keypoints: np.ndarray
    observed: np.ndarray
    confidence: np.ndarray
    detected: np.ndarray
    uncertainty: np.ndarray | None = None  # (L, 21) px: the predicted 90% error radius of every joint
    repair: np.ndarray | None = None  # (L, 21) int8 ``prediction.RepairCode``: what was done with each input entry
    repair_confidence: np.ndarray | None = None  # (L, 21) how sure the repair is of each entry's labelling; NaN: none


def untangle_tracks(tracks: list[Track], ratio: float) -> tuple[list[Track], int]:
    """Give back frames that a tracker exchanged between two people.

    Frame by frame, for every pair of tracks present in the same frame, exchange their detections when
    that lies nearer each track's previous pose (mean joint distance, relative to the pose's size) by less
    than ``ratio`` times keeping them. Returns the tracks (same ids, detections and entries moved) and the
    number of frames moved.
    """
    tracks = [Track(t.track_id, t.frames.copy(), t.keypoints.copy(), t.confidence.copy(), list(t.entries),
                    None if t.landmarks is None else t.landmarks.copy()) for t in tracks]
    moved = 0
    if any(t.landmarks is None for t in tracks):  # landmarks can move with their detections only if all have them
        tracks = [dataclasses.replace(t, landmarks=None) for t in tracks]
    for a in range(len(tracks)):
        for b in range(a + 1, len(tracks)):
            moved += _untangle_pair(tracks[a], tracks[b], ratio)
    return tracks, moved


def _untangle_pair(a: Track, b: Track, ratio: float) -> int:
    rows_a = {int(f): k for k, f in enumerate(a.frames)}
    rows_b = {int(f): k for k, f in enumerate(b.frames)}
    last_a = last_b = None
    moved = 0
    for frame in sorted(set(rows_a) | set(rows_b)):
        ka, kb = rows_a.get(frame), rows_b.get(frame)
        if ka is not None and kb is not None and last_a is not None and last_b is not None:
            here_a, here_b = (a.keypoints[ka], a.confidence[ka]), (b.keypoints[kb], b.confidence[kb])
            keep = _pose_distance(here_a, last_a) + _pose_distance(here_b, last_b)
            swap = _pose_distance(here_b, last_a) + _pose_distance(here_a, last_b)
            if swap < ratio * keep:
                for field_name in ("keypoints", "confidence") + (("landmarks",) if a.landmarks is not None else ()):
                    va, vb = getattr(a, field_name), getattr(b, field_name)
                    va[ka], vb[kb] = vb[kb].copy(), va[ka].copy()
                a.entries[ka], b.entries[kb] = b.entries[kb], a.entries[ka]
                moved += 1
        if ka is not None:
            last_a = (a.keypoints[ka], a.confidence[ka])
        if kb is not None:
            last_b = (b.keypoints[kb], b.confidence[kb])
    return moved


def _pose_distance(pose: tuple[np.ndarray, np.ndarray], reference: tuple[np.ndarray, np.ndarray]) -> float:
    """Mean distance of the joints both poses have, over the reference pose's size (inf if none shared)."""
    both = (pose[1] > 0) & (reference[1] > 0)
    if not both.any():
        return math.inf
    size = np.ptp(reference[0][reference[1] > 0], axis=0).max() + 1e-6
    return float(np.linalg.norm(pose[0][both] - reference[0][both], axis=-1).mean() / size)
