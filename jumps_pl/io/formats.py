"""Reading 2D pose-estimator output into one form: per person track, the 12 COCO body joints.

Formats (``--format``, or guessed from the path and content), one module each:

- ``alphapose``, ``coco``: AlphaPose results / COCO keypoint results or dataset JSON (``io/alphapose.py``);
- ``openpose``: a folder of OpenPose per-frame JSON files (``io/openpose.py``);
- ``mediapipe``: MediaPipe Pose landmarks JSON (``io/mediapipe.py``);
- ``npy``, ``csv``: plain arrays of one person (``io/arrays.py``);
- ``yolo``: Ultralytics YOLO pose, a ``save_txt`` label folder or ``Results.to_json()`` per frame
  (``io/yolo.py``); label coordinates are normalized, so they need ``image_size``;
- ``mmpose``: MMPose inferencer predictions (``pred_out_dir``), per video or per image (``io/mmpose.py``).

Anything malformed raises ``PoseFormatError`` naming the file and the entry (list index, frame,
line, joint), before anything is written.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from jumps_pl.io import alphapose, arrays, mediapipe, mmpose, openpose, yolo
from jumps_pl.io.tracks import COCO17, PoseFile, PoseFormatError, Track, _load_json, link_tracks

__all__ = ["COCO17", "FORMATS", "PoseFile", "PoseFormatError", "Track", "guess_format", "link_tracks", "read_poses"]

_READERS: dict[str, Callable[..., PoseFile]] = {
    "alphapose": alphapose.read_results,
    "coco": alphapose.read_results,
    "openpose": openpose.read_openpose,
    "mediapipe": mediapipe.read_mediapipe,
    "npy": arrays.read_npy,
    "csv": arrays.read_csv,
    "yolo": yolo.read_yolo,
    "mmpose": mmpose.read_mmpose,
}
FORMATS = tuple(_READERS)


def read_poses(path: str | Path, format: str | None = None, image_size: tuple[int, int] | None = None) -> PoseFile:
    """Read a pose file or folder into tracks of the 12 input joints.

    ``image_size`` (width, height) px scales normalized coordinates (YOLO labels, or its JSON with
    normalize=True); other formats are in pixels.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if path.is_file() and path.stat().st_size == 0:
        raise PoseFormatError(f"{path}: empty file")
    format = format or guess_format(path)
    if format not in FORMATS:
        raise PoseFormatError(f"{path}: unknown format {format!r}; known: {', '.join(FORMATS)}")
    reader = _READERS[format]
    if format == "yolo":
        reader = partial(reader, image_size=image_size)
    pose_file = reader(path, format)
    if not any(len(t.frames) for t in pose_file.tracks):
        raise PoseFormatError(f"{path}: no person detected in any frame")
    return pose_file


def guess_format(path: Path) -> str:
    """The format of a file or folder, from its suffix and the first entries of its content.

    A single ``.txt`` is not guessed (too generic a suffix); a folder of them is YOLO's label folder.
    """
    if path.is_dir():
        return _guess_folder(path)
    suffix = path.suffix.lower()
    if suffix in (".npy", ".csv"):
        return suffix[1:]
    if suffix != ".json":
        raise PoseFormatError(f"{path}: unknown format (suffix {suffix or 'none'!r}); use --format with one of "
                              f"{', '.join(FORMATS)}")
    data = _load_json(path)
    if isinstance(data, dict):
        for key, format in (("detections", "mediapipe"), ("people", "openpose"), ("annotations", "coco")):
            if key in data:
                return format
    if isinstance(data, list):
        return _guess_list(data)
    raise PoseFormatError(f"{path}: JSON is neither a list of keypoint results nor a MediaPipe/OpenPose/COCO "
                          f"object; use --format with one of {', '.join(FORMATS)}")


def _guess_folder(path: Path) -> str:
    """OpenPose or MMPose per-frame JSON files, or YOLO label files; an empty folder reads as OpenPose's."""
    first_json = min(path.glob("*.json"), default=None)
    if first_json is not None:
        return "mmpose" if isinstance(_load_json(first_json), list) else "openpose"
    return "yolo" if any(path.glob("*.txt")) else "openpose"


def _guess_list(data: list) -> str:
    first: Any = data[0] if data else None
    if isinstance(first, list):
        return "yolo"  # Results.to_json() of every frame, one list per frame
    if isinstance(first, dict):
        if ("frame_id" in first and "instances" in first) or "keypoint_scores" in first:
            return "mmpose"
        if isinstance(first.get("keypoints"), dict):
            return "yolo"  # Results.to_json() of one image
    return "alphapose" if any(isinstance(e, dict) and "idx" in e for e in data) else "coco"
