"""Named per-joint extras: blending overlapping windows and resampling in time, each extra by its kind."""
from __future__ import annotations

import numpy as np

from jumps_pl.prediction import REPAIR_LABELS, Blend, Prediction, RepairCode
from jumps_pl.resampling import resample_prediction


def test_repair_codes_are_named_as_writers_spell_them():
    assert REPAIR_LABELS == ("kept", "relabelled", "set aside", "uncertain")
    assert [int(c) for c in RepairCode] == [0, 1, 2, 3]


def test_overlapping_windows_average_positions_and_vote_repair_codes():
    blend = Blend(3)
    ones = np.ones((3, 21))
    first = Prediction(np.zeros((3, 21, 2), np.float32), spread_px=ones.astype(np.float32),
                       repair=np.full((3, 21), RepairCode.RELABELLED, np.int8))
    second = Prediction(np.full((2, 21, 2), 4.0, np.float32), spread_px=3 * ones[:2].astype(np.float32),
                        repair=np.full((2, 21), RepairCode.SET_ASIDE, np.int8))
    blend.add(first, np.arange(3), np.array([1.0, 1.0, 1.0]))
    blend.add(second, np.arange(1, 3), np.array([1.0, 3.0]))
    out = blend.result()
    np.testing.assert_allclose(out.positions[:, 0, 0], [0.0, 2.0, 3.0])
    np.testing.assert_allclose(out.spread_px[:, 0], [1.0, 2.0, 2.5])
    # frame 1: an even split, neither code has more than half: kept; frame 2: set aside by 3 to 1
    assert out.repair[:, 0].tolist() == [RepairCode.RELABELLED, RepairCode.KEPT, RepairCode.SET_ASIDE]
    assert out.radius_px is None and out.repair.dtype == np.int8


def test_resampling_moves_positions_linearly_and_never_invents_a_code_between_two_others():
    positions = np.arange(4, dtype=np.float32)[:, None, None] * np.ones((4, 21, 2), np.float32)
    repair = np.array([RepairCode.KEPT, RepairCode.SET_ASIDE, RepairCode.SET_ASIDE, RepairCode.KEPT], np.int8)
    prediction = Prediction(positions, repair=np.repeat(repair[:, None], 21, 1))
    out = resample_prediction(prediction, np.arange(4) / 30.0, np.array([0.0, 0.4, 1.5, 2.0]) / 30.0)
    np.testing.assert_allclose(out.positions[:, 0, 0], [0.0, 0.4, 1.5, 2.0], atol=1e-6)
    # between kept and set aside lies no relabelled entry: the nearer side's code wins
    assert out.repair[:, 0].tolist() == [RepairCode.KEPT, RepairCode.KEPT, RepairCode.SET_ASIDE,
                                         RepairCode.SET_ASIDE]


def test_a_value_that_is_nan_somewhere_blends_and_resamples_from_its_finite_values_alone():
    # the repair's confidence is NaN where nothing was decided (no entry given): an overlap where one window
    # decided and the other did not takes the one that did; where neither did it stays NaN
    blend = Blend(3)
    sure = np.full((3, 21), np.nan, np.float32)
    sure[1:, 0] = 0.9
    first = Prediction(np.zeros((3, 21, 2), np.float32), repair_confidence=sure)
    other = np.full((2, 21), np.nan, np.float32)
    other[:, 0] = [np.nan, 0.5]
    blend.add(first, np.arange(3), np.ones(3))
    blend.add(Prediction(np.zeros((2, 21, 2), np.float32), repair_confidence=other), np.arange(1, 3), np.ones(2))
    out = blend.result()
    np.testing.assert_allclose(out.repair_confidence[:, 0], [np.nan, 0.9, 0.7], rtol=1e-6)
    assert np.isnan(out.repair_confidence[:, 1]).all()
    resampled = resample_prediction(out, np.arange(3) / 30.0, np.array([1.0, 1.5]) / 30.0)
    np.testing.assert_allclose(resampled.repair_confidence[:, 0], [0.9, 0.8], rtol=1e-6)
