"""Ultralytics YOLO pose output (``jumps_pl/io/yolo.py``), built in the exact layouts Ultralytics writes
from the real street detections: the ``save_txt`` label folder and ``Results.to_json()`` per frame."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_io import ALPHAPOSE, STREET, street_entries

from jumps_pl import cli
from jumps_pl.io.formats import PoseFormatError, guess_format, read_poses
from jumps_pl.io.writers import output_kind

pytestmark = pytest.mark.street  # every file here is built from the street detections

SIZE = (1280, 720)  # street.mp4
SHIFT = np.array([-400.0, 30.0])  # a second person, beside the first
FAST = ("infer.iterations=2", "infer.starts=1")
FRAMES = np.arange(205)  # every frame of street.mp4 has a detection


def seen_keypoints(entry: dict, shift=(0.0, 0.0)) -> np.ndarray:
    """(17, 3) as Ultralytics' ``Keypoints`` keeps them: x, y of keypoints under 0.5 confidence zeroed."""
    k = np.asarray(entry["keypoints"], dtype=np.float64).reshape(17, 3).copy()
    k[:, :2] += shift
    k[k[:, 2] < 0.5, :2] = 0.0
    return k


def label_line(entry: dict, shift=(0.0, 0.0), save_conf=True, track: int | None = None) -> str:
    """One line as ``Results.save_txt`` writes it: class, box xywhn, keypoints xyn + conf, [conf], [id]."""
    k = seen_keypoints(entry, shift)
    low, high = k[k[:, 2] >= 0.5, :2].min(0), k[k[:, 2] >= 0.5, :2].max(0)
    box = [(low[0] + high[0]) / 2 / SIZE[0], (low[1] + high[1]) / 2 / SIZE[1], (high[0] - low[0]) / SIZE[0],
           (high[1] - low[1]) / SIZE[1]]
    keypoints = [v for x, y, c in k for v in (x / SIZE[0], y / SIZE[1], c)]
    line = (0, *box, *keypoints) + (entry["score"],) * save_conf + (() if track is None else (track,))
    return ("%g " * len(line)).rstrip() % line


def write_labels(folder: Path, second_person=False, save_conf=True, tracked=False, skip=()) -> Path:
    """``labels/street_N.txt``, N counted from 1 as Ultralytics counts video frames; no file where no one
    was detected (``save_txt`` writes none)."""
    folder.mkdir()
    for e in street_entries():
        frame = int(e["image_id"].split(".")[0])
        if frame in skip:
            continue
        lines = [label_line(e, save_conf=save_conf, track=1 if tracked else None)]
        if second_person:
            lines.append(label_line(e, SHIFT, save_conf, track=7 if tracked else None))
        (folder / f"street_{frame + 1}.txt").write_text("".join(f"{line}\n" for line in lines))
    return folder


def summary(entry: dict, shift=(0.0, 0.0), track: int | None = None, normalize=False) -> dict:
    """One detection as ``Results.summary`` (what ``to_json`` writes) gives it, rounded to 5 decimals."""
    w, h = SIZE if normalize else (1, 1)
    k = seen_keypoints(entry, shift)
    low, high = k[k[:, 2] >= 0.5, :2].min(0), k[k[:, 2] >= 0.5, :2].max(0)
    result = {"name": "person", "class": 0, "confidence": round(entry["score"], 5),
              "box": {"x1": round(low[0] / w, 5), "y1": round(low[1] / h, 5), "x2": round(high[0] / w, 5),
                      "y2": round(high[1] / h, 5)}}
    if track is not None:
        result["track_id"] = track
    result["keypoints"] = {"x": (k[:, 0] / w).round(5).tolist(), "y": (k[:, 1] / h).round(5).tolist(),
                           "visible": k[:, 2].round(5).tolist()}
    return result


def write_json(path: Path, tracked=True, normalize=False, skip=()) -> Path:
    """``json.dump([json.loads(r.to_json()) for r in results])``: one list per frame, [] without detection."""
    frames = [[] if int(e["image_id"].split(".")[0]) in skip else
              [summary(e, track=1 if tracked else None, normalize=normalize),
               summary(e, SHIFT, track=7 if tracked else None, normalize=normalize)] for e in street_entries()]
    path.write_text(json.dumps(frames, indent=2))
    return path


@pytest.fixture(scope="module")
def reference():
    return read_poses(ALPHAPOSE).tracks[0]


def assert_same_as(track, reference, frames=FRAMES, shift=(0.0, 0.0), atol=0.01):
    """The AlphaPose reading of the same detections, where Ultralytics keeps a keypoint (confidence >= 0.5)."""
    rows = np.searchsorted(reference.frames, frames)
    seen = reference.confidence[rows] >= 0.5
    np.testing.assert_array_equal(track.frames, frames)
    np.testing.assert_allclose(track.keypoints[seen], (reference.keypoints[rows] + shift)[seen], atol=atol)
    np.testing.assert_allclose(track.confidence[seen], reference.confidence[rows][seen], atol=1e-4)
    assert (track.confidence[~seen] == 0).all() and (~seen).sum() > 100  # zeroed keypoints read as undetected


def test_label_folder_gives_the_alphapose_joints(tmp_path, reference):
    folder = write_labels(tmp_path / "labels")
    assert guess_format(folder) == "yolo"
    pose_file = read_poses(folder, image_size=SIZE)
    assert pose_file.format == "yolo" and pose_file.image_size == SIZE and len(pose_file.tracks) == 1
    assert_same_as(pose_file.tracks[0], reference)  # video_1.txt is frame 0


@pytest.mark.parametrize("save_conf", [True, False], ids=["conf-and-id", "id-only"])
def test_tracked_labels_keep_the_track_ids(tmp_path, reference, save_conf):
    folder = write_labels(tmp_path / "labels", second_person=True, save_conf=save_conf, tracked=True)
    tracks = {t.track_id: t for t in read_poses(folder, "yolo", image_size=SIZE).tracks}
    assert sorted(tracks) == [1, 7]
    assert_same_as(tracks[1], reference)
    assert_same_as(tracks[7], reference, shift=SHIFT)


def test_untracked_people_are_linked_and_missing_frames_are_absent(tmp_path, reference):
    gap = range(50, 60)
    folder = write_labels(tmp_path / "labels", second_person=True, skip=gap)
    tracks = read_poses(folder, image_size=SIZE).tracks
    assert len(tracks) == 2
    frames = np.setdiff1d(np.arange(205), gap)
    first, second = sorted(tracks, key=lambda t: -t.keypoints[:, 0, 0].mean())
    assert_same_as(first, reference, frames)
    assert_same_as(second, reference, frames, shift=SHIFT)


def test_to_json_frames_give_the_same_joints_and_track_ids(tmp_path, reference):
    path = write_json(tmp_path / "street.json", skip=range(100, 103))
    assert guess_format(path) == "yolo"
    tracks = {t.track_id: t for t in read_poses(path).tracks}
    frames = np.setdiff1d(np.arange(205), range(100, 103))
    assert sorted(tracks) == [1, 7]
    assert_same_as(tracks[1], reference, frames)
    assert_same_as(tracks[7], reference, frames, shift=SHIFT)
    normalized = write_json(tmp_path / "normalized.json", tracked=False, normalize=True)
    with pytest.raises(PoseFormatError, match=r"normalized.json: coordinates are normalized .* --size WxH"):
        read_poses(normalized)
    linked = read_poses(normalized, image_size=SIZE).tracks
    assert len(linked) == 2
    assert_same_as(max(linked, key=lambda t: t.keypoints[:, 0, 0].mean()), reference, atol=0.01)


def test_labels_need_the_image_size(tmp_path):
    folder = write_labels(tmp_path / "labels")
    with pytest.raises(PoseFormatError, match=r"labels: Ultralytics labels are normalized to the image size; "
                                              r"pass the image size: --size WxH or --video FILE"):
        read_poses(folder, "yolo")


@pytest.mark.parametrize("case, expected", [
    ("short", r"street_13.txt: line 2: 45 columns; expected class, cx, cy, w, h, 17 keypoints"),
    ("2d", r"street_13.txt: line 2: 40 columns, but street_1.txt line 1 has 57"),
    ("text", r"street_13.txt: line 2: 'abc' is not a number"),
    ("nan", r"street_13.txt: line 2, joint left_wrist: coordinates \(nan, "),
    ("no-number", r"street.txt: no frame number in the file name"),
])
def test_bad_label_lines_are_named_by_file_and_line(tmp_path, case, expected):
    folder = write_labels(tmp_path / "labels", second_person=True)
    file = folder / "street_13.txt"
    first, second = file.read_text().splitlines()
    cells = second.split()
    if case == "short":
        cells = cells[:45]
    elif case == "2d":
        cells = cells[:40]  # keypoints without visibility (39) and a box confidence
    elif case == "text":
        cells[7] = "abc"
    elif case == "nan":
        cells[5 + 9 * 3] = "nan"  # COCO keypoint 9, the left wrist
    else:
        (folder / "street.txt").write_text(second)
    file.write_text(f"{first}\n{' '.join(cells)}\n")
    with pytest.raises(PoseFormatError, match=expected):
        read_poses(folder, "yolo", image_size=SIZE)


def test_a_keypoint_list_of_the_wrong_length_is_named(tmp_path):
    path = write_json(tmp_path / "street.json")
    frames = json.loads(path.read_text())
    frames[3][1]["keypoints"]["y"] = frames[3][1]["keypoints"]["y"][:16]
    path.write_text(json.dumps(frames))
    with pytest.raises(PoseFormatError, match=r"street.json: frame 3, detection 1: keypoints y has 16 values, "
                                              r"expected 17 \(COCO-17\)"):
        read_poses(path)


def test_json_output_is_refused_for_yolo_input(tmp_path):
    pose_file = read_poses(write_json(tmp_path / "street.json"))
    with pytest.raises(ValueError, match=r"for yolo input write .npz or .csv"):
        output_kind(tmp_path / "out.json", pose_file)


def test_jumps_upsample_reads_a_label_folder_end_to_end(tmp_path, reference):
    folder = write_labels(tmp_path / "labels")
    out = tmp_path / "street.npz"
    assert cli.main(["upsample", str(folder), "--format", "yolo", "--size", "1280x720", "--fps", "50",
                     "--out", str(out), "--quiet", *FAST]) == 0
    data = np.load(out)
    assert data["keypoints"].shape == (1, 205, 21, 2) and np.isfinite(data["keypoints"]).all()
    seen = reference.confidence >= 0.5
    np.testing.assert_allclose(data["input_keypoints"][0][seen], reference.keypoints[seen], atol=0.01)


def test_jumps_upsample_takes_size_and_rate_from_the_video(tmp_path, capsys):
    folder = write_labels(tmp_path / "labels")
    out = tmp_path / "street.npz"
    assert cli.main(["upsample", str(folder), "--video", str(STREET / "street.mp4"), "--out", str(out), "--quiet",
                     *FAST]) == 0
    data = np.load(out)
    assert data["fps"] == 50.0 and np.isfinite(data["keypoints"]).all()
    assert cli.main(["upsample", str(folder), "--out", str(tmp_path / "no-size.npz"), *FAST]) == 2
    assert "--size WxH or --video FILE" in capsys.readouterr().err


def test_jumps_upsample_reads_to_json_frames_end_to_end(tmp_path):
    path = write_json(tmp_path / "street.json", skip=range(100, 103))
    out = tmp_path / "street.npz"
    assert cli.main(["upsample", str(path), "--fps", "50", "--out", str(out), "--quiet", *FAST]) == 0
    data = np.load(out)
    assert sorted(data["track_ids"]) == ["1", "7"]
    assert data["keypoints"].shape == (2, 205, 21, 2) and np.isfinite(data["keypoints"]).all()
    assert not data["detected"][:, 100:103].any() and data["detected"][:, :100].all()
