"""hpe-real: the shipped MediaPipe detections of rendered windows, checked against their windows and scored."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from jumps_pl import skeleton
from jumps_pl.evaluation.detector_errors import flipped_pairs
from jumps_pl.evaluation.real_detector import detector_row, load_detections, real_task, shipped_path
from tests.conftest import REPO, SHARED_CORPUS


def _evaluate(out, *settings: str) -> subprocess.CompletedProcess:
    """`jumps evaluate` on the corpus with ``settings``, results to ``out``; it must succeed."""
    run = subprocess.run([sys.executable, "-m", "jumps_pl.cli", "evaluate", "--out", str(out), "--quiet",
                          f"data.root={SHARED_CORPUS}", *settings], cwd=REPO, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    return run


def _shipped(split: str) -> dict:
    with np.load(shipped_path(split)) as data:
        return {k: data[k] for k in data.files}


@pytest.mark.parametrize("split", ["val", "test-bench", "ood-test", "ood-val"])
def test_shipped_detections_are_whole_and_small(split):
    path = shipped_path(split)
    assert path.stat().st_size < 25 * 2 ** 20
    detections = _shipped(split)
    count, frames = detections["found"].shape
    assert frames == 64 and count >= 100 and str(detections["format"]) == "hpe-real-v1"
    assert detections["found"].mean() > 0.9   # MediaPipe finds the mannequin nearly always
    assert np.isfinite(detections["landmarks_px"][detections["found"]]).all()
    assert str(detections["split"]) == split and "mediapipe" in str(detections["detector"])


def test_the_task_reads_scores_as_upsample_does_or_ignores_them():
    detections = {k: v[:4] if np.ndim(v) else v for k, v in _shipped("ood-test").items()}
    read = real_task(detections, 0.3)
    ignored = real_task(detections, 0.3, "ignored")
    assert (read.mask <= ignored.mask).all() and ignored.mask.sum() > read.mask.sum() > 0
    assert (read.confidence[read.mask] >= 0.3).all() and (ignored.confidence[ignored.mask] == np.float32(0.99)).all()
    assert not read.missing.any()
    # read through a score map that trusts every visibility above the gate: every detected joint is given,
    # at its mapped confidence
    from jumps_pl.scores import ScoreMap

    mapped = real_task(detections, 0.3, score_map=ScoreMap("mediapipe", (0.0, 1.0), (0.6, 0.9)))
    np.testing.assert_array_equal(mapped.mask, ignored.mask)
    assert 0.6 <= mapped.confidence[mapped.mask].min() and mapped.confidence[mapped.mask].max() <= 0.9
    row = detector_row(detections)
    np.testing.assert_array_equal(row[ignored.mask], ignored.keypoints_px[ignored.mask])
    assert np.isnan(row[~ignored.mask]).all()


def test_a_detectors_swap_is_found_where_its_sides_are_exchanged_and_nowhere_else():
    # MediaPipe's joints of two shipped windows taken as the truth; the detector gives them back with the
    # wrists exchanged in frames 10-13 of the first window, and every joint 5 px off (less than the margin)
    task = real_task(_shipped("ood-test"), min_confidence=0.0)
    truth = task.keypoints_px[:2].astype(np.float64)
    head = np.full(truth.shape[:2], 60.0)
    given = task.mask[:2]
    detected = truth + 5.0
    hands = [k for k, (left, _) in enumerate(skeleton.INPUT_PAIRS) if skeleton.HIGH_RES_JOINTS[left] == "Hand_L"][0]
    left, right = skeleton.INPUT_PAIRS[hands]
    detected[0, 10:14, [left, right]] = detected[0, 10:14, [right, left]]
    found = flipped_pairs(detected, truth, head, given)
    apart = np.linalg.norm(truth[0, 10:14, left] - truth[0, 10:14, right], axis=-1) > 30.0
    expected = np.zeros_like(found)
    expected[0, 10:14, hands] = apart & given[0, 10:14, left] & given[0, 10:14, right]
    assert expected.any() and np.array_equal(found, expected)


def test_a_file_made_for_other_windows_is_refused(tmp_path):
    detections = _shipped("ood-test")
    with pytest.raises(ValueError, match="not the first windows of this split"):
        load_detections(shipped_path("ood-test"), ["another clip"] * len(detections["clip"]), detections["start"])
    bad = tmp_path / "bad.npz"
    np.savez(bad, format=np.array("something else"))
    with pytest.raises(ValueError, match=f"{bad}: not a hpe-real-v1 detection file"):
        load_detections(bad, [], np.zeros(0))


@pytest.mark.corpus
def test_evaluate_scores_every_row_and_the_detector_on_real_detections(tmp_path):
    out = tmp_path / "r.json"
    _evaluate(out, "data.split=ood-test", "evaluate.windows=2", "evaluate.rows=[ridge, masked-conv-ae]",
              "evaluate.tasks=[hpe, hpe-real]")
    results = json.loads(out.read_text())["results"]["hpe-real"]
    assert list(results) == ["ridge", "masked-conv-ae", "MediaPipe as detected"]
    assert set(results["MediaPipe as detected"]) == {"input"}
    for row in ("ridge", "masked-conv-ae"):
        assert 0.3 < results[row]["added"]["auc"] < 1 and "missing" not in results[row]


@pytest.mark.corpus
def test_a_split_without_detections_leaves_hpe_real_out_saying_so(tmp_path):
    out = tmp_path / "r.json"
    run = _evaluate(out, "data.split=test", "evaluate.windows=1", "evaluate.rows=[ridge]",
                    "evaluate.tasks=[upsampling, hpe-real]")
    assert "hpe-real left out: no real-detector file for test" in run.stderr
    assert list(json.loads(out.read_text())["results"]) == ["upsampling"]


@pytest.mark.corpus
@pytest.mark.detect
def test_detect_windows_makes_the_shipped_file_again(tmp_path):
    out = tmp_path / "ood-test.npz"
    run = subprocess.run([sys.executable, "-m", "jumps_pl.cli", "detect-windows", "ood-test", "--windows", "1",
                          "--out", str(out), f"data.root={SHARED_CORPUS}"],
                         cwd=REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    made, shipped = np.load(out), _shipped("ood-test")
    # the same render and the same detector: the same landmarks, to a pixel but for a few late in the track
    # (tracking carries each frame's float paths into the next: on a loaded machine 5 of 4,224 coordinates
    # of the last 4 frames came out up to 2.3 px off), and none off by a joint's size
    gap = np.abs(made["landmarks_px"][0] - shipped["landmarks_px"][0])
    assert (gap <= 1.0).mean() >= 0.995 and gap.max() < 10.0, (np.mean(gap <= 1.0), gap.max())
    assert made["clip"][0] == shipped["clip"][0] and made["zoom"][0] == shipped["zoom"][0]


def test_training_windows_need_a_count_before_anything_loads(tmp_path, capsys):
    from jumps_pl.cli import main

    out = tmp_path / "train.npz"
    assert main(["detect-windows", "train", "--out", str(out), f"data.root={tmp_path / 'nowhere'}"]) == 2
    assert "train: give --windows N" in capsys.readouterr().err and not out.exists()


@pytest.mark.corpus
def test_every_row_reads_the_detectors_landmarks_as_upsample_does(tmp_path):
    """``upsample.landmarks``: each row's added joints blended with the landmark map's, the rest as they were."""
    from jumps_pl.evaluation.real_detector import all_landmarks
    from jumps_pl.joint_centres import load_landmark_maps

    predictions = {}
    for setting in ("false", "true"):
        saved = tmp_path / f"p-{setting}.npz"
        _evaluate(tmp_path / f"r-{setting}.json", "data.split=ood-test", "evaluate.windows=2",
                  "evaluate.rows=[ridge, masked-conv-ae]", "evaluate.tasks=[hpe-real]",
                  f"upsample.landmarks={setting}", "--save-predictions", str(saved))
        with np.load(saved) as data:
            predictions[setting] = {row: data[f"hpe-real/{row}/pred_px"] for row in ("ridge", "masked-conv-ae")}
    landmarks = all_landmarks({k: v[:2] if np.ndim(v) else v for k, v in _shipped("ood-test").items()})
    shipped = load_landmark_maps()["mediapipe"]
    for row in ("ridge", "masked-conv-ae"):
        expected = shipped.blend(predictions["false"][row], landmarks)
        np.testing.assert_allclose(predictions["true"][row], expected, atol=1e-3)
        assert not np.allclose(predictions["true"][row], predictions["false"][row])
