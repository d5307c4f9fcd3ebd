"""MMPose inferencer predictions: what ``MMPoseInferencer(...)(inputs, pred_out_dir=DIR)`` saves.

The same files come from ``demo/inferencer_demo.py --pred-out-dir DIR``.

- For a video, ``DIR/<video stem>.json``: ``[{"frame_id": 0, "instances": [...]}, ...]``, one entry per
  frame, ``frame_id`` counted from 0.
- For images, ``DIR/<image stem>.json`` each: the list of instances of that image. A folder of them is
  read as a sequence, the frame number being the last number in the file name (``frame_000012.json``).

An instance is ``{"keypoints": [[x, y]] * K, "keypoint_scores": [s] * K, "bbox": [[x1, y1, x2, y2]],
"bbox_score": s}`` in pixels (``bbox`` and ``bbox_score`` only with a detector, ``bbox`` wrapped in one
more list before MMPose 1.3), and ``"track_id"`` where a tracker added one. K = 17 (COCO), 26 (Halpe) or
133 (COCO-WholeBody); their first 17 keypoints are COCO's. Without track ids, the instances of consecutive
frames are linked per person (``link_tracks``).

RTMPose's SimCC heads give keypoint scores that are not probabilities (above 1, or below 0; MMPose
issues #2755, #3207): they are clipped to [0, 1].

Layout as documented and written by MMPose:
- https://mmpose.readthedocs.io/en/latest/user_guides/inference.html (``pred_out_dir``, ``predictions``)
- mmpose/apis/inferencers/base_mmpose_inferencer.py on github.com/open-mmlab/mmpose: ``postprocess``
  (per-image files) and ``_finalize_video_processing`` (the video file, ``frame_id`` from ``enumerate``)
- mmpose/structures/utils.py, ``split_instances`` (the fields of an instance)
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from jumps_pl.io.tracks import (
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

_LAYOUTS = {17: "coco17", 26: "coco17", 133: "coco17"}
_EXPECTED = "17 (COCO), 26 (Halpe) or 133 (COCO-WholeBody)"


def read_mmpose(path: Path, format: str) -> PoseFile:
    """A per-video or per-image prediction file, or a folder of per-image files, into tracks."""
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise PoseFormatError(f"{path}: no MMPose prediction .json files in this folder")
        detections = [d for file in files for d in _image_detections(file, _load_json(file), _frame_of(file))]
        return PoseFile(path, format, group_tracks(detections), frame_ids={_frame_of(f): f.name for f in files})
    data = _load_json(path)
    if not isinstance(data, list):
        raise PoseFormatError(f"{path}: expected MMPose predictions: a list of instances (one image) or of "
                              "{frame_id, instances} (a video)")
    if data and all(isinstance(e, dict) and "instances" in e for e in data):
        detections = _video_detections(path, data)
    else:
        detections = _image_detections(path, data, _frame_of(path, default=0))
    return PoseFile(path, format, group_tracks(detections), raw=data)


def _frame_of(file: Path, default: int | None = None) -> int:
    numbers = re.findall(r"\d+", file.stem)
    if numbers:
        return int(numbers[-1])
    if default is None:
        raise PoseFormatError(f"{file}: no frame number in the file name (e.g. frame_000012.json)")
    return default


def _video_detections(path: Path, data: list[dict]) -> list[Detection]:
    detections = []
    for k, entry in enumerate(data):
        frame = entry.get("frame_id")
        if not isinstance(frame, int) or isinstance(frame, bool) or frame < 0:
            raise _fail(path, f"entry {k}", f"frame_id {frame!r} must be a whole number >= 0")
        instances = entry["instances"]
        if not isinstance(instances, list):
            raise _fail(path, f"entry {k} (frame_id {frame})", "instances must be a list")
        detections += [_detection(path, f"entry {k} (frame_id {frame}), instances[{i}]", instance, frame, (k, i))
                       for i, instance in enumerate(instances)]
    return detections


def _image_detections(path: Path, data: Any, frame: int) -> list[Detection]:
    if not isinstance(data, list):
        raise PoseFormatError(f"{path}: expected the list of instances MMPose writes per image")
    return [_detection(path, f"entry {i}", instance, frame, i) for i, instance in enumerate(data)]


def _detection(path: Path, where: str, instance: Any, frame: int, entry: Any) -> Detection:
    if not isinstance(instance, dict) or "keypoints" not in instance or "keypoint_scores" not in instance:
        raise _fail(path, where, "an instance needs 'keypoints' and 'keypoint_scores'")
    points, scores = instance["keypoints"], instance["keypoint_scores"]
    if not isinstance(points, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(_is_number(v) for v in p) for p in points):
        raise _fail(path, where, "keypoints must be a list of [x, y] pairs of numbers")
    if len(points) not in _LAYOUTS:
        raise _fail(path, where, f"keypoints has {len(points)} entries, expected {_EXPECTED}")
    if not isinstance(scores, list) or not all(_is_number(v) for v in scores):
        raise _fail(path, where, "keypoint_scores must be a list of numbers")
    if len(scores) != len(points):
        raise _fail(path, where, f"keypoint_scores has {len(scores)} values, keypoints has {len(points)}")
    scores = np.asarray(scores, dtype=np.float64)
    scores = np.where(np.isfinite(scores), np.clip(scores, 0.0, 1.0), scores)  # non-finite ones fail below
    rows = np.concatenate([np.asarray(points, dtype=np.float64), scores[:, None]], axis=1)
    keypoints, confidence = _rows(path, where, rows, _LAYOUTS)
    track = instance.get("track_id")
    if track is not None and (not _is_number(track) or not float(track).is_integer()):
        raise _fail(path, where, f"track_id {track!r} is not a whole number")
    score = float(confidence.mean())
    if "bbox_score" in instance:
        value = instance["bbox_score"]
        score = _score(path, where, value[0] if isinstance(value, list) and len(value) == 1 else value, "bbox_score")
    return Detection(frame, None if track is None else int(track), keypoints, confidence, score, entry)
