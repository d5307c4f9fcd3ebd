"""Score maps: fitted non-decreasing, read back with errors that name the file, applied by `jumps upsample`."""
from __future__ import annotations

import json

import numpy as np
import pytest

from jumps_pl.scores import ScoreMap, fit_score_map, load_score_maps, save_score_maps
from tests.conftest import REPO


def test_the_fitted_map_follows_the_share_near_the_truth_and_never_falls():
    rng = np.random.default_rng(0)
    scores = rng.random(4000)
    within = rng.random(4000) < 0.2 + 0.7 * scores ** 2     # the truth: a rising curve, sampled
    score_map = fit_score_map("x", scores, within)
    assert all(b >= a for a, b in zip(score_map.trust, score_map.trust[1:], strict=False))
    probe = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(score_map(probe), 0.2 + 0.7 * probe ** 2, atol=0.07)
    assert score_map(np.array([0.0]))[0] == 0.0   # no detection stays none


def test_saved_maps_read_back_and_a_bad_file_is_named(tmp_path):
    path = tmp_path / "maps.yaml"
    save_score_maps(path, {"mediapipe": ScoreMap("mediapipe", (0.1, 0.9), (0.6, 0.95), "test")})
    assert load_score_maps(path)["mediapipe"] == ScoreMap("mediapipe", (0.1, 0.9), (0.6, 0.95), "test")
    path.write_text("mediapipe: {knots: [0.9, 0.1], trust: [0.5, 0.6]}\n")
    with pytest.raises(ValueError, match=f"{path}: mediapipe: 'knots' must be increasing"):
        load_score_maps(path)
    with pytest.raises(FileNotFoundError, match="nowhere.yaml"):
        load_score_maps(tmp_path / "nowhere.yaml")


def test_upsample_reads_a_mediapipe_file_through_its_map(tmp_path):
    """A low visibility that the raw gate drops is kept when the map says such entries are good."""
    from jumps_pl.upsampler import Upsampler

    truth = np.load(REPO / "data" / "sample" / "walk-ground-truth.npz")["keypoints_px"][:60]
    from jumps_pl import skeleton

    detections = []
    for frame, pose in enumerate(truth):
        landmarks = [[0.0, 0.0, 0.0]] * 33
        for k, column in enumerate((11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)):
            visibility = 0.1 if column in (15, 16) else 0.99   # wrists "not in view", yet placed right
            landmarks[column] = [float(v) for v in pose[skeleton.INPUT_INDICES[k]]] + [visibility]
        detections.append({"frame": frame, "landmarks": landmarks})
    source = tmp_path / "mp.json"
    source.write_text(json.dumps({"fps": 30, "detections": detections}))
    maps = tmp_path / "maps.yaml"
    save_score_maps(maps, {"mediapipe": ScoreMap("mediapipe", (0.05, 0.95), (0.8, 0.95))})
    raw = Upsampler("ridge", overrides=["upsample.scores=raw"])
    mapped = Upsampler("ridge")
    mapped.score_maps = load_score_maps(maps)
    for upsampler, name in ((raw, "raw.npz"), (mapped, "mapped.npz")):
        upsampler.upsample_file(source, tmp_path / name, progress=False, log=lambda message: None)
    wrists = [skeleton.joint_index("Hand_L"), skeleton.joint_index("Hand_R")]
    assert not np.load(tmp_path / "raw.npz")["observed"][0][:, wrists].any()      # gated away
    assert np.load(tmp_path / "mapped.npz")["observed"][0][:, wrists].all()       # trusted
