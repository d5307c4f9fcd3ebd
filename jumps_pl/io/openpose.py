"""OpenPose: a folder of per-frame JSON files (``*_000000000012_keypoints.json``, written with ``--write_json``).

Each holds people with ``pose_keypoints_2d`` in BODY_25 (75 values) or COCO-18 (54 values).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jumps_pl.io.tracks import Detection, PoseFile, PoseFormatError, _fail, _load_json, _triplets, group_tracks

_LAYOUTS = {25: "body25", 18: "coco18"}


def read_openpose(path: Path, format: str) -> PoseFile:
    """Read a folder of OpenPose per-frame JSON files (or one such file) into person tracks."""
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise PoseFormatError(f"{path}: no OpenPose .json files in this folder")
    detections: list[Detection] = []
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
            keypoints, confidence = _triplets(file, where, person["pose_keypoints_2d"], _LAYOUTS)
            ids = person.get("person_id", -1)
            track = ids[0] if isinstance(ids, list) and ids else ids
            detections.append(Detection(frame, None if track in (-1, None) else track, keypoints, confidence,
                                        float(confidence.mean()), (file.name, p)))
    return PoseFile(path, format, group_tracks(detections), raw=raw, frame_ids=frame_ids)
