"""Joint-centre maps: a detector's fixed offset learnt in body units, applied at any position and scale."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from jumps_pl import skeleton
from jumps_pl.io.formats import read_poses
from jumps_pl.joint_centres import (
    CentreMap,
    LandmarkMap,
    fit_centre_map,
    fit_landmark_map,
    load_centre_maps,
    load_landmark_maps,
    save_centre_maps,
)
from tests.conftest import REPO, STREET_MEDIA


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


# MediaPipe's landmarks the synthetic ones below stand in for: nose, the ears, the shoulders and hips
_NOSE, _EARS, _TORSO = 0, (7, 8), (11, 12, 23, 24)


def _face_landmarks(truth21: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(N, 33, 3) landmarks: the torso where the mocap's is, a face that follows the head, the rest noise."""
    n = len(truth21)
    landmarks = np.concatenate([rng.normal(0, 20, (n, 33, 2)) + truth21[:, :1], np.ones((n, 33, 1))], -1)
    inputs = list(skeleton.INPUT_INDICES)
    for landmark, joint in zip(_TORSO, (inputs[0], inputs[1], inputs[6], inputs[7]), strict=True):
        landmarks[:, landmark, :2] = truth21[:, joint]
    head = truth21[:, skeleton.joint_index("Head")]
    landmarks[:, _NOSE, :2] = head + [0.0, -15.0]
    for ear, side in zip(_EARS, (-1, 1), strict=True):
        landmarks[:, ear, :2] = head + [side * 8.0, -12.0]
    return landmarks


def test_the_landmark_map_reads_the_head_from_the_face_and_blends_by_its_shares():
    truth = np.load(REPO / "data" / "sample" / "walk-ground-truth.npz")["keypoints_px"].astype(np.float64)
    landmarks = _face_landmarks(truth, np.random.default_rng(0))
    fitted = fit_landmark_map("test", landmarks[:200], truth[:200], _TORSO, alpha=1e-3)
    head = list(skeleton.ADDED_INDICES).index(skeleton.joint_index("Head"))
    added, ok = fitted(landmarks[200:])
    assert ok.all()
    error = np.linalg.norm(added[:, head] - truth[200:, skeleton.joint_index("Head")], axis=-1)
    size = np.linalg.norm(truth[200:, 0] - truth[200:, skeleton.joint_index("Head")], axis=-1)
    assert np.median(error) < 0.05 * np.median(size)
    # blended: only the joints with a share move, and by that share; a frame without usable landmarks moves
    # as the frames around it do
    method = truth[200:] + 20.0
    share = np.zeros(len(skeleton.ADDED_INDICES))
    share[head] = 0.75
    given = landmarks[200:].copy()
    given[3] = np.nan
    given[5, 20, :2] = 1e30          # a stray landmark, far beyond any body: the frame is not trusted
    blended = dataclasses.replace(fitted, share=share).blend(method, given)
    moved = [skeleton.joint_index("Head")]
    still = [j for j in range(skeleton.NUM_JOINTS) if j not in moved]
    np.testing.assert_array_equal(blended[:, still], method[:, still])
    rows = (np.arange(len(method)) != 3) & (np.arange(len(method)) != 5)
    np.testing.assert_allclose(blended[rows][:, moved[0]],
                               0.25 * method[rows][:, moved[0]] + 0.75 * added[rows][:, head], atol=1e-9)
    move = blended[:, moved[0]] - method[:, moved[0]]
    np.testing.assert_allclose(move[3], 0.5 * (move[2] + move[4]), atol=1e-9)
    np.testing.assert_allclose(move[5], 0.5 * (move[4] + move[6]), atol=1e-9)
    # a sequence with no usable frame is left as it is
    nowhere = np.full_like(given, np.nan)
    np.testing.assert_array_equal(dataclasses.replace(fitted, share=share).blend(method, nowhere), method)
    # the same map at another image position and scale: body units, not pixels
    scaled = landmarks[200:].copy()
    scaled[..., :2] = scaled[..., :2] * 0.5 + 300.0
    np.testing.assert_allclose(fitted(scaled)[0], added * 0.5 + 300.0, atol=1e-6)


def test_landmark_maps_save_beside_centre_maps_and_a_wrong_shape_is_named(tmp_path):
    path = tmp_path / "maps.npz"
    share = np.linspace(0, 1, len(skeleton.ADDED_INDICES))
    landmark_map = LandmarkMap("mediapipe", np.full((100, 18), 0.25), share, _TORSO, "a test")
    save_centre_maps(path, {"mediapipe": CentreMap("mediapipe", np.zeros((37, 24)))}, {"mediapipe": landmark_map})
    assert set(load_centre_maps(path)) == {"mediapipe"}
    loaded = load_landmark_maps(path)["mediapipe"]
    assert loaded.fitted_on == "a test" and loaded.torso == _TORSO and (loaded.weights == 0.25).all()
    np.testing.assert_array_equal(loaded.share, share)
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["mediapipe/landmark_share"] = np.ones(3)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=r"mediapipe's landmark map has shapes \(100, 18\), \(3,\)"):
        load_landmark_maps(path)
    del arrays["mediapipe/landmark_share"]
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="mediapipe's landmark map lacks share"):
        load_landmark_maps(path)


def test_the_shipped_landmark_map_leaves_the_toes_to_the_method():
    shipped = load_landmark_maps()["mediapipe"]
    assert shipped.weights.shape == (33 * 3 + 1, 18) and shipped.torso == _TORSO
    toes = [list(skeleton.ADDED_INDICES).index(skeleton.joint_index(n)) for n in ("Toes_L", "Toes_R")]
    head = list(skeleton.ADDED_INDICES).index(skeleton.joint_index("Head"))
    assert (shipped.share[toes] == 0).all() and shipped.share[head] > 0.5


@pytest.mark.street
def test_upsample_blends_a_mediapipe_files_added_joints_with_its_landmarks(tmp_path):
    """The street clip's real MediaPipe output: the shipped map moves the added joints it has a share of."""
    from jumps_pl.upsampler import Upsampler

    source = STREET_MEDIA / "mediapipe-pose.json"
    pose_file = read_poses(source)
    landmarks = pose_file.tracks[0].landmarks
    assert landmarks.shape == (len(pose_file.tracks[0].frames), 33, 3)
    first = json.loads(source.read_text())["detections"][0]["landmarks"]
    np.testing.assert_allclose(landmarks[0], np.asarray(first)[:, :3], atol=1e-3)
    outputs = {}
    for name, setting in (("off", "false"), ("on", "true")):
        Upsampler("ridge", overrides=[f"upsample.landmarks={setting}"]).upsample_file(
            source, tmp_path / f"{name}.npz", progress=False, log=lambda message: None)
        outputs[name] = np.load(tmp_path / f"{name}.npz")["keypoints"][0]
    shipped = load_landmark_maps()["mediapipe"]
    kept = [j for k, j in enumerate(skeleton.ADDED_INDICES) if shipped.share[k] == 0] + list(skeleton.INPUT_INDICES)
    np.testing.assert_array_equal(outputs["on"][:, kept], outputs["off"][:, kept])
    rows = pose_file.tracks[0].frames - pose_file.tracks[0].frames[0]
    every = np.full((len(outputs["off"]), 33, 3), np.nan)
    every[rows] = landmarks   # frames without a detection: moved as the detected frames around them
    np.testing.assert_allclose(outputs["on"], shipped.blend(outputs["off"], every), atol=1e-3)
    head = skeleton.joint_index("Head")
    assert np.median(np.linalg.norm(outputs["on"][:, head] - outputs["off"][:, head], axis=-1)) > 1.0
    # called on a track without naming its format: the one map that reads 33 landmarks
    upsampler = Upsampler("ridge")
    track = pose_file.tracks[0]
    direct = upsampler.upsample_track(track, 50.0).keypoints
    plain = upsampler.upsample_track(dataclasses.replace(track, landmarks=None), 50.0).keypoints
    np.testing.assert_array_equal(direct[:, kept], plain[:, kept])
    np.testing.assert_allclose(direct, shipped.blend(plain, every), atol=1e-3)
    # a frame with a landmark that is not a number moves as the frames around it; the others as before
    record = json.loads(source.read_text())
    first_frame = pose_file.tracks[0].frames[0]
    k = next(i for i, d in enumerate(record["detections"]) if d["landmarks"] is not None and i > 10)
    record["detections"][k]["landmarks"][0][0] = None   # the nose: not one of the 12 joints
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(record))
    Upsampler("ridge").upsample_file(broken, tmp_path / "broken.npz", progress=False, log=lambda message: None)
    again = np.load(tmp_path / "broken.npz")["keypoints"][0]
    row = int(record["detections"][k].get("frame", k)) - int(first_frame)
    every[row] = np.nan
    np.testing.assert_allclose(again, shipped.blend(outputs["off"], every), atol=1e-3)
    assert not np.allclose(again[row], outputs["off"][row])
    # landmarks named in another order are not read: the 12 joints alone, as before
    record = json.loads(source.read_text())
    record["landmark_names"] = list(reversed(record["landmark_names"]))
    for detection in record["detections"]:
        if detection["landmarks"] is not None:
            detection["landmarks"] = list(reversed(detection["landmarks"]))
    reordered = tmp_path / "reordered.json"
    reordered.write_text(json.dumps(record))
    assert read_poses(reordered).tracks[0].landmarks is None
