"""MMPose inferencer predictions (``jumps_pl/io/mmpose.py``), built in the exact layouts MMPose writes to
``pred_out_dir`` from the real street detections: one file per video, or one per image."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_io import ALPHAPOSE, street_entries

from jumps_pl import cli
from jumps_pl.io.formats import PoseFormatError, guess_format, read_poses

pytestmark = pytest.mark.street  # every file here is built from the street detections

SHIFT = np.array([-400.0, 30.0])  # a second person, beside the first
FAST = ("infer.iterations=2", "infer.starts=1")
FRAMES = np.arange(205)  # every frame of street.mp4 has a detection


def instance(entry: dict, shift=(0.0, 0.0), track: int | None = None, wholebody=False, flat_bbox=False) -> dict:
    """One instance as ``split_instances`` gives it: keypoints [[x, y]], keypoint_scores, bbox, bbox_score."""
    k = np.asarray(entry["keypoints"], dtype=np.float64).reshape(17, 3)
    points = k[:, :2] + shift
    scores = k[:, 2]
    if wholebody:  # COCO-WholeBody: feet, face and hands after the 17 body keypoints
        points = np.concatenate([points, np.tile(points[:1], (116, 1))])
        scores = np.concatenate([scores, np.full(116, 0.3)])
    box = [*points.min(0).tolist(), *points.max(0).tolist()]
    result = {"keypoints": points.tolist(), "keypoint_scores": scores.tolist(),
              "bbox": box if flat_bbox else [box], "bbox_score": entry["score"]}  # [[...]] before MMPose 1.3
    if track is not None:
        result["track_id"] = track
    return result


def frame_of(entry: dict) -> int:
    return int(entry["image_id"].split(".")[0])


def write_video(path: Path, second_person=False, tracked=False, skip=(), **options) -> Path:
    """``<video stem>.json``: [{"frame_id", "instances"}] for every frame, [] where no one was found."""
    frames = []
    for e in street_entries():
        instances = [] if frame_of(e) in skip else [instance(e, track=3 if tracked else None, **options)]
        if second_person and frame_of(e) not in skip:
            instances.append(instance(e, SHIFT, track=8 if tracked else None, **options))
        frames.append({"frame_id": frame_of(e), "instances": instances})
    path.write_text(json.dumps(frames, indent="  "))
    return path


def write_images(folder: Path, skip=()) -> Path:
    """``<image stem>.json`` per image (frames extracted as frame_000000.jpg, ...): a list of instances."""
    folder.mkdir()
    for e in street_entries():
        instances = [] if frame_of(e) in skip else [instance(e, flat_bbox=True)]
        (folder / f"frame_{frame_of(e):06d}.json").write_text(json.dumps(instances, indent="  "))
    return folder


@pytest.fixture(scope="module")
def reference():
    return read_poses(ALPHAPOSE).tracks[0]


def assert_same_as(track, reference, frames=FRAMES, shift=(0.0, 0.0)):
    rows = np.searchsorted(reference.frames, frames)
    np.testing.assert_array_equal(track.frames, frames)
    np.testing.assert_allclose(track.keypoints, reference.keypoints[rows] + shift, atol=1e-3)
    np.testing.assert_allclose(track.confidence, reference.confidence[rows], atol=1e-6)


@pytest.mark.parametrize("options", [{}, {"wholebody": True}, {"flat_bbox": True}],
                         ids=["coco17", "wholebody133", "flat-bbox"])
def test_video_predictions_give_the_alphapose_joints(tmp_path, reference, options):
    path = write_video(tmp_path / "street.json", **options)
    assert guess_format(path) == "mmpose"
    pose_file = read_poses(path)
    assert pose_file.format == "mmpose" and len(pose_file.tracks) == 1
    assert_same_as(pose_file.tracks[0], reference)


def test_track_ids_are_honoured_and_missing_frames_are_absent(tmp_path, reference):
    gap = range(20, 25)
    tracks = {t.track_id: t for t in read_poses(write_video(tmp_path / "s.json", True, True, gap)).tracks}
    frames = np.setdiff1d(np.arange(205), gap)
    assert sorted(tracks) == [3, 8]
    assert_same_as(tracks[3], reference, frames)
    assert_same_as(tracks[8], reference, frames, shift=SHIFT)


def test_instances_without_track_ids_are_linked_per_person(tmp_path, reference):
    tracks = read_poses(write_video(tmp_path / "s.json", second_person=True)).tracks
    assert len(tracks) == 2
    right, left = sorted(tracks, key=lambda t: -t.keypoints[:, 0, 0].mean())
    assert_same_as(right, reference)
    assert_same_as(left, reference, shift=SHIFT)


def test_a_folder_of_image_predictions_is_a_sequence(tmp_path, reference):
    folder = write_images(tmp_path / "predictions", skip=range(100, 110))
    assert guess_format(folder) == "mmpose"
    pose_file = read_poses(folder)
    assert len(pose_file.tracks) == 1
    assert_same_as(pose_file.tracks[0], reference, np.setdiff1d(np.arange(205), range(100, 110)))


def test_simcc_scores_outside_zero_one_are_clipped(tmp_path, reference):
    path = write_video(tmp_path / "s.json")
    frames = json.loads(path.read_text())
    scores = frames[0]["instances"][0]["keypoint_scores"]
    scores[5], scores[6] = 1.31, -0.2  # RTMPose's SimCC: left shoulder above 1, right shoulder below 0
    path.write_text(json.dumps(frames))
    confidence = read_poses(path).tracks[0].confidence[0]
    assert confidence[0] == 1.0 and confidence[1] == 0.0
    np.testing.assert_allclose(confidence[2:], reference.confidence[0, 2:], atol=1e-6)


@pytest.mark.parametrize("case, expected", [
    ("short", r"entry 3 \(frame_id 3\), instances\[0\]: keypoints has 16 entries, expected 17 \(COCO\), "
              r"26 \(Halpe\) or 133 \(COCO-WholeBody\)"),
    ("scores", r"entry 4 \(frame_id 4\), instances\[0\]: keypoint_scores has 12 values, keypoints has 17"),
    ("nan", r"entry 5 \(frame_id 5\), instances\[0\], joint left_wrist: coordinates \(nan, "),
    ("frame", r"entry 6: frame_id '6' must be a whole number >= 0"),
    ("triple", r"entry 7 \(frame_id 7\), instances\[0\]: keypoints must be a list of \[x, y\] pairs"),
])
def test_bad_instances_are_named_by_file_and_entry(tmp_path, case, expected):
    path = write_video(tmp_path / "bad.json")
    frames = json.loads(path.read_text())
    if case == "short":
        frames[3]["instances"][0]["keypoints"].pop()
    elif case == "scores":
        frames[4]["instances"][0]["keypoint_scores"] = frames[4]["instances"][0]["keypoint_scores"][:12]
    elif case == "nan":
        frames[5]["instances"][0]["keypoints"][9][0] = float("nan")
    elif case == "frame":
        frames[6]["frame_id"] = "6"
    else:
        frames[7]["instances"][0]["keypoints"][0].append(0.9)
    path.write_text(json.dumps(frames))
    with pytest.raises(PoseFormatError, match=rf"bad.json: {expected}"):
        read_poses(path)


def test_an_image_file_without_a_frame_number_in_a_folder_is_named(tmp_path):
    folder = write_images(tmp_path / "predictions")
    (folder / "cover.json").write_text("[]")
    with pytest.raises(PoseFormatError, match=r"cover.json: no frame number in the file name"):
        read_poses(folder)


def test_jumps_upsample_reads_mmpose_predictions_end_to_end(tmp_path):
    source = write_video(tmp_path / "street.json", second_person=True, skip=range(20, 25))
    out = tmp_path / "street.npz"
    assert cli.main(["upsample", str(source), "--fps", "50", "--out", str(out), "--quiet", *FAST]) == 0
    data = np.load(out)
    assert data["keypoints"].shape == (2, 205, 21, 2) and np.isfinite(data["keypoints"]).all()
    assert not data["detected"][:, 20:25].any() and data["detected"][:, :20].all()
