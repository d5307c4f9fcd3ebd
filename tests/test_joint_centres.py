"""Joint-centre maps: a detector's fixed offset learnt in body units, applied at any position and scale."""
from __future__ import annotations

import numpy as np
import pytest

from jumps_pl import skeleton
from jumps_pl.joint_centres import CentreMap, fit_centre_map, load_centre_maps, save_centre_maps
from tests.conftest import REPO


def _sample_poses() -> np.ndarray:
    truth = np.load(REPO / "data" / "sample" / "walk-ground-truth.npz")["keypoints_px"]
    return truth[:, skeleton.INPUT_INDICES].astype(np.float64)   # (300, 12, 2)


def test_a_detector_that_puts_the_hips_low_and_wide_is_moved_back():
    truth = _sample_poses()
    size = np.linalg.norm(truth[:, :2].mean(1) - truth[:, 6:8].mean(1), axis=-1)
    detected = truth.copy()
    detected[:, 6:8, 1] += 0.12 * size[:, None]                  # hips 12% of the torso lower
    detected[:, 6, 0] += 0.05 * size * np.sign(truth[:, 6, 0] - truth[:, 7, 0])   # and wider
    present = np.ones(truth.shape[:2], bool)
    fitted = fit_centre_map("test", detected[:200], present[:200], truth[:200], alpha=1e-3)
    moved = fitted(detected[200:], present[200:])
    before = np.linalg.norm(detected[200:] - truth[200:], axis=-1).mean()
    after = np.linalg.norm(moved - truth[200:], axis=-1).mean()
    assert after < 0.25 * before
    # the same map at another image position and scale: body units, not pixels
    shifted = fitted(detected[200:] * 0.5 + 300.0, present[200:])
    np.testing.assert_allclose(shifted, moved * 0.5 + 300.0, atol=1e-6)


def test_frames_without_the_whole_torso_and_absent_joints_are_left_as_they_are():
    truth = _sample_poses()[:10]
    present = np.ones(truth.shape[:2], bool)
    present[3, 0] = False      # frame 3 lacks a shoulder: nothing moves
    present[5, 4] = False      # frame 5 lacks a wrist: that wrist stays
    weights = np.zeros((37, 24))
    weights[-1] = 0.1          # a constant offset of 0.1 body units on every coordinate
    moved = CentreMap("test", weights)(truth, present)
    np.testing.assert_array_equal(moved[3], truth[3])
    np.testing.assert_array_equal(moved[5, 4], truth[5, 4])
    assert (np.abs(moved[5, 5] - truth[5, 5]) > 1).all()


def test_saved_maps_read_back_and_a_wrong_shape_is_named(tmp_path):
    path = tmp_path / "maps.npz"
    save_centre_maps(path, {"mediapipe": CentreMap("mediapipe", np.full((37, 24), 0.5), "a test")})
    loaded = load_centre_maps(path)["mediapipe"]
    assert loaded.fitted_on == "a test" and (loaded.weights == 0.5).all()
    np.savez(path, **{"mediapipe/weights": np.zeros((3, 3))})
    with pytest.raises(ValueError, match=r"mediapipe/weights has shape \(3, 3\)"):
        load_centre_maps(path)
