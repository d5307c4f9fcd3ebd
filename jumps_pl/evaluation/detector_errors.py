"""How a detector errs, per input joint, in head sizes: so that a real detector and the simulated one compare.

For the 12 input joints of a detector's output against the mocap (both (W, T, 21, 2) px, the output NaN
or masked where it gave nothing):

- ``miss``: share of (frame, joint) entries it did not give;
- ``offset``: the window's mean error vector, its length (a fixed displacement between where the detector
  puts the joint and where the mocap does), median over windows;
- ``jitter``: the root mean square of the error's change from one frame to the next (entries within one
  head size, so outliers and flips do not count), beside ``motion``, the same of the true joint's motion;
- ``outlier``: share of given entries more than one head size off that are not flips;
- ``flip``: share of given (frame, pair) entries whose left and right are exchanged (the exchanged
  assignment nearer by half a head size, where the true joints are at least half a head size apart).
"""
from __future__ import annotations

import numpy as np

from jumps_pl import skeleton

_NAMES = [skeleton.HIGH_RES_JOINTS[j] for j in skeleton.INPUT_INDICES]


def flipped_pairs(detected_px: np.ndarray, target_px: np.ndarray, head_size_px: np.ndarray,
                  present: np.ndarray) -> np.ndarray:
    """(W, T, 6) bool: the (frame, input pair) entries given with left and right exchanged (``flip`` above).

    ``present`` (W, T, 21): the entries the detector gave; a pair counts where both sides are given.
    """
    out = np.zeros((*present.shape[:2], len(skeleton.INPUT_PAIRS)), bool)
    for k, (left, right) in enumerate(skeleton.INPUT_PAIRS):
        kept = (np.linalg.norm(detected_px[..., left, :] - target_px[..., left, :], axis=-1)
                + np.linalg.norm(detected_px[..., right, :] - target_px[..., right, :], axis=-1))
        exchanged = (np.linalg.norm(detected_px[..., left, :] - target_px[..., right, :], axis=-1)
                     + np.linalg.norm(detected_px[..., right, :] - target_px[..., left, :], axis=-1))
        apart = np.linalg.norm(target_px[..., left, :] - target_px[..., right, :], axis=-1) > 0.5 * head_size_px
        both = present[..., left] & present[..., right]
        out[..., k] = both & apart & (exchanged < kept - 0.5 * head_size_px)
    return out


def detector_errors(detected_px: np.ndarray, target_px: np.ndarray, head_size_px: np.ndarray,
                    given: np.ndarray | None = None) -> dict[str, dict[str, float]]:
    """``{joint: {miss, offset, jitter, motion, outlier}}`` and ``{"pairs": {flip per pair}}``, ``{"all": means}``."""
    joints = list(skeleton.INPUT_INDICES)
    present = np.isfinite(detected_px[..., 0]) if given is None else given & np.isfinite(detected_px[..., 0])
    head = head_size_px[..., None]
    error = (detected_px - target_px) / head[..., None]                       # (W, T, 21, 2), head sizes
    distance = np.linalg.norm(error, axis=-1)
    flips = flipped_pairs(detected_px, target_px, head_size_px, present)
    flipped = np.zeros(present.shape, bool)
    pairs = {}
    for k, (left, right) in enumerate(skeleton.INPUT_PAIRS):
        flipped[..., left] |= flips[..., k]
        flipped[..., right] |= flips[..., k]
        both = present[..., left] & present[..., right]
        name = skeleton.HIGH_RES_JOINTS[left].replace("_L", "")
        pairs[name] = float(flips[..., k].sum() / max(both.sum(), 1))
    out: dict[str, dict[str, float]] = {}
    motion = np.linalg.norm(np.diff(target_px / head[..., None], axis=1), axis=-1)
    for j, name in zip(joints, _NAMES, strict=True):
        given_j = present[..., j]
        near = given_j & (distance[..., j] <= 1.0) & ~flipped[..., j]
        means = np.where(near[..., None], error[..., j, :], 0.0).sum(1) / np.maximum(near.sum(1), 1)[..., None]
        windows = near.sum(1) >= 8
        steps = near[:, 1:] & near[:, :-1]
        change = np.linalg.norm(np.diff(error[..., j, :], axis=1), axis=-1)
        out[name] = {
            "miss": float(1 - given_j.mean()),
            "offset": float(np.median(np.linalg.norm(means[windows], axis=-1))) if windows.any() else float("nan"),
            "jitter": float(np.sqrt(np.mean(change[steps] ** 2))) if steps.any() else float("nan"),
            "motion": float(np.sqrt(np.mean(motion[..., j][steps] ** 2))) if steps.any() else float("nan"),
            "outlier": float((given_j & (distance[..., j] > 1.0) & ~flipped[..., j]).sum() / max(given_j.sum(), 1)),
        }
    out["pairs"] = pairs
    out["all"] = {key: float(np.nanmean([out[n][key] for n in _NAMES])) for key in out[_NAMES[0]]}
    out["all"]["flip"] = float(np.mean(list(pairs.values())))
    return out


def errors_table(columns: dict[str, dict]) -> str:
    """Markdown: one row per joint (and the mean), a column group per detector (``columns``: name -> errors)."""
    keys = ("miss", "offset", "jitter", "motion", "outlier")
    names = list(columns)
    header = [f"{n}: {k}" for n in names for k in keys]
    lines = ["| joint | " + " | ".join(header) + " |", "|---|" + "---:|" * len(header)]
    for joint in [*_NAMES, "all"]:
        cells = [f"{columns[n][joint][k]:.3f}" for n in names for k in keys]
        lines.append(f"| {joint} | " + " | ".join(cells) + " |")
    lines += ["", "| pair flipped | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for pair in [*columns[names[0]]["pairs"], "all"]:
        values = [columns[n]["pairs"][pair] if pair != "all" else columns[n]["all"]["flip"] for n in names]
        lines.append(f"| {pair} | " + " | ".join(f"{v:.4f}" for v in values) + " |")
    return "\n".join(lines) + "\n"
