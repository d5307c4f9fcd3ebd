"""Repairing left/right flips and wrong-person frames by continuity, as tracking tools do.

Frame by frame (causal), for each group of left/right input pairs (the whole body, then all four
limbs, the legs, the arms), keep the labelling (as given, or left and right exchanged) nearer the
track of the previous frames (each joint's mean position over its last ``_MEMORY`` kept frames, so
that one noisy frame does not decide); a frame whose joints are on average more than ``outlier`` torso
lengths from that track is set aside (another person, or a detector failure). ``ratio``: a labelling
is exchanged only when that costs less than ``ratio`` times keeping it. ``lone`` > 0: a pair with
one side given weighs in too (its distance to either side's track, times ``lone``) and is exchanged
with its group; 0: only pairs with both sides given are compared and exchanged.
"""
from __future__ import annotations

import numpy as np

from jumps_pl.prediction import RepairCode
from jumps_pl.skeleton import FLIP_GROUPS, HIP_JOINTS, INPUT_PAIRS, SHOULDER_JOINTS

_MEMORY = 3  # kept frames per joint that the track's position averages


def relabel_by_continuity(keypoints: np.ndarray, mask: np.ndarray, ratio: float, outlier: float, lone: float = 0.0
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flips and wrong-person frames repaired by continuity, frame by frame (causal).

    (N, T, 21, 2) px and ``mask`` (N, T, 21) -> repaired keypoints, the mask without set-aside
    entries, and what was done per entry (N, T, 21): a ``RepairCode``.
    """
    keypoints = np.array(keypoints, dtype=np.float64, copy=True)
    mask = np.array(mask, dtype=bool, copy=True)
    status = np.zeros(mask.shape, dtype=np.int8)
    n, t, j = mask.shape
    history = np.zeros((_MEMORY, n, j, 2))  # the last kept positions of every joint, a ring
    counts = np.zeros((n, j))
    history[0] = keypoints[:, 0]
    counts += mask[:, 0]
    seen = mask[:, 0].copy()
    for f in range(1, t):
        last = history.sum(0) / np.maximum(np.minimum(counts, _MEMORY), 1)[..., None]
        x, present = keypoints[:, f], mask[:, f]
        given = present.copy()  # statuses name the entries as given
        torso = _torso(last, seen)
        for pairs in FLIP_GROUPS.values():
            kept, swapped, both = np.zeros(n), np.zeros(n), {}
            for k in pairs:  # pairs with both sides given (and seen before); with ``lone``, one side too
                left, right = INPUT_PAIRS[k]
                tracked = seen[:, left] & seen[:, right]
                ok = present[:, left] & present[:, right] & tracked
                kept += np.where(ok, _dist(x[:, left], last[:, left]) + _dist(x[:, right], last[:, right]), 0.0)
                swapped += np.where(ok, _dist(x[:, right], last[:, left]) + _dist(x[:, left], last[:, right]), 0.0)
                if lone:
                    for side, other in ((left, right), (right, left)):
                        alone = present[:, side] & ~present[:, other] & tracked
                        kept += lone * np.where(alone, _dist(x[:, side], last[:, side]), 0.0)
                        swapped += lone * np.where(alone, _dist(x[:, side], last[:, other]), 0.0)
                        ok = ok | alone
                both[k] = ok
            exchange = swapped < ratio * kept
            for k in pairs:
                left, right = INPUT_PAIRS[k]
                flip = exchange & both[k]
                for values in (x, present):  # a lone entry takes its presence with it
                    values[flip, left], values[flip, right] = values[flip, right].copy(), values[flip, left].copy()
                for side in (left, right):
                    status[flip, f, side] = np.where(given[flip, side], RepairCode.RELABELLED, status[flip, f, side])
        compared = present & seen
        spread = np.where(compared, _dist(x, last), 0.0).sum(-1) / np.maximum(compared.sum(-1), 1)
        away = (compared.sum(-1) >= 4) & (spread > outlier * torso)
        status[away, f] = np.where(given[away], RepairCode.SET_ASIDE, status[away, f])
        present[away] = False
        keypoints[:, f], mask[:, f] = x, present
        slot = (counts % _MEMORY).astype(np.int64)  # the oldest kept position of each joint is replaced
        rows, cols = np.nonzero(present)
        history[slot[rows, cols], rows, cols] = x[rows, cols]
        counts += present
        seen |= present
    return keypoints.astype(np.float32), mask, status


def _dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(a - b, axis=-1)


def _torso(points: np.ndarray, seen: np.ndarray) -> np.ndarray:
    shoulders = points[:, list(SHOULDER_JOINTS)].mean(1)
    hips = points[:, list(HIP_JOINTS)].mean(1)
    ok = seen[:, list(SHOULDER_JOINTS)].all(1) & seen[:, list(HIP_JOINTS)].all(1)
    return np.where(ok, np.maximum(_dist(shoulders, hips), 1e-6), np.inf)


def apply_repair(keypoints: np.ndarray, weights: np.ndarray, status: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The input as a repair left it: (..., 21, 2) keypoints and (..., 21) weights.

    Left and right are exchanged where ``status`` says a pair was relabelled, and the weight is 0 where an
    entry was set aside (as an outlier, or as uncertain).
    """
    keypoints, weights = np.array(keypoints, copy=True), np.array(weights, copy=True)
    for left, right in INPUT_PAIRS:
        # a relabelled pair marks both sides; one side may since have been set aside
        flip = (status[..., left] == RepairCode.RELABELLED) | (status[..., right] == RepairCode.RELABELLED)
        for values in (keypoints, weights):
            values[flip, left], values[flip, right] = values[flip, right].copy(), values[flip, left].copy()
    aside = (status == RepairCode.SET_ASIDE) | (status == RepairCode.UNCERTAIN)
    return keypoints, np.where(aside, 0.0, weights)
