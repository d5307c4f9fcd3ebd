"""Readers and writers on the real street detections (../shared/media/street) and on the formats
they convert to: AlphaPose, COCO, OpenPose (BODY_25, COCO-18), MediaPipe, .npy, .csv."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from conftest import SAMPLE, STREET_MEDIA
from jumps_pl import skeleton
from jumps_pl.io.formats import COCO17, PoseFormatError, read_poses

STREET = STREET_MEDIA
ALPHAPOSE = STREET / "alphapose-results.json"
MEDIAPIPE = STREET / "mediapipe-pose.json"
# COCO-17 index of each BODY_25 / COCO-18 keypoint (-1: not in COCO-17; "neck"/"midhip": midpoints)
BODY25 = [0, "neck", 6, 8, 10, 5, 7, 9, "midhip", 12, 14, 16, 11, 13, 15, 2, 1, 4, 3, -1, -1, -1, -1, -1, -1]
COCO18 = [0, "neck", 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2, 1, 4, 3]


def street_entries() -> list[dict]:
    return json.loads(ALPHAPOSE.read_text())


def to_layout(keypoints: list[float], layout: list) -> list[float]:
    k = np.asarray(keypoints).reshape(17, 3)
    rows = []
    for source in layout:
        if source == "neck":
            rows.append([*(0.5 * (k[5, :2] + k[6, :2])), min(k[5, 2], k[6, 2])])
        elif source == "midhip":
            rows.append([*(0.5 * (k[11, :2] + k[12, :2])), min(k[11, 2], k[12, 2])])
        elif source == -1:
            rows.append([0.0, 0.0, 0.0])
        else:
            rows.append(k[source].tolist())
    return [float(v) for row in rows for v in row]


def write_openpose(folder: Path, layout: list, entries: list[dict] | None = None) -> Path:
    folder.mkdir()
    for e in street_entries() if entries is None else entries:
        frame = int(e["image_id"].split(".")[0])
        person = {"person_id": [-1], "pose_keypoints_2d": to_layout(e["keypoints"], layout)}
        (folder / f"street_{frame:012d}_keypoints.json").write_text(json.dumps({"version": 1.3, "people": [person]}))
    return folder


@pytest.fixture(scope="module")
def reference():
    track = read_poses(ALPHAPOSE).tracks[0]
    return track


@pytest.mark.street
def test_alphapose_and_mediapipe_files_give_the_same_205_frames(reference):
    mediapipe = read_poses(MEDIAPIPE)
    assert mediapipe.format == "mediapipe" and mediapipe.fps == 50.0
    track = mediapipe.tracks[0]
    assert len(reference.frames) == len(track.frames) == 205
    np.testing.assert_allclose(track.keypoints, reference.keypoints, atol=0.01)
    np.testing.assert_allclose(track.confidence, reference.confidence, atol=1e-4)
    # the tracked person's wrists are occluded for long stretches: low confidence there
    wrists = [skeleton.LOW_RES_JOINTS.index("left_wrist"), skeleton.LOW_RES_JOINTS.index("right_wrist")]
    assert (reference.confidence[:, wrists] < 0.3).mean() > 0.2


@pytest.mark.street
@pytest.mark.parametrize("layout", [BODY25, COCO18], ids=["body25", "coco18"])
def test_openpose_folders_give_the_same_joints(tmp_path, reference, layout):
    pose_file = read_poses(write_openpose(tmp_path / "op", layout))
    assert pose_file.format == "openpose" and len(pose_file.tracks) == 1
    np.testing.assert_allclose(pose_file.tracks[0].keypoints, reference.keypoints, atol=0.01)
    np.testing.assert_array_equal(pose_file.tracks[0].frames, np.arange(205))


@pytest.mark.street
def test_coco_results_without_track_ids_are_linked_per_person(tmp_path, reference):
    entries = []
    for e in street_entries():
        frame = int(e["image_id"].split(".")[0])
        other = np.asarray(e["keypoints"]).reshape(17, 3) + [400.0, 30.0, 0.0]
        entries.append({"image_id": frame, "category_id": 1, "keypoints": e["keypoints"], "score": e["score"]})
        entries.append({"image_id": frame, "category_id": 1, "keypoints": other.ravel().tolist(), "score": 0.5})
    path = tmp_path / "coco.json"
    path.write_text(json.dumps(entries[::-1]))  # order must not matter
    pose_file = read_poses(path)
    assert pose_file.format == "coco" and len(pose_file.tracks) == 2
    xs = sorted(t.keypoints[:, 0, 0].mean() for t in pose_file.tracks)
    assert all(len(t.frames) == 205 for t in pose_file.tracks) and xs[1] - xs[0] == pytest.approx(400.0, abs=1.0)


@pytest.mark.street
def test_npy_and_csv_arrays(tmp_path, reference):
    array = np.stack([np.asarray(e["keypoints"]).reshape(17, 3) for e in street_entries()])
    array[10, 9, :2] = np.nan  # left wrist of frame 10 missing
    np.save(tmp_path / "p.npy", array)
    track = read_poses(tmp_path / "p.npy").tracks[0]
    np.testing.assert_allclose(np.delete(track.keypoints, 10, 0), np.delete(reference.keypoints, 10, 0), atol=1e-4)
    assert track.confidence[10, skeleton.LOW_RES_JOINTS.index("left_wrist")] == 0.0
    with open(tmp_path / "p.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["frame", *(f"{n}_{a}" for n in skeleton.LOW_RES_JOINTS for a in "xyc")])
        for f, row in enumerate(array[:, 5:17]):
            writer.writerow([f + 100, *("" if np.isnan(v) else f"{v:.3f}" for v in row.ravel())])
    csv_track = read_poses(tmp_path / "p.csv").tracks[0]
    assert csv_track.frames[0] == 100 and len(csv_track.frames) == 205
    np.testing.assert_allclose(csv_track.keypoints, track.keypoints, atol=1e-3)


def _bad_alphapose(tmp_path: Path, name: str, change) -> Path:
    entries = json.loads(SAMPLE.read_text())  # the shipped sample: AlphaPose's own layout
    change(entries)
    path = tmp_path / name
    path.write_text(json.dumps(entries))
    return path


@pytest.mark.parametrize("case, expected", [
    ("short", r"entry 3: keypoints has 50 values, expected 51"),
    ("nan", r"entry 5, joint left_wrist: coordinates \(nan, "),
    ("inf", r"entry 6, joint nose: coordinates \(inf, "),
    ("negative", r"entry 7, joint right_knee: confidence -0.5 must be"),
    ("text", r"entry 8: keypoints must be a list of numbers"),
])
def test_bad_alphapose_entries_are_named(tmp_path, case, expected):
    def change(entries):
        if case == "short":
            entries[3]["keypoints"] = entries[3]["keypoints"][:50]
        elif case == "nan":
            entries[5]["keypoints"][COCO17.index("left_wrist") * 3] = float("nan")
        elif case == "inf":
            entries[6]["keypoints"][0] = float("inf")
        elif case == "negative":
            entries[7]["keypoints"][COCO17.index("right_knee") * 3 + 2] = -0.5
        else:
            entries[8]["keypoints"][4] = "12"
    path = _bad_alphapose(tmp_path, f"{case}.json", change)
    with pytest.raises(PoseFormatError, match=rf"{case}.json: {expected}"):
        read_poses(path)


@pytest.mark.street
def test_malformed_empty_and_unknown_files_are_named(tmp_path):
    truncated = tmp_path / "cut.json"
    truncated.write_text(ALPHAPOSE.read_text()[:5000])
    with pytest.raises(PoseFormatError, match=r"cut.json: malformed JSON at line 1, column \d+"):
        read_poses(truncated)
    empty = tmp_path / "empty.json"
    empty.write_text("")
    with pytest.raises(PoseFormatError, match="empty.json: empty file"):
        read_poses(empty)
    unknown = tmp_path / "poses.txt"
    unknown.write_text("1 2 3")
    with pytest.raises(PoseFormatError, match="poses.txt: unknown format"):
        read_poses(unknown)
    with pytest.raises(PoseFormatError, match="unknown format 'bvh'"):
        read_poses(ALPHAPOSE, "bvh")
    data = json.loads(MEDIAPIPE.read_text())
    data["detections"][4]["landmarks"] = data["detections"][4]["landmarks"][:20]
    (tmp_path / "mp.json").write_text(json.dumps(data))
    with pytest.raises(PoseFormatError, match=r"mp.json: detections\[4\]: landmarks must be 33 lists"):
        read_poses(tmp_path / "mp.json")
    (tmp_path / "bad.csv").write_text("left_shoulder_x\n1\n")
    with pytest.raises(PoseFormatError, match=r"bad.csv: line 1 \(header\): missing columns left_shoulder_y"):
        read_poses(tmp_path / "bad.csv")


@pytest.mark.parametrize("layout", [BODY25, COCO18], ids=["body25", "coco18"])
def test_the_sample_reads_the_same_from_alphapose_openpose_and_arrays(tmp_path, layout):
    sample = read_poses(SAMPLE)
    assert sample.format == "alphapose" and sample.fps is None
    track = sample.tracks[0]
    assert len(track.frames) == 300 and track.keypoints.shape == (300, 12, 2)
    entries = json.loads(SAMPLE.read_text())
    folder = read_poses(write_openpose(tmp_path / "openpose", layout, entries)).tracks[0]
    np.testing.assert_allclose(folder.keypoints, track.keypoints, atol=0.01)
    np.testing.assert_allclose(folder.confidence, track.confidence, atol=1e-4)
    array = np.concatenate([track.keypoints, track.confidence[..., None]], axis=-1)
    np.save(tmp_path / "walk.npy", np.where(track.confidence[..., None] > 0, array, np.nan))
    npy = read_poses(tmp_path / "walk.npy").tracks[0]
    np.testing.assert_allclose(npy.keypoints, track.keypoints, atol=1e-4)


def test_untangle_gives_exchanged_frames_back_with_their_landmarks():
    from jumps_pl.io.tracks import Track, untangle_tracks

    truth = np.load(SAMPLE.parent / "walk-ground-truth.npz")["keypoints_px"][:20, skeleton.INPUT_INDICES]
    truth = truth.astype(np.float32)
    people = [truth, truth + np.float32(300.0)]
    frames = np.arange(20)
    landmarks = [np.repeat(p.mean(1, keepdims=True), 33, axis=1) for p in people]   # (20, 33, 2) per person
    landmarks = [np.concatenate([lm, np.ones((20, 33, 1), np.float32)], -1) for lm in landmarks]
    given = [p.copy() for p in people]
    given_landmarks = [lm.copy() for lm in landmarks]
    for values in (given, given_landmarks):   # the tracker exchanged the two people in frames 10-12
        values[0][10:13], values[1][10:13] = values[1][10:13].copy(), values[0][10:13].copy()
    confidence = np.ones((20, 12), np.float32)
    tracks = [Track(k, frames, given[k], confidence, list(frames), given_landmarks[k]) for k in range(2)]
    untangled, moved = untangle_tracks(tracks, 0.8)
    assert moved == 3
    for k in range(2):
        np.testing.assert_array_equal(untangled[k].keypoints, people[k])
        np.testing.assert_array_equal(untangled[k].landmarks, landmarks[k])
    # one track without landmarks: none can follow their detections, so neither keeps them
    tracks[1] = Track(1, frames, given[1], confidence, list(frames))
    untangled, _ = untangle_tracks(tracks, 0.8)
    assert all(t.landmarks is None for t in untangled)
    np.testing.assert_array_equal(untangled[0].keypoints, people[0])
