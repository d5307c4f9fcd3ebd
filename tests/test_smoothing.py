"""The shared smoothing filters (``jumps_pl/smoothing.py``) on the shipped sample's detections."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import SAMPLE
from jumps_pl.io.formats import read_poses
from jumps_pl.smoothing import gaussian, one_euro, savgol


@pytest.fixture(scope="module")
def track() -> np.ndarray:
    """The sample's 12 joints, (K, 12, 2) px at 30 fps (the frames with a detection)."""
    return read_poses(SAMPLE).tracks[0].keypoints.astype(np.float64)


@pytest.mark.parametrize(("min_cutoff", "beta", "d_cutoff"), [(1.0, 0.0, 1.0), (0.3, 0.02, 1.0), (2.0, 0.5, 3.0)])
def test_one_euro_is_the_reference_filter_sample_by_sample(track, min_cutoff, beta, d_cutoff):
    from OneEuroFilter import OneEuroFilter

    ours = one_euro(track[None], 30.0, min_cutoff, beta, d_cutoff)[0]
    for joint in (0, 5, 10):
        for axis in (0, 1):
            reference = OneEuroFilter(30.0, min_cutoff, beta, d_cutoff)
            expected = [reference(float(v)) for v in track[:, joint, axis]]
            np.testing.assert_allclose(ours[:, joint, axis], expected, rtol=0, atol=1e-9)


def test_one_euro_is_causal(track):
    whole = one_euro(track[None], 30.0, 0.5, 0.01, 1.0)[0]
    prefix = one_euro(track[None, :100], 30.0, 0.5, 0.01, 1.0)[0]
    np.testing.assert_array_equal(whole[:100], prefix)


def test_savgol_and_gaussian_smooth_jitter_and_keep_the_mean(track):
    jitter = np.abs(np.diff(track, 2, axis=0)).mean()
    for smooth in (savgol(track[None], 15, 2)[0], gaussian(track[None], 2.0)[0]):
        assert np.abs(np.diff(smooth, 2, axis=0)).mean() < 0.5 * jitter
        np.testing.assert_allclose(smooth.mean(0), track.mean(0), atol=2.0)
