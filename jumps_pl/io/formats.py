"""Readers for 2D pose-estimator output, into one form: per person track, the 12 COCO body joints.

Formats (``--format``, or guessed from the path and content):

- ``alphapose``: AlphaPose results JSON, a list of ``{"image_id", "keypoints": [x, y, s] * K, "score",
  "idx"}`` with K = 17 (COCO), 26 (Halpe) or 136 (Halpe full body; the first 17 are COCO's). ``idx``
  is the track id (tracking on); ``image_id`` is a frame file name ("12.jpg", "frame_000012.png") or
  a number.
- ``coco``: COCO keypoint results JSON (the same list, no ``idx``), or a COCO dataset file with
  ``images`` and ``annotations``. Without track ids, detections are linked frame to frame
  (``link_tracks``).
- ``openpose``: a folder of OpenPose per-frame JSON files (``*_000000000012_keypoints.json``), people
  with ``pose_keypoints_2d`` in BODY_25 (75 values) or COCO-18 (54 values).
- ``mediapipe``: ``{"fps", "landmark_names", "detections": [{"frame", "landmarks": [[x, y, v]] * 33}]}``
  as in ``../shared/media/street``.
- ``npy``: an array (F, J, 2) or (F, J, 3) (x, y[, confidence]) with J = 12 (COCO body order), 17
  (COCO) or 21 (jumps-pl); an entry with x and y both NaN is missing.
- ``csv``: one row per frame, a header of ``<joint>_x, <joint>_y[, <joint>_c]`` columns for the 12
  COCO body joints (``left_shoulder_x``, ...), optionally a ``frame`` column; empty cells are missing.

Anything malformed raises ``PoseFormatError`` naming the file and the entry (list index, frame,
line, joint), before anything is written.
"""
from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from jumps_pl import skeleton

FORMATS = ("alphapose", "coco", "openpose", "mediapipe", "npy", "csv")
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
    """One person: ``frames`` (K,) increasing frame numbers, ``keypoints`` (K, 12, 2) px, ``confidence``
    (K, 12) in [0, 1] (0 where the detector gave no joint); ``entries`` (K,) where each came from
    (list index, or (frame, person) for OpenPose), for writers."""

    track_id: int | str
    frames: np.ndarray
    keypoints: np.ndarray
    confidence: np.ndarray
    entries: list = field(default_factory=list)


@dataclass
class PoseFile:
    path: Path
    format: str
    tracks: list[Track]
    fps: float | None = None
    frame_count: int | None = None
    raw: Any = None                    # the parsed input, kept for writers that extend it
    frame_ids: dict[int, Any] = field(default_factory=dict)  # frame number -> the input's image_id


def _fail(path: Path, where: str, message: str) -> PoseFormatError:
    return PoseFormatError(f"{path}: {where}: {message}")


def guess_format(path: Path) -> str:
    if path.is_dir():
        return "openpose"
    suffix = path.suffix.lower()
    if suffix in (".npy", ".csv"):
        return suffix[1:]
    if suffix != ".json":
        raise PoseFormatError(f"{path}: unknown format (suffix {suffix or 'none'!r}); use --format with one of "
                              f"{', '.join(FORMATS)}")
    data = _load_json(path)
    if isinstance(data, dict) and "detections" in data:
        return "mediapipe"
    if isinstance(data, dict) and "people" in data:
        return "openpose"
    if isinstance(data, dict) and "annotations" in data:
        return "coco"
    if isinstance(data, list):
        return "alphapose" if any(isinstance(e, dict) and "idx" in e for e in data) else "coco"
    raise PoseFormatError(f"{path}: JSON is neither a list of keypoint results nor a MediaPipe/OpenPose/COCO "
                          f"object; use --format with one of {', '.join(FORMATS)}")


def read_poses(path: str | Path, format: str | None = None) -> PoseFile:
    """Read a pose file or OpenPose folder into tracks of the 12 input joints."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if path.is_file() and path.stat().st_size == 0:
        raise PoseFormatError(f"{path}: empty file")
    format = format or guess_format(path)
    if format not in FORMATS:
        raise PoseFormatError(f"{path}: unknown format {format!r}; known: {', '.join(FORMATS)}")
    reader = {"alphapose": _read_results, "coco": _read_results, "openpose": _read_openpose,
              "mediapipe": _read_mediapipe, "npy": _read_npy, "csv": _read_csv}[format]
    pose_file = reader(path, format)
    if not any(len(t.frames) for t in pose_file.tracks):
        raise PoseFormatError(f"{path}: no person detected in any frame")
    return pose_file


# --- JSON helpers ------------------------------------------------------------------------------------
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


def _triplets(path: Path, where: str, values: Any, layouts: dict[int, str]) -> tuple[np.ndarray, np.ndarray]:
    """(12, 2) keypoints and (12,) confidences from a flat [x, y, s] * K list."""
    if not isinstance(values, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                               for v in values):
        raise _fail(path, where, "keypoints must be a list of numbers")
    if len(values) % 3 or len(values) // 3 not in layouts:
        expected = " or ".join(f"{3 * k} ({k} joints x 3)" for k in layouts)
        raise _fail(path, where, f"keypoints has {len(values)} values, expected {expected}")
    array = np.asarray(values, dtype=np.float64).reshape(-1, 3)
    names = COCO17 if layouts[len(array)] == "coco17" and len(array) == 17 else tuple(
        f"keypoint {k}" for k in range(len(array)))
    _checked(path, where, array, names)  # every keypoint, also those the model does not use
    return _checked(path, where, array[list(LAYOUTS[layouts[len(array)]])])


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


# --- AlphaPose / COCO results -------------------------------------------------------------------------
def _read_results(path: Path, format: str) -> PoseFile:
    data = _load_json(path)
    frame_ids: dict[int, Any] = {}
    if isinstance(data, dict) and "annotations" in data:  # a COCO dataset file
        images = {img.get("id"): img.get("file_name", img.get("id")) for img in data.get("images", [])
                  if isinstance(img, dict)}
        entries = data["annotations"]
        if not isinstance(entries, list):
            raise _fail(path, "annotations", "must be a list")
        data_image = lambda e: images.get(e.get("image_id"), e.get("image_id"))  # noqa: E731
    elif isinstance(data, list):
        entries = data
        data_image = lambda e: e.get("image_id")  # noqa: E731
    else:
        raise PoseFormatError(f"{path}: expected a list of keypoint results (AlphaPose / COCO)")
    layouts = {17: "coco17", 26: "coco17", 136: "coco17", 133: "coco17"}
    detections: list[tuple[int, Any, np.ndarray, np.ndarray, float, int]] = []
    for i, entry in enumerate(entries):
        where = f"entry {i}"
        if not isinstance(entry, dict):
            raise _fail(path, where, "must be an object")
        if "keypoints" not in entry:
            raise _fail(path, where, "has no 'keypoints'")
        if entry.get("category_id", 1) != 1 or entry.get("jumps_filled"):
            continue  # not a person, or a frame `jumps upsample` filled in
        frame = _frame_number(path, where, data_image(entry))
        frame_ids.setdefault(frame, data_image(entry))
        keypoints, confidence = _triplets(path, where, entry["keypoints"], layouts)
        score = entry.get("score", 1.0)
        if not isinstance(score, (int, float)) or not math.isfinite(score):
            raise _fail(path, where, f"score {score!r} is not a finite number")
        track = entry.get("idx")
        if isinstance(track, list):  # AlphaPose may write idx as a list
            track = track[0] if track else None
        detections.append((frame, track, keypoints, confidence, float(score), i))
    return PoseFile(path, format, _group_tracks(detections), raw=data, frame_ids=frame_ids)


def _group_tracks(detections: list) -> list[Track]:
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
    """Greedy frame-to-frame linking of untracked detections (frame, _, keypoints, confidence, score, entry):
    a detection joins the track whose last pose is nearest (mean joint distance over the joints both
    have, relative to that pose's size), if nearer than ``max_distance`` sizes; else it starts a track."""
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


# --- OpenPose -----------------------------------------------------------------------------------------
def _read_openpose(path: Path, format: str) -> PoseFile:
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise PoseFormatError(f"{path}: no OpenPose .json files in this folder")
    layouts = {25: "body25", 18: "coco18"}
    detections = []
    frame_ids: dict[int, Any] = {}
    raw: dict[str, Any] = {}
    for order, file in enumerate(files):
        if file.stat().st_size == 0:
            raise PoseFormatError(f"{file}: empty file")
        data = _load_json(file)
        if not isinstance(data, dict) or not isinstance(data.get("people"), list):
            raise PoseFormatError(f"{file}: not an OpenPose frame (no 'people' list)")
        numbers = re.findall(r"\d+", file.stem)
        frame = int(numbers[-1]) if numbers else order
        frame_ids[frame] = file.name
        raw[file.name] = data
        for p, person in enumerate(data["people"]):
            where = f"people[{p}]"
            if not isinstance(person, dict) or "pose_keypoints_2d" not in person:
                raise _fail(file, where, "has no 'pose_keypoints_2d'")
            if not person["pose_keypoints_2d"] or person.get("jumps_filled"):
                continue
            keypoints, confidence = _triplets(file, where, person["pose_keypoints_2d"], layouts)
            ids = person.get("person_id", -1)
            track = ids[0] if isinstance(ids, list) and ids else ids
            detections.append((frame, None if track in (-1, None) else track, keypoints, confidence,
                               float(confidence.mean()), (file.name, p)))
    return PoseFile(path, format, _group_tracks(detections), raw=raw, frame_ids=frame_ids)


# --- MediaPipe ----------------------------------------------------------------------------------------
def _read_mediapipe(path: Path, format: str) -> PoseFile:
    data = _load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("detections"), list):
        raise PoseFormatError(f"{path}: not MediaPipe pose JSON (no 'detections' list)")
    names = data.get("landmark_names")
    if names is not None:
        missing = [n for n in skeleton.LOW_RES_JOINTS if n not in names]
        if missing:
            raise _fail(path, "landmark_names", f"lacks {', '.join(missing)}")
        columns = [names.index(n) for n in skeleton.LOW_RES_JOINTS]
        count = len(names)
    else:
        columns, count = list(LAYOUTS["mediapipe33"]), 33
    fps = data.get("fps")
    if fps is not None and (not isinstance(fps, (int, float)) or not fps > 0):
        raise _fail(path, "fps", f"{fps!r} must be a positive number")
    frames, keypoints, confidence, entries = [], [], [], []
    for i, detection in enumerate(data["detections"]):
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
        frames.append(frame)
        keypoints.append(k)
        confidence.append(c)
        entries.append(i)
    order = np.argsort(frames, kind="stable")
    track = Track(0, np.asarray(frames, dtype=np.int64)[order],
                  np.stack(keypoints)[order] if keypoints else np.zeros((0, 12, 2), np.float32),
                  np.stack(confidence)[order] if confidence else np.zeros((0, 12), np.float32),
                  [entries[i] for i in order])
    return PoseFile(path, format, [track], fps=float(fps) if fps else None,
                    frame_count=data.get("frames") if isinstance(data.get("frames"), int) else None, raw=data)


# --- arrays -------------------------------------------------------------------------------------------
def _from_array(path: Path, array: np.ndarray, where_frame) -> Track:
    """(F, J, 2|3) -> a track over every frame; (x, y) both NaN marks a missing entry."""
    layouts = {12: "input12", 17: "coco17", 21: "jumps21"}
    if array.ndim != 3 or array.shape[1] not in layouts or array.shape[2] not in (2, 3):
        raise PoseFormatError(f"{path}: array of shape {array.shape}; expected (frames, 12|17|21, 2|3)")
    array = array[:, list(LAYOUTS[layouts[array.shape[1]]])].astype(np.float64)
    missing = np.isnan(array[..., 0]) & np.isnan(array[..., 1])
    confidence = array[..., 2] if array.shape[2] == 3 else np.ones(array.shape[:2])
    confidence = np.where(missing, 0.0, confidence)
    keypoints = np.where(missing[..., None], 0.0, array[..., :2])
    bad = ~np.isfinite(keypoints).all(-1) | ~np.isfinite(confidence) | (confidence < 0)
    for f in np.nonzero(bad.any(axis=1))[0][:1]:
        _checked(path, where_frame(f), np.concatenate([keypoints[f], confidence[f][:, None]], axis=1))
    present = ~missing.all(axis=1)
    frames = np.nonzero(present)[0]
    return Track(0, frames.astype(np.int64), keypoints[frames].astype(np.float32),
                 np.minimum(confidence[frames], 1.0).astype(np.float32), frames.tolist())


def _read_npy(path: Path, format: str) -> PoseFile:
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as err:
        raise PoseFormatError(f"{path}: not a readable .npy array ({err})") from None
    if not np.issubdtype(array.dtype, np.number):
        raise PoseFormatError(f"{path}: array of dtype {array.dtype}; expected numbers")
    track = _from_array(path, array, lambda f: f"frame {f}")
    return PoseFile(path, format, [track], frame_count=len(array), raw=None)


def _read_csv(path: Path, format: str) -> PoseFile:
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise PoseFormatError(f"{path}: empty file")
    header = [h.strip() for h in rows[0]]
    with_conf = all(f"{n}_c" in header for n in skeleton.LOW_RES_JOINTS)
    needed = [f"{n}_{a}" for n in skeleton.LOW_RES_JOINTS for a in ("xyc" if with_conf else "xy")]
    absent = [n for n in needed if n not in header]
    if absent:
        raise _fail(path, "line 1 (header)", f"missing columns {', '.join(absent[:4])}"
                                             f"{' ...' if len(absent) > 4 else ''}; expected <joint>_x, "
                                             "<joint>_y[, <joint>_c] for the 12 COCO body joints")
    columns = [header.index(n) for n in needed]
    frame_column = header.index("frame") if "frame" in header else None
    values = np.full((len(rows) - 1, 12, 3), np.nan)
    frame_numbers = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise _fail(path, f"line {line}", f"{len(row)} cells, the header has {len(header)}")
        cells = []
        for c in columns:
            text = row[c].strip()
            try:
                cells.append(float(text) if text else math.nan)
            except ValueError:
                raise _fail(path, f"line {line}, column {header[c]}", f"{text!r} is not a number") from None
        cells = np.asarray(cells).reshape(12, 3 if with_conf else 2)
        values[line - 2, :, : cells.shape[1]] = cells
        if not with_conf:
            values[line - 2, :, 2] = 1.0
        if frame_column is not None:
            try:
                frame_numbers.append(int(row[frame_column]))
            except ValueError:
                raise _fail(path, f"line {line}, column frame", f"{row[frame_column]!r} is not an integer") from None
    lines = np.arange(len(values)) + 2
    track = _from_array(path, values, lambda f: f"line {lines[f]}")
    if frame_column is not None:
        track.frames = np.asarray(frame_numbers, dtype=np.int64)[track.frames]
        if np.any(np.diff(track.frames) <= 0):
            raise _fail(path, "column frame", "frame numbers must increase")
    return PoseFile(path, format, [track], raw=None)
