"""`jumps upsample` and `jumps render` end to end on the real street detections."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from test_io import ALPHAPOSE, BODY25, MEDIAPIPE, STREET, street_entries, write_openpose

from conftest import REPO
from jumps_pl import skeleton
from jumps_pl.io.formats import read_poses
from jumps_pl.resampling import resample

FAST = ("infer.iterations=2", "infer.starts=1")


def jumps(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jumps_pl.cli", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "WANDB_MODE": "offline"})


@pytest.mark.street
def test_street_alphapose_with_the_shipped_model(tmp_path):
    """The issue's end-to-end check: 205 frames of 21 finite joints; confident inputs stay close."""
    out = tmp_path / "street.npz"
    result = jumps("upsample", ALPHAPOSE, "--out", out, "--fps", "50")
    assert result.returncode == 0, result.stderr[-3000:]
    data = np.load(out)
    keypoints = data["keypoints"][0]
    assert keypoints.shape == (205, 21, 2) and np.isfinite(keypoints).all()
    assert list(data["joint_names"]) == list(skeleton.HIGH_RES_JOINTS) and data["fps"] == 50.0
    track = read_poses(ALPHAPOSE).tracks[0]
    head = 0.5 * np.linalg.norm(keypoints[:, skeleton.NECK] - keypoints[:, skeleton.ROOT], axis=-1)  # protocol's h
    error = np.linalg.norm(keypoints[:, skeleton.INPUT_INDICES] - track.keypoints, axis=-1) / head[:, None]
    confident = track.confidence >= 0.8
    assert np.median(error[confident]) < 0.5  # within PCKh@0.5 of the detection, half the time or more
    observed = data["observed"][0][:, skeleton.INPUT_INDICES]
    np.testing.assert_array_equal(observed, track.confidence >= 0.3)  # upsample.min_confidence
    # an independent estimate of the toes: MediaPipe's own foot_index landmarks (reported, loosely bounded)
    mp = json.loads(MEDIAPIPE.read_text())
    names = mp["landmark_names"]
    tips = np.array([[d["landmarks"][names.index(f"{s}_foot_index")][:2] for s in ("left", "right")]
                     for d in mp["detections"]])
    toes = keypoints[:, [skeleton.joint_index("Toes_L"), skeleton.joint_index("Toes_R")]]
    distance = np.linalg.norm(toes - tips, axis=-1) / head[:, None]
    print(f"toes vs MediaPipe foot_index: median {np.median(distance, 0)} head sizes")
    assert np.median(distance) < 1.5


@pytest.mark.street
def test_json_outputs_keep_the_input_convention_and_fill_frames(tmp_path, tiny_checkpoint):
    entries = [e for e in street_entries() if int(e["image_id"].split(".")[0]) not in range(50, 60)]
    source = tmp_path / "gappy.json"
    source.write_text(json.dumps(entries))
    out = tmp_path / "out.json"
    result = jumps("upsample", source, "--out", out, "--fps", "50", "--model", tiny_checkpoint, *FAST)
    assert result.returncode == 0, result.stderr[-3000:]
    written = json.loads(out.read_text())
    assert len(written) == 205 and sum(bool(e.get("jumps_filled")) for e in written) == 10
    filled = [e for e in written if e.get("jumps_filled")]
    assert sorted(e["image_id"] for e in filled) == sorted(f"{f}.jpg" for f in range(50, 60))
    kept = [e for e in written if not e.get("jumps_filled")]
    assert [e["keypoints"] for e in kept] == [e["keypoints"] for e in entries]  # input fields untouched
    assert all(len(e["jumps_keypoints"]) == 63 and e["jumps_joint_names"][4] == "Head" for e in written)
    # mediapipe: top-level names, per-detection landmarks
    out_mp = tmp_path / "mp.json"
    assert jumps("upsample", MEDIAPIPE, "--out", out_mp, "--model", tiny_checkpoint, *FAST).returncode == 0
    data = json.loads(out_mp.read_text())
    assert data["jumps_joint_names"] == list(skeleton.HIGH_RES_JOINTS)
    assert all(len(d["jumps_landmarks"]) == 21 for d in data["detections"]) and len(data["detections"]) == 205
    # render what was written, on a blank canvas, as a GIF
    gif = tmp_path / "out.gif"
    result = jumps("render", out_mp, "--out", gif)
    assert result.returncode == 0, result.stderr[-2000:]
    assert Image.open(gif).n_frames == 205


def test_openpose_folder_in_and_out(tmp_path, tiny_checkpoint):
    folder = write_openpose(tmp_path / "op", BODY25)
    out = tmp_path / "op-out"
    result = jumps("upsample", folder, "--out", out, "--fps", "50", "--model", tiny_checkpoint, *FAST)
    assert result.returncode == 0, result.stderr[-3000:]
    files = sorted(out.glob("*.json"))
    assert len(files) == 205
    frame = json.loads(files[0].read_text())
    assert len(frame["people"][0]["jumps_keypoints_2d"]) == 63 and frame["jumps_joint_names"][0] == "Hips"
    assert not list(tmp_path.glob(".op-out*"))  # no staging folder left behind
    gif = tmp_path / "op.gif"
    result = jumps("render", out, "--out", gif, "--width", "200")
    assert result.returncode == 0, result.stderr[-2000:]
    assert Image.open(gif).n_frames == 205


@pytest.mark.street
def test_resampling_and_csv_output_cover_every_input_frame(tmp_path, tiny_checkpoint):
    out = tmp_path / "street.csv"
    result = jumps("upsample", ALPHAPOSE, "--out", out, "--fps", "50", "--model", tiny_checkpoint, *FAST)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = out.read_text().splitlines()
    assert len(lines) == 206 and lines[0].startswith("frame,track,detected,Hips_x,Hips_y,Hips_c")
    # resampling itself: linear, and an entry is present only where both neighbours are
    values = np.arange(5, dtype=float)[:, None]
    present = np.array([True, True, False, True, True])[:, None]
    out_values, ok = resample(values, present, np.arange(5) / 50, np.arange(3) / 30)
    np.testing.assert_allclose(out_values[:, 0], [0, 50 / 30, 100 / 30])
    np.testing.assert_array_equal(ok[:, 0], [True, False, True])  # 1/30 s falls next to the missing frame


@pytest.mark.street
def test_one_frame_and_a_long_input_with_bounded_windows(tmp_path, tiny_checkpoint):
    array = np.stack([np.asarray(e["keypoints"]).reshape(17, 3) for e in street_entries()])
    np.save(tmp_path / "one.npy", array[:1])
    assert jumps("upsample", tmp_path / "one.npy", "--out", tmp_path / "one.npz", "--model", tiny_checkpoint,
                 *FAST).returncode == 0
    assert np.load(tmp_path / "one.npz")["keypoints"].shape == (1, 1, 21, 2)
    long = np.concatenate([array, array[::-1]] * 8)  # 3,280 frames
    np.save(tmp_path / "long.npy", long)
    result = jumps("upsample", tmp_path / "long.npy", "--out", tmp_path / "long.npz", "--model", tiny_checkpoint,
                   *FAST, "infer.batch_windows=8")
    assert result.returncode == 0, result.stderr[-2000:]
    keypoints = np.load(tmp_path / "long.npz")["keypoints"][0]
    assert keypoints.shape == (3280, 21, 2) and np.isfinite(keypoints).all()
    assert "windows [" not in result.stderr  # no progress bar when the output is not a terminal


@pytest.mark.parametrize("content, message", [
    ("[{\"image_id\": \"0.jpg\", \"keypoints\": [1, 2]", "malformed JSON at line 1"),
    ("", "empty file"),
    ("[{\"image_id\": \"0.jpg\", \"category_id\": 1, \"keypoints\": [1, 2, 3]}]", "entry 0: keypoints has 3 values"),
])
def test_bad_input_exits_non_zero_names_the_file_and_writes_nothing(tmp_path, content, message):
    source = tmp_path / "bad.json"
    source.write_text(content)
    out = tmp_path / "out.json"
    result = jumps("upsample", source, "--out", out)
    assert result.returncode == 2 and f"bad.json: {message}" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [source]


@pytest.mark.street
def test_existing_output_is_kept_unless_overwrite(tmp_path, tiny_checkpoint):
    out = tmp_path / "out.npz"
    out.write_bytes(b"precious")
    result = jumps("upsample", ALPHAPOSE, "--out", out, "--model", tiny_checkpoint, *FAST)
    assert result.returncode == 2 and "exists; pass --overwrite" in result.stderr
    assert out.read_bytes() == b"precious"
    result = jumps("upsample", ALPHAPOSE, "--out", out, "--model", tiny_checkpoint, *FAST, "--overwrite")
    assert result.returncode == 0 and np.load(out)["keypoints"].shape == (1, 205, 21, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.npz"]  # no temporary files left


@pytest.mark.street
def test_render_over_the_source_video_to_mp4(tmp_path, tiny_checkpoint):
    npz = tmp_path / "s.npz"
    assert jumps("upsample", ALPHAPOSE, "--out", npz, "--fps", "50", "--model", tiny_checkpoint, *FAST).returncode == 0
    mp4 = tmp_path / "s.mp4"
    result = jumps("render", npz, "--out", mp4, "--video", STREET / "street.mp4", "--width", "320")
    assert result.returncode == 0, result.stderr[-2000:]
    import av

    with av.open(str(mp4)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 205 and frames[0].shape == (180, 320, 3)
    assert frames[0].std() > 20  # the video is underneath, not a blank canvas
    assert jumps("render", npz, "--out", mp4).returncode == 2  # exists, no --overwrite
