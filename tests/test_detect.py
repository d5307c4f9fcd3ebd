"""Video in: MediaPipe Pose on the shipped mannequin video, `jumps upsample VIDEO`, and the missing extra."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from jumps_pl import skeleton
from jumps_pl.cli import main
from tests.conftest import REPO

VIDEO = REPO / "data" / "sample" / "walk.mp4"
TRUTH = REPO / "data" / "sample" / "walk-ground-truth.npz"


@pytest.mark.detect
def test_mediapipe_finds_the_mannequin_near_its_joints():
    from jumps_pl.detect import PoseDetector, detect_frames
    from jumps_pl.io.tracks import LAYOUTS
    from jumps_pl.io.video import video_frames

    frames, fps, size = video_frames(VIDEO)
    with PoseDetector() as detector:
        found = list(detect_frames(frames, detector))
    assert (fps, size, len(found)) == (30.0, (640, 480), 90)
    assert all(f is not None and f.shape == (33, 4) for f in found)
    truth = np.load(TRUTH)["video_px"][:, skeleton.INPUT_INDICES]
    detected = np.stack([f[list(LAYOUTS["mediapipe33"]), :2] for f in found])
    error = np.linalg.norm(detected - truth, axis=-1)
    body = np.linalg.norm(truth[:, 0] - truth[:, 10], axis=-1).mean()   # shoulder to ankle, px
    assert np.median(error) < 0.1 * body   # a real detector on the render: near, not exact
    assert np.median(error) > 0.1           # and not the ground truth itself
    # the shipped joint-centre map (fitted on rendered training windows) moves them nearer the mocap's
    from jumps_pl.joint_centres import load_centre_maps

    moved = load_centre_maps()["mediapipe"](detected, np.ones(detected.shape[:2], bool))
    assert np.median(np.linalg.norm(moved - truth, axis=-1)) < 0.95 * np.median(error)


@pytest.mark.detect
def test_upsample_a_video_and_its_saved_detections_give_the_same_output(tmp_path, capsys):
    out = tmp_path / "walk.npz"
    assert main(["upsample", str(VIDEO), "--out", str(out), "--save-detections", "--method", "ridge+savgol",
                 "--quiet"]) == 0
    saved = tmp_path / "walk.detections.json"
    record = json.loads(saved.read_text())
    assert record["frames"] == 90 and record["fps"] == 30.0 and len(record["landmark_names"]) == 33
    assert len(record["detections"][0]["landmarks"][0]) == 4   # x, y, visibility, presence
    result = np.load(out)
    assert result["keypoints"].shape == (1, 90, 21, 2) and np.isfinite(result["keypoints"]).all()
    again = tmp_path / "again.npz"
    assert main(["upsample", str(saved), "--out", str(again), "--method", "ridge+savgol", "--quiet"]) == 0
    np.testing.assert_array_equal(np.load(again)["keypoints"], result["keypoints"])


@pytest.mark.detect
def test_a_folder_with_a_video_and_a_broken_one(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "walk.mp4").write_bytes(VIDEO.read_bytes())
    (folder / "broken.mp4").write_bytes(b"not a video")
    from jumps_pl.upsampler import Upsampler

    summary = Upsampler("ridge+savgol").upsample_files([folder], tmp_path / "out", save_detections=True,
                                                       log=lambda message: None)
    assert [p.name for p in summary.done] == ["walk.mp4"] and list(summary.failed) == [folder / "broken.mp4"]
    assert "broken.mp4" in summary.failed[folder / "broken.mp4"]
    assert (tmp_path / "out" / "walk.npz").is_file() and (tmp_path / "out" / "walk.detections.json").is_file()


def test_without_the_extra_the_error_says_how_to_install_it(tmp_path):
    # MediaPipe made unimportable in a fresh interpreter, as where the extra was never installed
    code = ("import sys; sys.modules['mediapipe'] = None; "
            "from jumps_pl.cli import main; "
            f"sys.exit(main(['upsample', {str(VIDEO)!r}, '--out', {str(tmp_path / 'o.npz')!r}, "
            "'--method', 'ridge']))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert "pip install 'jumps-pl[detect]'" in run.stderr
    assert not (tmp_path / "o.npz").exists()
