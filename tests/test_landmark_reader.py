"""The landmark reader: MediaPipe's 33 landmarks over time read as the 21 joints, a part of the default only."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from jumps_pl import skeleton
from jumps_pl.config import load_config, to_container
from jumps_pl.evaluation.real_detector import all_landmarks, shipped_path
from jumps_pl.io import read_poses
from jumps_pl.methods import build_methods
from jumps_pl.methods.fusion.landmark_reader import load_landmark_reader
from jumps_pl.model_folders import model_path
from tests.conftest import REPO, SHARED_CORPUS, STREET_MEDIA


@pytest.fixture(scope="module")
def reader():
    return load_landmark_reader(model_path({}, "landmark_reader"))


@pytest.fixture(scope="module")
def val_landmarks():
    with np.load(shipped_path("val")) as data:
        detections = {k: data[k][:6] if np.ndim(data[k]) else data[k] for k in data.files}
    return all_landmarks(detections)   # (6, 64, 33, 3)


def test_the_shipped_reader_puts_mediapipes_own_joints_near_where_it_detected_them(reader, val_landmarks):
    """Its input joints lie near MediaPipe's own 12, its hips between MediaPipe's (the reading is in pixels)."""
    read = reader.read_windows(val_landmarks)
    assert read.shape == (6, 64, 21, 2) and np.isfinite(read).all()
    mediapipe = val_landmarks[..., [11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28], :2]
    torso = np.linalg.norm(mediapipe[..., :2, :].mean(-2) - mediapipe[..., 6:8, :].mean(-2), axis=-1)
    apart = np.linalg.norm(read[..., list(skeleton.INPUT_INDICES), :] - mediapipe, axis=-1) / torso[..., None]
    assert np.median(apart) < 0.3
    hips = read[..., skeleton.joint_index("Hips"), :]
    assert np.median(np.linalg.norm(hips - mediapipe[..., 6:8, :].mean(-2), axis=-1) / torso) < 0.3


def test_a_track_is_read_in_half_overlapping_windows_and_blended_across_gaps(reader, val_landmarks):
    track = val_landmarks[:3].reshape(-1, 33, 3)   # 192 frames
    np.testing.assert_allclose(reader.read(track[:64]), reader.read_windows(track[None, :64])[0])
    read = reader.read(track)
    np.testing.assert_allclose(read[:32], reader.read_windows(track[None, :64])[0, :32])   # one window alone
    np.testing.assert_allclose(read[-32:], reader.read_windows(track[None, -64:])[0, -32:])
    positions = read + 40.0
    # share s: each joint moves s of the way; a frame without a detection as the frames around it
    track = track.copy()
    track[100] = np.nan
    blended = reader.blend(positions, track, 0.5, reader.fps)
    moved = blended - positions
    np.testing.assert_allclose(moved[99], 0.5 * (reader.read(track)[99] - positions[99]), atol=1e-4)
    np.testing.assert_allclose(moved[100], (moved[99] + moved[101]) / 2, atol=1e-4)
    np.testing.assert_array_equal(reader.blend(positions, track, 0.0, reader.fps), positions)
    # at another rate it reads at its own and comes back: one value per given frame, near the same reading
    fast = reader.blend(positions, track, 1.0, 2 * reader.fps)
    assert fast.shape == positions.shape and np.isfinite(fast).all() and not np.allclose(fast, blended)
    with pytest.raises(ValueError, match="reads 33 landmarks a frame, got 17"):
        reader.blend(positions, track[:, :17], 0.5)


def test_the_default_reads_the_landmarks_other_methods_do_not():
    config = to_container(load_config())
    methods = build_methods(config, ["JUMPS + fusion", "ridge"])
    positions = np.zeros((2, 64, 21, 2), np.float32)
    with np.load(shipped_path("val")) as data:
        landmarks = all_landmarks({k: data[k][:2] if np.ndim(data[k]) else data[k] for k in data.files})
    np.testing.assert_array_equal(methods["ridge"].read_landmarks(positions, landmarks), positions)
    default = methods["JUMPS + fusion"]
    read = default.read_landmarks(positions, landmarks)
    share = config["fusion"]["landmark_reader"]
    np.testing.assert_allclose(read, share * default.landmark_reader.read_windows(landmarks), rtol=1e-5, atol=1e-3)


@pytest.mark.corpus
def test_hpe_real_gives_the_default_its_reader_after_every_rows_map(tmp_path):
    """`jumps evaluate`: the default's predictions with the reader are the reader's blend of those without."""
    saved = {}
    for share in ("0", "0.5"):
        path = tmp_path / f"p{share}.npz"
        run = subprocess.run([sys.executable, "-m", "jumps_pl.cli", "evaluate", "--quiet", "--out",
                              str(tmp_path / f"r{share}.json"), "--save-predictions", str(path),
                              f"data.root={SHARED_CORPUS}", "data.split=ood-test", "evaluate.windows=2",
                              "evaluate.rows=[JUMPS + fusion, ridge]", "evaluate.tasks=[hpe-real]",
                              f"fusion.landmark_reader={share}"],
                             cwd=REPO, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr[-2000:]
        with np.load(path) as data:
            saved[share] = {row: data[f"hpe-real/{row}/pred_px"] for row in ("JUMPS + fusion", "ridge")}
    np.testing.assert_array_equal(saved["0"]["ridge"], saved["0.5"]["ridge"])
    with np.load(shipped_path("ood-test")) as data:
        landmarks = all_landmarks({k: data[k][:2] if np.ndim(data[k]) else data[k] for k in data.files})
    reader = load_landmark_reader(model_path({}, "landmark_reader"))
    np.testing.assert_allclose(saved["0.5"]["JUMPS + fusion"],
                               reader.blend(saved["0"]["JUMPS + fusion"], landmarks, 0.5), atol=1e-2)
    assert not np.allclose(saved["0.5"]["JUMPS + fusion"], saved["0"]["JUMPS + fusion"], atol=1.0)


@pytest.mark.street
def test_upsample_reads_the_street_clips_landmarks_at_its_own_rate(tmp_path):
    """The street clip's real MediaPipe output at 50 fps: the default's joints move by the reader's blend."""
    from jumps_pl.upsampler import Upsampler

    source = STREET_MEDIA / "mediapipe-pose.json"
    track = read_poses(source).tracks[0]
    outputs = {}
    for share in ("0", "0.5"):
        Upsampler(overrides=[f"fusion.landmark_reader={share}"]).upsample_file(
            source, tmp_path / f"{share}.npz", progress=False, log=lambda message: None)
        outputs[share] = np.load(tmp_path / f"{share}.npz")["keypoints"][0]
    every = np.full((len(outputs["0"]), 33, 3), np.nan)
    every[track.frames - track.frames[0]] = track.landmarks
    reader = load_landmark_reader(model_path({}, "landmark_reader"))
    fps = json.loads(source.read_text())["fps"]
    np.testing.assert_allclose(outputs["0.5"], reader.blend(outputs["0"], every, 0.5, fps), atol=1e-2)
    assert np.median(np.linalg.norm(outputs["0.5"] - outputs["0"], axis=-1)) > 0.5
