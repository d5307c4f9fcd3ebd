"""Writing upsampled tracks: the input's own JSON conventions extended with the 21 joints, ``.npz``, ``.csv``.

Every writer writes to a temporary file (or folder) beside the target and renames it, so a crash leaves
no half-written output, and an existing output is only replaced with ``overwrite``.

Added fields (the input's own fields are kept as they were):
- AlphaPose / COCO results: per entry ``jumps_keypoints`` ([x, y, c] * 21) and ``jumps_joint_names``;
  frames a track had no detection on get a new entry with ``"keypoints": []`` and ``"jumps_filled": true``.
- MediaPipe: top-level ``jumps_joint_names``; per detection ``jumps_landmarks`` ([[x, y, c]] * 21);
  missing frames get ``{"frame", "landmarks": null, "jumps_landmarks"}``.
- OpenPose folder: top-level ``jumps_joint_names`` in every frame file; per person ``jumps_keypoints_2d``.
``c`` is the detector's confidence where the joint was observed (at or above ``upsample.min_confidence``)
and 0 where JUMPS inferred it. Beside it (not instead of it), every writer gives each joint's predicted
90% error radius in pixels (``uncertainty.py``): ``jumps_uncertainty_px`` (JSON and OpenPose:
21 numbers per entry, person or detection), ``uncertainty_px`` (npz), ``NAME_u`` columns (csv).
And what was repaired, per frame and joint (0 the input was kept, 1 relabelled: left and right
exchanged, 2 set aside as an outlier or another person, 3 set aside as uncertain; ``prediction.RepairCode``):
``jumps_repair`` (JSON and OpenPose, with ``jumps_repair_codes``), ``repair`` (npz, with ``repair_codes``),
``NAME_r`` columns (csv). With it, how sure the repair is of each input entry's left/right labelling, as kept
or as relabelled (a probability; null, NaN or empty where nothing was decided): ``jumps_repair_confidence``
(JSON and OpenPose), ``repair_confidence`` (npz), ``NAME_rc`` columns (csv).
The method that wrote it: ``jumps_method`` (JSON: per entry, or top-level for MediaPipe; OpenPose: in every
frame file), ``method`` (npz).
"""
from __future__ import annotations

import copy
import csv
import json
import re
from pathlib import Path

import numpy as np

from jumps_pl import skeleton
from jumps_pl.files import atomic_file, atomic_folder, write_text
from jumps_pl.io.tracks import PoseFile, UpsampledTrack
from jumps_pl.prediction import REPAIR_LABELS

__all__ = ["OUTPUT_KINDS", "output_kind", "write_output"]

OUTPUT_KINDS = ("json", "npz", "csv", "openpose")
# Inputs whose own JSON the .json output extends; others (YOLO, MMPose, arrays) write .npz or .csv.
_JSON_EXTENDED = ("alphapose", "coco", "mediapipe", "openpose")
NAMES = list(skeleton.HIGH_RES_JOINTS)


def output_kind(out: Path, pose_file: PoseFile) -> str:
    """The output kind (``OUTPUT_KINDS``) that ``out``'s name asks for; a ValueError where the input cannot give it."""
    suffix = out.suffix.lower()
    if suffix == ".json" and pose_file.format not in _JSON_EXTENDED:
        raise ValueError(f"--out {out}: .json output extends AlphaPose, COCO, MediaPipe or OpenPose input; for "
                         f"{pose_file.format} input write .npz or .csv")
    if suffix in (".npz", ".csv", ".json"):
        return suffix[1:]
    if not suffix and pose_file.format == "openpose":
        return "openpose"
    raise ValueError(f"--out {out}: unknown output format; use .json, .npz, .csv"
                     f"{' or a folder (OpenPose)' if pose_file.format == 'openpose' else ''}")


def _radius(result: UpsampledTrack, k: int) -> list[float | None]:
    """The predicted 90% radius (px) of the 21 joints of frame k; null where none was calibrated."""
    if result.uncertainty is None:
        return [None] * skeleton.NUM_JOINTS
    return [round(float(u), 2) if np.isfinite(u) else None for u in result.uncertainty[k]]


def _repair(result: UpsampledTrack, k: int) -> list[int]:
    """What was done with the input entries of frame k (``prediction.RepairCode``), 21 codes."""
    return [0] * skeleton.NUM_JOINTS if result.repair is None else [int(c) for c in result.repair[k]]


def _repair_confidence(result: UpsampledTrack, k: int) -> list[float | None]:
    """How sure the repair is of the labelling of each input entry of frame k; null where nothing was decided."""
    if result.repair_confidence is None:
        return [None] * skeleton.NUM_JOINTS
    return [round(float(p), 4) if np.isfinite(p) else None for p in result.repair_confidence[k]]


def _triples(result: UpsampledTrack, k: int) -> list[list[float]]:
    return [[round(float(x), 2), round(float(y), 2), round(float(c), 4)]
            for (x, y), c in zip(result.keypoints[k], result.confidence[k], strict=True)]


def _image_id_for(frame: int, pose_file: PoseFile):
    """An image_id (or OpenPose file name) for a frame without detection, in the style of the input's."""
    if not pose_file.frame_ids:
        return frame
    example = next(iter(pose_file.frame_ids.values()))
    if isinstance(example, str):
        match = list(re.finditer(r"\d+", example))
        if match:
            m = match[-1]
            return example[: m.start()] + str(frame).zfill(len(m.group())) + example[m.end():]
    return frame


def write_output(pose_file: PoseFile, results: list[UpsampledTrack], out: str | Path, fps: float,
                 method: str | None = None) -> Path:
    """Write ``results`` to ``out`` in the kind its name asks for (``output_kind``), atomically.

    The caller has checked ``out`` (``files.check_output``) before any work.
    """
    out = Path(out)
    kind = output_kind(out, pose_file)
    named = {"jumps_method": method} if method else {}
    if kind == "npz":
        with atomic_file(out) as tmp:
            _write_npz(tmp, pose_file, results, fps, method)
    elif kind == "csv":
        with atomic_file(out) as tmp:
            _write_csv(tmp, results)
    elif kind == "openpose":
        _write_openpose(out, pose_file, results, named)
    elif pose_file.format == "mediapipe":
        write_text(out, json.dumps({**_mediapipe_json(pose_file, results), **named}))
    else:
        write_text(out, json.dumps([{**entry, **named} if "jumps_keypoints" in entry else entry
                                    for entry in _results_json(pose_file, results)]))
    return out


def _write_npz(tmp: Path, pose_file: PoseFile, results: list[UpsampledTrack], fps: float,
               method: str | None) -> None:
    first = min(int(r.frames[0]) for r in results)
    last = max(int(r.frames[-1]) for r in results)
    frames = np.arange(first, last + 1)
    shape = (len(results), len(frames))
    keypoints = np.full(shape + (skeleton.NUM_JOINTS, 2), np.nan, dtype=np.float32)
    observed = np.zeros(shape + (skeleton.NUM_JOINTS,), dtype=bool)
    confidence = np.zeros(shape + (skeleton.NUM_JOINTS,), dtype=np.float32)
    detected = np.zeros(shape, dtype=bool)
    uncertainty = np.full(shape + (skeleton.NUM_JOINTS,), np.nan, dtype=np.float32)
    repair = np.zeros(shape + (skeleton.NUM_JOINTS,), dtype=np.int8)
    repair_confidence = np.full(shape + (skeleton.NUM_JOINTS,), np.nan, dtype=np.float32)
    inputs = np.full(shape + (12, 2), np.nan, dtype=np.float32)
    tracks = {t.track_id: t for t in pose_file.tracks}
    for p, r in enumerate(results):
        rows = r.frames - first
        keypoints[p, rows], observed[p, rows], confidence[p, rows] = r.keypoints, r.observed, r.confidence
        detected[p, rows] = r.detected
        if r.uncertainty is not None:
            uncertainty[p, rows] = r.uncertainty
        if r.repair is not None:
            repair[p, rows] = r.repair
        if r.repair_confidence is not None:
            repair_confidence[p, rows] = r.repair_confidence
        track = tracks[r.track_id]
        inputs[p, track.frames - first] = np.where(track.confidence[..., None] > 0, track.keypoints, np.nan)
    np.savez_compressed(tmp, keypoints=keypoints, observed=observed, confidence=confidence, detected=detected,
                        uncertainty_px=uncertainty, repair=repair, repair_codes=np.asarray(REPAIR_LABELS),
                        repair_confidence=repair_confidence,
                        input_keypoints=inputs, frames=frames, fps=np.float64(fps),
                        track_ids=np.asarray([str(r.track_id) for r in results]),
                        joint_names=np.asarray(NAMES), input_joint_names=np.asarray(skeleton.LOW_RES_JOINTS),
                        **({"method": np.asarray(method)} if method else {}))


def _write_csv(tmp: Path, results: list[UpsampledTrack]) -> None:
    with open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["frame", "track", "detected", *(f"{n}_{a}" for n in NAMES for a in "xyc"),
                         *(f"{n}_u" for n in NAMES), *(f"{n}_r" for n in NAMES), *(f"{n}_rc" for n in NAMES)])
        for r in results:
            for k, frame in enumerate(r.frames):
                cells = [f"{v:.2f}" if i % 3 < 2 else f"{v:.4f}"
                         for i, v in enumerate(np.concatenate([r.keypoints[k], r.confidence[k][:, None]], 1).ravel())]
                radius = ["" if u is None else f"{u:.2f}" for u in _radius(r, k)]
                sure = ["" if p is None else f"{p:.4f}" for p in _repair_confidence(r, k)]
                writer.writerow([int(frame), r.track_id, int(r.detected[k]), *cells, *radius, *_repair(r, k), *sure])


def _results_json(pose_file: PoseFile, results: list[UpsampledTrack]) -> list[dict]:
    source = pose_file.raw if isinstance(pose_file.raw, list) else pose_file.raw.get("annotations", [])
    entries = copy.deepcopy(source)
    tracks = {t.track_id: t for t in pose_file.tracks}
    added: list[dict] = []
    for r in results:
        track = tracks[r.track_id]
        by_frame = dict(zip(track.frames.tolist(), track.entries, strict=True))
        for k, frame in enumerate(r.frames.tolist()):
            fields = {"jumps_keypoints": [v for row in _triples(r, k) for v in row], "jumps_joint_names": NAMES,
                      "jumps_uncertainty_px": _radius(r, k), "jumps_repair": _repair(r, k),
                      "jumps_repair_confidence": _repair_confidence(r, k),
                      "jumps_repair_codes": list(REPAIR_LABELS), "jumps_track": r.track_id}
            if frame in by_frame:
                entries[by_frame[frame]].update(fields)
            else:
                added.append({"image_id": _image_id_for(frame, pose_file), "category_id": 1, "keypoints": [],
                              "score": 0.0, "idx": r.track_id, "jumps_filled": True, **fields})
    return entries + added


def _mediapipe_json(pose_file: PoseFile, results: list[UpsampledTrack]) -> dict:
    data = copy.deepcopy(pose_file.raw)
    data["jumps_joint_names"] = NAMES
    data["jumps_repair_codes"] = list(REPAIR_LABELS)
    detections = data["detections"]
    result = results[0]
    track = pose_file.tracks[0]
    by_frame = dict(zip(track.frames.tolist(), track.entries, strict=True))
    for k, frame in enumerate(result.frames.tolist()):
        fields = {"jumps_landmarks": _triples(result, k), "jumps_uncertainty_px": _radius(result, k),
                  "jumps_repair": _repair(result, k), "jumps_repair_confidence": _repair_confidence(result, k)}
        if frame in by_frame:
            detections[by_frame[frame]].update(fields)
        else:
            detections.append({"frame": frame, "landmarks": None, **fields})
    detections.sort(key=lambda d: d.get("frame", 0))
    return data


def _write_openpose(out: Path, pose_file: PoseFile, results: list[UpsampledTrack], named: dict) -> None:
    files = copy.deepcopy(pose_file.raw)
    tracks = {t.track_id: t for t in pose_file.tracks}
    for r in results:
        by_frame = dict(zip(tracks[r.track_id].frames.tolist(), tracks[r.track_id].entries, strict=True))
        for k, frame in enumerate(r.frames.tolist()):
            flat = [v for row in _triples(r, k) for v in row]
            if frame in by_frame:
                name, person = by_frame[frame]
                files[name]["people"][person].update(jumps_keypoints_2d=flat, jumps_uncertainty_px=_radius(r, k),
                                                     jumps_repair=_repair(r, k),
                                                     jumps_repair_confidence=_repair_confidence(r, k),
                                                     jumps_track=r.track_id)
            else:
                name = pose_file.frame_ids.get(frame) or str(_image_id_for(frame, pose_file))
                files.setdefault(name, {"version": 1.3, "people": []})["people"].append(
                    {"person_id": [-1], "pose_keypoints_2d": [], "jumps_keypoints_2d": flat,
                     "jumps_uncertainty_px": _radius(r, k), "jumps_repair": _repair(r, k),
                     "jumps_repair_confidence": _repair_confidence(r, k), "jumps_track": r.track_id,
                     "jumps_filled": True})
    with atomic_folder(out, overwrite=True) as staging:  # the caller checked ``out``
        for name, data in files.items():
            data["jumps_joint_names"] = NAMES
            data["jumps_repair_codes"] = list(REPAIR_LABELS)
            data.update(named)
            (staging / name).write_text(json.dumps(data))
