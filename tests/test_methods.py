"""The methods package: a method's output depends only on its inputs and settings (no state between
calls), and evaluating rows in any order gives the same results; on real windows and shipped models."""
from __future__ import annotations

import numpy as np
import pytest

from jumps_pl.evaluation.scoring import run_evaluation
from jumps_pl.evaluation.tasks import make_task
from jumps_pl.methods import build_methods

# the rows that compose others (fusion and transfer compose JUMPS) and those they compose
ROWS = ["JUMPS + fusion", "JUMPS", "JUMPS + ridge transfer", "ridge+savgol", "masked-conv-ae"]


@pytest.fixture(scope="module")
def windows(training_windows):
    keypoints_px, head_size_px = training_windows
    return keypoints_px[:4].astype(np.float32), head_size_px[:4]


def _methods(names=ROWS):
    from jumps_pl.config import load_config, to_container

    config = to_container(load_config(overrides=["infer.iterations=8", "infer.starts=2", "infer.batch_windows=4"]))
    return build_methods(config, names)


@pytest.mark.parametrize("name", ["JUMPS", "JUMPS + ridge transfer", "JUMPS + fusion"])
def test_an_input_changed_in_place_gives_the_new_inputs_result(windows, name):
    target, head = windows
    given = make_task("upsampling", target, head, 0)
    keypoints = given.keypoints_px.copy()
    methods = _methods()
    methods[name].predict_windows(keypoints, given.mask, given.confidence)
    keypoints[..., 0] += 40.0  # the same array object, moved 40 px to the right
    again = methods[name].predict_windows(keypoints, given.mask, given.confidence).positions
    fresh = _methods()[name].predict_windows(keypoints.copy(), given.mask, given.confidence).positions
    np.testing.assert_array_equal(again, fresh)
    assert np.abs(again[..., 0] - target[..., 0]).mean() > 20.0  # it moved with the input


def test_rows_evaluated_in_either_order_give_identical_results(windows):
    target, head = windows
    tasks = ("upsampling", "hpe")
    forward, _ = run_evaluation(_methods(ROWS), target, head, seed=0, tasks=tasks)
    backward, _ = run_evaluation(_methods(ROWS[::-1]), target, head, seed=0, tasks=tasks)
    for task in tasks:
        assert set(forward[task]) == set(backward[task]) == set(ROWS)
        for name in ROWS:
            assert forward[task][name] == backward[task][name], (task, name)


def test_a_prediction_returned_twice_is_a_copy_the_caller_may_change(windows):
    target, head = windows
    given = make_task("upsampling", target, head, 0)
    jumps = _methods(["JUMPS"])["JUMPS"]
    first = jumps.predict_windows(given.keypoints_px, given.mask, given.confidence)
    kept = first.positions.copy()
    first.positions[:] = 0.0
    second = jumps.predict_windows(given.keypoints_px, given.mask, given.confidence)
    np.testing.assert_array_equal(second.positions, kept)
