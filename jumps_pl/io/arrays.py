"""Plain arrays of one person's keypoints, one row per frame.

- ``npy``: an array (F, J, 2) or (F, J, 3) (x, y[, confidence]) with J = 12 (COCO body order), 17
  (COCO) or 21 (jumps-pl); an entry with x and y both NaN is missing.
- ``csv``: a header of ``<joint>_x, <joint>_y[, <joint>_c]`` columns for the 12 COCO body joints
  (``left_shoulder_x``, ...), optionally a ``frame`` column; empty cells are missing.
"""
from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from jumps_pl import skeleton
from jumps_pl.io.tracks import LAYOUTS, PoseFile, PoseFormatError, Track, _checked, _fail

_LAYOUTS = {12: "input12", 17: "coco17", 21: "jumps21"}


def read_npy(path: Path, format: str) -> PoseFile:
    """Read a ``.npy`` array (F, J, 2) or (F, J, 3) as one track."""
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as err:
        raise PoseFormatError(f"{path}: not a readable .npy array ({err})") from None
    track = _from_array(path, array, lambda f: f"frame {f}")
    return PoseFile(path, format, [track], frame_count=len(array), raw=None)


def read_csv(path: Path, format: str) -> PoseFile:
    """Read a ``.csv`` of the 12 COCO body joints' columns, a row per frame, as one track."""
    with open(path, newline="") as handle:
        rows = [r for r in csv.reader(handle) if any(cell.strip() for cell in r)]
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
        cells = np.asarray([_cell(path, line, header[c], row[c]) for c in columns]).reshape(12, -1)
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


def _cell(path: Path, line: int, column: str, text: str) -> float:
    text = text.strip()
    try:
        return float(text) if text else math.nan
    except ValueError:
        raise _fail(path, f"line {line}, column {column}", f"{text!r} is not a number") from None


def keypoint_array(array: np.ndarray, what: str | Path, where_frame: Callable[[int], str] = lambda f: f"frame {f}",
                   keep_all_21: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One person's keypoints as every entry point takes them (``.npy``, ``.csv``, ``Upsampler.upsample``).

    ``array`` (F, J, 2) or (F, J, 3) (x, y[, confidence]) with J = 12 (COCO body order), 17 (COCO) or 21
    (jumps-pl); an entry with x and y both NaN is missing. Returns keypoints (F, 12, 2) px, 0 where missing,
    confidences (F, 12), 1 where the array gives none and 0 where missing, and which entries are present
    (F, 12); (F, 21, ...) for 21-joint input with ``keep_all_21``. Bad values raise a ``PoseFormatError``
    naming ``what`` and the frame.
    """
    array = np.asarray(array)
    if array.ndim != 3 or array.shape[1] not in _LAYOUTS or array.shape[2] not in (2, 3):
        raise PoseFormatError(f"{what}: array of shape {array.shape}; expected (frames, 12|17|21, 2|3)")
    if not np.issubdtype(array.dtype, np.number):
        raise PoseFormatError(f"{what}: array of dtype {array.dtype}; expected numbers")
    if not (keep_all_21 and array.shape[1] == skeleton.NUM_JOINTS):
        array = array[:, list(LAYOUTS[_LAYOUTS[array.shape[1]]])]
    array = array.astype(np.float64)
    missing = np.isnan(array[..., 0]) & np.isnan(array[..., 1])
    confidence = array[..., 2] if array.shape[2] == 3 else np.ones(array.shape[:2])
    confidence = np.where(missing, 0.0, confidence)
    keypoints = np.where(missing[..., None], 0.0, array[..., :2])
    bad = ~np.isfinite(keypoints).all(-1) | ~np.isfinite(confidence) | (confidence < 0)
    names = skeleton.HIGH_RES_JOINTS if array.shape[1] == skeleton.NUM_JOINTS else skeleton.LOW_RES_JOINTS
    for f in np.nonzero(bad.any(axis=1))[0][:1]:
        _checked(Path(what), where_frame(f), np.concatenate([keypoints[f], confidence[f][:, None]], axis=1), names)
    return keypoints, np.minimum(confidence, 1.0), ~missing


def _from_array(path: Path, array: np.ndarray, where_frame: Callable[[int], str]) -> Track:
    """(F, J, 2|3) -> a track over every frame; (x, y) both NaN marks a missing entry."""
    keypoints, confidence, present = keypoint_array(array, path, where_frame)
    present = present.any(axis=1)
    frames = np.nonzero(present)[0]
    return Track(0, frames.astype(np.int64), keypoints[frames].astype(np.float32),
                 confidence[frames].astype(np.float32), frames.tolist())
