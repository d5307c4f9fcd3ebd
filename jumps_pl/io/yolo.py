"""Ultralytics YOLO pose output (YOLOv8 / YOLO11 ``*-pose`` models, COCO-17 keypoints), in two layouts.

1. The label folder of ``model.predict(source, save_txt=True[, save_conf=True])`` or ``model.track(...,
   save_txt=True)``: ``labels/NAME_FRAME.txt``, one file per video frame with a detection, one line per
   person::

       class cx cy w h  x1 y1 v1 ... x17 y17 v17  [box confidence]  [track id]

   Box and keypoints are normalized to the image (0..1), so reading them needs the image size
   (``image_size=(W, H)``; ``jumps upsample --size WxH`` or ``--video FILE``). The box confidence is
   there with ``save_conf=True``, the track id when tracking; models without keypoint visibility write
   ``x y`` pairs (39 + 0..2 columns instead of 56 + 0..2). With 57 columns the extra one is a track id
   when every value of it in the folder is a whole number >= 1, else the box confidence.
   Ultralytics counts video frames from 1 (``video_1.txt`` is the first frame): frame numbers are read
   as ``FRAME - 1``, so they line up with the video's frames and the other formats, unless a file is
   numbered 0 (labels of images numbered from 0), when they are taken as they are.
2. ``Results.to_json()`` (``tojson()`` before 8.3): per image a list of ``{"name", "class",
   "confidence", "box": {"x1", "y1", "x2", "y2"}, "keypoints": {"x": [17], "y": [17], "visible": [17]}}``,
   plus ``"track_id"`` when tracked. It is written per image, so this reader takes a JSON list with one
   such list per frame (``json.dump([json.loads(r.to_json()) for r in results], f)``; the frame is the
   position in the list), or a single image's list. Pixels by default; ``to_json(normalize=True)``
   (every coordinate <= 1) needs ``image_size`` as labels do.

Ultralytics sets the coordinates of keypoints it is less than 0.5 sure of to (0, 0) (``Keypoints``), so
a keypoint at exactly (0, 0) reads as not detected (confidence 0). Only class 0 (person) is read.

Layout as documented by Ultralytics, and as its source writes it:
- https://docs.ultralytics.com/modes/predict/ (``save_txt``, ``save_conf``; working with ``Results``)
- https://docs.ultralytics.com/datasets/pose/ (the pose label line: class, box, ``px py visibility`` * K)
- https://docs.ultralytics.com/reference/engine/results/ and ultralytics/engine/results.py on
  github.com/ultralytics/ultralytics: ``Results.save_txt`` (class, ``xywhn``, keypoints ``xyn`` + conf,
  then ``conf`` if ``save_conf``, then the track id if tracked), ``Results.summary`` (what ``to_json``
  writes), ``Keypoints.__init__`` (keypoints under 0.5 confidence zeroed)
- ultralytics/engine/predictor.py (``labels/{stem}_{frame}.txt`` for videos) and ultralytics/data/loaders.py
  (``frame`` counted from 1)
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from jumps_pl.io.tracks import (
    COCO17,
    Detection,
    PoseFile,
    PoseFormatError,
    _fail,
    _is_number,
    _load_json,
    _rows,
    _score,
    group_tracks,
)

_KEYPOINTS = len(COCO17)
_BOX = 5  # class, cx, cy, w, h
_COLUMNS = {_BOX + 3 * _KEYPOINTS: 3, _BOX + 2 * _KEYPOINTS: 2}  # columns before conf / track id -> values per keypoint
_LAYOUT = {_KEYPOINTS: "coco17"}
_SIZE_HINT = "pass the image size: --size WxH or --video FILE (read_poses(..., image_size=(W, H)))"


def read_yolo(path: Path, format: str, image_size: tuple[int, int] | None = None) -> PoseFile:
    """A label folder (or one label file) or a ``to_json`` list of frames, into tracks."""
    if path.is_dir() or path.suffix.lower() == ".txt":
        return _read_labels(path, format, image_size)
    return _read_json(path, format, image_size)


def _checked_size(path: Path, image_size: Any, why: str) -> tuple[float, float]:
    if image_size is None:
        raise PoseFormatError(f"{path}: {why}; {_SIZE_HINT}")
    if (not isinstance(image_size, (tuple, list)) or len(image_size) != 2
            or not all(_is_number(v) and math.isfinite(v) and v > 0 for v in image_size)):
        raise ValueError(f"image_size must be (width, height) in pixels, got {image_size!r}")
    return float(image_size[0]), float(image_size[1])


# --- label folder (save_txt) --------------------------------------------------------------------------
def _read_labels(path: Path, format: str, image_size: Any) -> PoseFile:
    files = sorted(path.glob("*.txt")) if path.is_dir() else [path]
    if not files:
        raise PoseFormatError(f"{path}: no Ultralytics label .txt files in this folder")
    width, height = _checked_size(path, image_size, "Ultralytics labels are normalized to the image size")
    numbers = {file: _label_number(file) for file in files}
    first = 0 if min(numbers.values()) == 0 else 1
    lines = [(file, n, values) for file in files for n, values in _label_lines(file)]
    _same_keypoint_layout(lines)
    extra_is_track = _extra_column_is_track(lines)
    detections = []
    for file, n, values in lines:
        detection = _label_detection(file, n, values, extra_is_track, numbers[file] - first, (width, height))
        if detection is not None:
            detections.append(detection)
    frame_ids = {numbers[file] - first: file.name for file in files}
    return PoseFile(path, format, group_tracks(detections), frame_ids=frame_ids,
                    image_size=(int(width), int(height)))


def _label_number(file: Path) -> int:
    numbers = re.findall(r"\d+", file.stem)
    if not numbers:
        raise PoseFormatError(f"{file}: no frame number in the file name; Ultralytics names video labels "
                              "NAME_FRAME.txt")
    return int(numbers[-1])


def _label_lines(file: Path) -> list[tuple[int, np.ndarray]]:
    """(line number, values) of every non-empty line; every value a number, a known column count."""
    counts = sorted({base + extra for base in _COLUMNS for extra in (0, 1, 2)})
    result = []
    for n, line in enumerate(file.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        cells = line.split()
        if len(cells) not in counts:
            raise _fail(file, f"line {n}", f"{len(cells)} columns; expected class, cx, cy, w, h, 17 keypoints x, y, "
                                           f"visibility (56), then the box confidence and / or the track id "
                                           f"(57, 58; 39 to 41 without visibility)")
        try:
            result.append((n, np.asarray([float(c) for c in cells])))
        except ValueError:
            bad = next(c for c in cells if not _parses(c))
            raise _fail(file, f"line {n}", f"{bad!r} is not a number") from None
    return result


def _parses(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _same_keypoint_layout(lines: list[tuple[Path, int, np.ndarray]]) -> None:
    """One model wrote the folder: every line has keypoints with visibility, or every line has none."""
    for file, n, values in lines:
        if _base(values) != _base(lines[0][2]):
            raise _fail(file, f"line {n}", f"{len(values)} columns, but {lines[0][0].name} line {lines[0][1]} has "
                                           f"{len(lines[0][2])}: keypoints with and without visibility")


def _extra_column_is_track(lines: list[tuple[Path, int, np.ndarray]]) -> bool:
    """Whether a single column after the keypoints is a track id (save_conf off, tracking), not the box confidence.

    Yes when every such value is a whole number >= 1 and no line has both columns.
    """
    if any(len(values) - _base(values) == 2 for _, _, values in lines):
        return False
    extras = [values[-1] for _, _, values in lines if len(values) - _base(values) == 1]
    return bool(extras) and all(v >= 1 and float(v).is_integer() for v in extras)


def _base(values: np.ndarray) -> int:
    return next(base for base in _COLUMNS if 0 <= len(values) - base <= 2)


def _label_detection(file: Path, n: int, values: np.ndarray, extra_is_track: bool, frame: int,
                     size: tuple[float, float]) -> Detection | None:
    where = f"line {n}"
    if not values[0].is_integer():
        raise _fail(file, where, f"class {values[0]:g} is not a whole number")
    if values[0] != 0:
        return None  # not a person
    base = _base(values)
    extra = list(values[base:])
    track = extra.pop() if (len(extra) == 2 or (extra and extra_is_track)) else None
    if track is not None and not track.is_integer():
        raise _fail(file, where, f"track id {track:g} is not a whole number")
    score = _score(file, where, extra[0], "box confidence") if extra else 1.0
    per_keypoint = _COLUMNS[base]
    rows = values[_BOX:base].reshape(_KEYPOINTS, per_keypoint)
    if per_keypoint == 2:
        rows = np.concatenate([rows, np.ones((_KEYPOINTS, 1))], axis=1)
    keypoints, confidence = _pixels(file, where, rows, size)
    return Detection(frame, None if track is None else int(track), keypoints, confidence, score, (file.name, n))


def _pixels(file: Path, where: str, rows: np.ndarray, size: tuple[float, float] | None
            ) -> tuple[np.ndarray, np.ndarray]:
    """(12, 2) px and (12,) confidences from (17, 3) x, y, confidence; (0, 0) is a keypoint not detected."""
    rows = rows.copy()
    unseen = (rows[:, 0] == 0) & (rows[:, 1] == 0)
    if size is not None:
        rows[:, :2] *= size
    rows[unseen, 2] = 0.0
    return _rows(file, where, rows, _LAYOUT)


# --- Results.to_json() --------------------------------------------------------------------------------
def _read_json(path: Path, format: str, image_size: Any) -> PoseFile:
    data = _load_json(path)
    if not isinstance(data, list):
        raise PoseFormatError(f"{path}: expected a list with one Results.to_json() list per frame")
    frames = data if data and all(isinstance(e, list) for e in data) else [data]
    for f, frame in enumerate(frames):
        if not isinstance(frame, list) or not all(isinstance(d, dict) for d in frame):
            raise _fail(path, f"frame {f}", "must be a list of detections (objects), as Results.to_json() writes")
    size = None
    if _normalized(path, frames):
        size = _checked_size(path, image_size, "coordinates are normalized (to_json(normalize=True))")
    detections = []
    for f, frame in enumerate(frames):
        for i, entry in enumerate(frame):
            detection = _json_detection(path, f"frame {f}, detection {i}", entry, f, i, size)
            if detection is not None:
                detections.append(detection)
    return PoseFile(path, format, group_tracks(detections), raw=data,
                    image_size=(int(size[0]), int(size[1])) if size else None)


def _normalized(path: Path, frames: list[list[dict]]) -> bool:
    """Whether every box coordinate is <= 1: a person's box in pixels never is."""
    corners = [v for frame in frames for d in frame if isinstance(d.get("box"), dict) for v in d["box"].values()]
    if not corners:
        corners = [v for frame in frames for d in frame if isinstance(d.get("keypoints"), dict)
                   for v in (*d["keypoints"].get("x", []), *d["keypoints"].get("y", []))]
    numbers = [v for v in corners if _is_number(v)]
    return bool(numbers) and max(numbers) <= 1.0


def _json_detection(path: Path, where: str, entry: dict, frame: int, index: int,
                    size: tuple[float, float] | None) -> Detection | None:
    if entry.get("class", 0) != 0:
        return None  # not a person
    keypoints = entry.get("keypoints")
    if not isinstance(keypoints, dict) or "x" not in keypoints or "y" not in keypoints:
        raise _fail(path, where, "has no 'keypoints' with 'x' and 'y' lists (a pose model's Results)")
    columns = [keypoints["x"], keypoints["y"], keypoints.get("visible", [1.0] * _KEYPOINTS)]
    for name, column in zip(("x", "y", "visible"), columns, strict=True):
        if not isinstance(column, list) or not all(_is_number(v) for v in column):
            raise _fail(path, where, f"keypoints {name} must be a list of numbers")
        if len(column) != _KEYPOINTS:
            raise _fail(path, where, f"keypoints {name} has {len(column)} values, expected {_KEYPOINTS} (COCO-17)")
    track = entry.get("track_id")
    if track is not None and (not _is_number(track) or not float(track).is_integer()):
        raise _fail(path, where, f"track_id {track!r} is not a whole number")
    score = _score(path, where, entry.get("confidence", 1.0), "confidence")
    points, confidence = _pixels(path, where, np.asarray(columns, dtype=np.float64).T, size)
    return Detection(frame, None if track is None else int(track), points, confidence, score, (frame, index))
