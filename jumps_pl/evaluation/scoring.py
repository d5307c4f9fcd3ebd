"""Scoring: PCKh and AUC per joint set and per added joint, for every method on every task."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from jumps_pl import skeleton
from jumps_pl.evaluation.tasks import TASKS, TaskInput, make_task
from jumps_pl.methods import Method
from jumps_pl.metrics import pckh, pckh_auc
from jumps_pl.metrics.pckh import AUC_THRESHOLDS

THRESHOLDS = (0.1, 0.5, 1.0)


def score(pred_px: np.ndarray, target_px: np.ndarray, head_size_px: np.ndarray, task: TaskInput) -> dict:
    """PCKh@0.1/0.5/1.0 and AUC per joint set, and per added joint.

    The joint sets: added, input, all, and missing where the task hides any; where the task flipped
    input pairs, also the share of flips repaired (:func:`flips_correct`).
    """
    pred, target, head = (torch.as_tensor(a, dtype=torch.float64) for a in (pred_px, target_px, head_size_px))
    n, t, j = pred.shape[:3]
    sets: dict[str, torch.Tensor] = {}
    for name in ("added", "input", "all"):
        mask = torch.zeros(n, t, j, dtype=torch.bool)
        mask[..., torch.as_tensor(skeleton.joint_set_indices(name))] = True
        sets[name] = mask
    if task.missing.any():
        sets["missing"] = torch.as_tensor(task.missing)
    out: dict = {}
    for name, mask in sets.items():
        values = pckh(pred, target, head, mask, THRESHOLDS).tolist()
        out[name] = {f"pckh@{a}": v for a, v in zip(THRESHOLDS, values, strict=True)}
        out[name]["auc"] = pckh_auc(pred, target, head, mask).item()
        if name == "added":  # PCKh at a = 0, 0.01, ..., 1, for plots
            out[name]["curve"] = [round(v, 5) for v in pckh(pred, target, head, mask, AUC_THRESHOLDS).tolist()]
    if task.flipped is not None and task.flipped.any():
        out["repair"] = {"flips_correct": flips_correct(pred_px, target_px, task.flipped)}
        apart = task.flipped & sides_apart(target_px, head_size_px)
        if apart.any():  # where a swap can be seen: the pair's true sides half a head size apart or more
            out["repair"]["flips_correct_apart"] = flips_correct(pred_px, target_px, apart)
    out["per_joint"] = {}
    for joint in skeleton.ADDED_INDICES.tolist():
        mask = torch.zeros(n, t, j, dtype=torch.bool)
        mask[..., joint] = True
        out["per_joint"][skeleton.HIGH_RES_JOINTS[joint]] = {
            "pckh@0.1": pckh(pred, target, head, mask, (0.1,)).item(), "auc": pckh_auc(pred, target, head, mask).item()}
    return out


def scored_pairs(methods: dict[str, Method], tasks: tuple[str, ...]) -> list[tuple[str, str]]:
    """The (task, row) pairs an evaluation scores: a row only on the tasks it is for."""
    return [(task, name) for task in tasks for name, method in methods.items()
            if method.tasks is None or task in method.tasks]


def scores_by_group(pred_px: np.ndarray, target_px: np.ndarray, head_size_px: np.ndarray, task: TaskInput,
                    groups: np.ndarray) -> dict[str, dict]:
    """AUC per joint set, and where the task flips pairs the flips repaired, per group of windows (e.g. style).

    ``groups`` (N,) names each window's group. Per group: its windows, the AUC of each joint set scored,
    and, where it has flipped entries, how many (``flipped_entries``) and the share repaired.
    """
    groups = np.asarray(groups)
    out: dict[str, dict] = {}
    for group in sorted(set(groups.tolist())):
        rows = groups == group
        part = TaskInput(*(None if v is None else v[rows] for v in (task.keypoints_px, task.mask, task.confidence,
                                                                      task.missing, task.flipped, task.foreign)))
        scores = score(pred_px[rows], target_px[rows], head_size_px[rows], part)
        out[group] = {"windows": int(rows.sum()),
                      **{name: scores[name]["auc"] for name in ("added", "input", "missing") if name in scores}}
        if part.flipped is not None and part.flipped.any():
            out[group]["flipped_entries"] = int(part.flipped.sum())
            out[group]["flips_correct"] = scores["repair"]["flips_correct"]
            if "flips_correct_apart" in scores["repair"]:
                apart = part.flipped & sides_apart(target_px[rows], head_size_px[rows])
                out[group]["flipped_apart"] = int(apart.sum())
                out[group]["flips_correct_apart"] = scores["repair"]["flips_correct_apart"]
    return out


def run_evaluation(methods: dict[str, Method], target_px: np.ndarray, head_size_px: np.ndarray, seed: int,
                   tasks: tuple[str, ...] = TASKS, progress: Callable[[float, str], None] | None = None,
                   inputs: dict[str, TaskInput] | None = None, as_given: dict[str, dict[str, np.ndarray]] | None = None,
                   groups: np.ndarray | None = None, grouped: tuple[str, ...] = ()
                   ) -> tuple[dict, dict[str, np.ndarray]]:
    """Results ``{task: {method: scores}}`` and arrays to save (predictions, ground truth, masks).

    ``progress(step, label)`` hears of every share of a (task, row) pair done (1 per pair in all).
    ``inputs``: a task's input where it is not drawn from the ground truth (``hpe-real``); ``as_given``:
    per task, rows that are the input itself (e.g. the detector as it is, NaN where it gave nothing),
    scored on the input joints only, after the methods, or a reading of it without a method (every added
    joint given: the default's landmark reader alone), scored on every joint set. ``groups`` (N,): each
    window's motion style; the tasks ``grouped`` are also scored per style (``by_style``,
    :func:`scores_by_group`).
    """
    results: dict = {}
    arrays: dict[str, np.ndarray] = {"target_px": target_px, "head_size_px": head_size_px}
    for task in tasks:
        given = (inputs or {}).get(task) or make_task(task, target_px, head_size_px, seed)
        arrays[f"{task}/input_px"] = given.keypoints_px
        arrays[f"{task}/mask"] = given.mask
        arrays[f"{task}/missing"] = given.missing
        results[task] = {}
        for name in [row for pair_task, row in scored_pairs(methods, (task,))]:
            told = [0.0]

            def report(share: float, label: str = f"{task}: {name}", told: list[float] = told) -> None:
                if progress and share > told[0]:
                    progress(min(share, 1.0) - told[0], label)
                    told[0] = min(share, 1.0)

            predictions = methods[name].predict_windows(given.keypoints_px, given.mask, given.confidence,
                                                        report).positions
            if given.after is not None:
                predictions = given.after(predictions)
            if given.landmarks is not None:
                predictions = methods[name].read_landmarks(predictions, given.landmarks)
            report(1.0)
            arrays[f"{task}/{name}/pred_px"] = predictions.astype(np.float32)
            results[task][name] = score(predictions, target_px, head_size_px, given)
            if groups is not None and task in grouped:
                results[task][name]["by_style"] = scores_by_group(predictions, target_px, head_size_px, given,
                                                                  groups)
        for name, predictions in (as_given or {}).get(task, {}).items():
            scores = score(predictions, target_px, head_size_px, given)
            whole = np.isfinite(predictions[..., list(skeleton.ADDED_INDICES), :]).all()
            results[task][name] = scores if whole else {k: v for k, v in scores.items() if k in ("input", "repair")}
    return results, arrays


APART = 0.5  # head sizes between a pair's true sides from which a swap is plain to see (as hpe-real finds swaps)


def sides_apart(target_px: np.ndarray, head_size_px: np.ndarray) -> np.ndarray:
    """(N, T, 6): where each input pair's true left and right joints are at least ``APART`` head sizes apart.

    Nearer than that (an arm seen edge-on, feet together) the two sides nearly coincide and which is which
    is decided by a detector's jitter: a swap there hardly moves a joint.
    """
    return np.stack([np.linalg.norm(target_px[..., left, :] - target_px[..., right, :], axis=-1)
                     >= APART * head_size_px for left, right in skeleton.INPUT_PAIRS], axis=-1)


def flips_correct(pred_px: np.ndarray, target_px: np.ndarray, flipped: np.ndarray) -> float:
    """Share of flipped (frame, input pair) entries repaired (``hpe-confident``).

    An entry is repaired when its output left joint is nearer the true left joint than the true right one.
    """
    right_sides = []
    for k, (left, right) in enumerate(skeleton.INPUT_PAIRS):
        at = flipped[..., k]
        out_left = pred_px[..., left, :][at]
        right_sides.append(np.linalg.norm(out_left - target_px[..., left, :][at], axis=-1)
                           < np.linalg.norm(out_left - target_px[..., right, :][at], axis=-1))
    return float(np.concatenate(right_sides).mean())
