"""``jumps_pl.Upsampler`` on the shipped sample (``data/sample``, no corpus needed): one input contract
with the command line, and progress that shows from the first window."""
from __future__ import annotations

import json

import numpy as np
import pytest

import jumps_pl
import jumps_pl.io.formats
from conftest import REPO
from jumps_pl.cli import main
from jumps_pl.io.formats import PoseFormatError

SAMPLE = REPO / "data" / "sample" / "walk-detections.json"


@pytest.fixture(scope="module")
def coco17() -> np.ndarray:
    """The sample as a COCO-17 array (300, 17, 3), NaN where the detector gave no joint."""
    rows = np.array([entry["keypoints"] for entry in json.loads(SAMPLE.read_text())]).reshape(-1, 17, 3)
    rows[rows[..., 2] == 0, :2] = np.nan
    return rows


@pytest.fixture(scope="module")
def upsampler() -> jumps_pl.Upsampler:
    return jumps_pl.Upsampler(method="ridge+savgol", fps=30)


def test_coco17_and_twelve_joints_with_confidence_give_the_same_result(upsampler, coco17):
    from_17 = upsampler.upsample(coco17)
    from_12 = upsampler.upsample(coco17[:, 5:])
    scores_apart = upsampler.upsample(coco17[:, 5:, :2], confidence=np.nan_to_num(coco17[:, 5:, 2]))
    np.testing.assert_array_equal(from_17, from_12)
    np.testing.assert_array_equal(from_17, scores_apart)
    assert from_17.shape == (300, 21, 2) and np.isfinite(from_17).all()
    # the scores count: read as all 1, the detector's confident failures and its guesses weigh alike
    assert np.abs(upsampler.upsample(coco17[..., :2]) - from_17).max() > 1.0


def test_the_api_and_the_command_line_read_an_array_file_alike(upsampler, coco17, tmp_path):
    np.save(tmp_path / "walk.npy", coco17)
    assert main(["upsample", str(tmp_path / "walk.npy"), "--out", str(tmp_path / "walk.npz"), "--fps", "30",
                 "--method", "ridge-savgol", "--quiet"]) == 0
    with np.load(tmp_path / "walk.npz") as written:
        np.testing.assert_allclose(written["keypoints"][0], upsampler.upsample(coco17), atol=1e-4)


def test_a_half_missing_entry_is_named_with_its_frame(upsampler, coco17):
    broken = coco17.copy()
    broken[12, 7, 0] = np.nan
    with pytest.raises(PoseFormatError, match="keypoints: frame 12, joint left_elbow"):
        upsampler.upsample(broken)


def test_progress_moves_from_the_first_window_during_the_latent_fit(coco17):
    """The paper's row on the sample's 12 joints (one batch of windows): the fit reports every iteration,
    so a progress bar moves long before the batch is done, and adds up to the track's windows."""
    from jumps_pl.pipeline import model_frames, windows_for

    up = jumps_pl.Upsampler(method="jumps", fps=30, iterations=20, starts=2)
    steps: list[float] = []
    up.upsample_track(jumps_pl.io.formats.read_poses(SAMPLE).tracks[0], 30.0, steps.append)
    total = windows_for(model_frames(300, 30.0, 30.0), up.method.window, up.config["infer"]["overlap"])
    assert len(steps) >= 20 and steps[0] < 1.0  # a share of the first (and only) batch, after one iteration
    assert sum(steps) == pytest.approx(total)
