"""AlphaPose results and COCO keypoint results / dataset files: one reader, as they share a layout.

- ``alphapose``: a list of ``{"image_id", "keypoints": [x, y, s] * K, "score", "idx"}`` with K = 17
  (COCO), 26 (Halpe) or 136 (Halpe full body; the first 17 are COCO's). ``idx`` is the track id
  (tracking on); ``image_id`` is a frame file name ("12.jpg", "frame_000012.png") or a number.
- ``coco``: COCO keypoint results (the same list, no ``idx``), or a COCO dataset file with ``images``
  and ``annotations``. Without track ids, detections are linked frame to frame (``link_tracks``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from jumps_pl.io.tracks import (
    Detection,
    PoseFile,
    PoseFormatError,
    _fail,
    _frame_number,
    _load_json,
    _score,
    _triplets,
    group_tracks,
)

_LAYOUTS = {17: "coco17", 26: "coco17", 136: "coco17", 133: "coco17"}


def read_results(path: Path, format: str) -> PoseFile:
    """Read AlphaPose / COCO keypoint results, or a COCO dataset file, into person tracks."""
    entries, image_of, data = _entries(path)
    frame_ids: dict[int, Any] = {}
    detections: list[Detection] = []
    for i, entry in enumerate(entries):
        where = f"entry {i}"
        if not isinstance(entry, dict):
            raise _fail(path, where, "must be an object")
        if "keypoints" not in entry:
            raise _fail(path, where, "has no 'keypoints'")
        if entry.get("category_id", 1) != 1 or entry.get("jumps_filled"):
            continue  # not a person, or a frame `jumps upsample` filled in
        frame = _frame_number(path, where, image_of(entry))
        frame_ids.setdefault(frame, image_of(entry))
        keypoints, confidence = _triplets(path, where, entry["keypoints"], _LAYOUTS)
        score = _score(path, where, entry.get("score", 1.0))
        track = entry.get("idx")
        if isinstance(track, list):  # AlphaPose may write idx as a list
            track = track[0] if track else None
        detections.append(Detection(frame, track, keypoints, confidence, score, i))
    return PoseFile(path, format, group_tracks(detections), raw=data, frame_ids=frame_ids)


def _entries(path: Path) -> tuple[list, Any, Any]:
    """The list of results, how to get an entry's image (file name or id), and the parsed file."""
    data = _load_json(path)
    if isinstance(data, dict) and "annotations" in data:  # a COCO dataset file
        images = {img.get("id"): img.get("file_name", img.get("id")) for img in data.get("images", [])
                  if isinstance(img, dict)}
        if not isinstance(data["annotations"], list):
            raise _fail(path, "annotations", "must be a list")
        return data["annotations"], lambda e: images.get(e.get("image_id"), e.get("image_id")), data
    if isinstance(data, list):
        return data, lambda e: e.get("image_id"), data
    raise PoseFormatError(f"{path}: expected a list of keypoint results (AlphaPose / COCO)")
