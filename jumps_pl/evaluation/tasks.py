"""The protocol's simulated tasks: what the method is given for a window, and which entries are scored.

All randomness is seeded per task and window batch, so every method sees the same inputs.
- ``upsampling``: the 12 input joints, exact.
- ``completion``: as upsampling, with each input joint missing in bursts of 5 to 20 frames covering
  about 20% of the window.
- ``hpe``: as completion, plus a simulated detector's errors (mixture of AR(1)-correlated Gaussians
  and outlier bursts, occasional left/right swaps) and confidences, per ``../shared/PROTOCOL.md``.
- ``hpe-confident``: exactly the ``hpe`` input, plus the failures detectors make with high confidence
  (docs/evaluation.md, "Confident failures"): left/right flips in bursts of 3 to 12 frames (one limb
  pair, all four limbs, or the whole body) on about 9% of frames, and frames of another person (a
  pose 1 to 4 head sizes away) in bursts of 1 to 4 frames on about 3%, all at confidence 0.6-1.0.
  ``TaskInput.flipped`` and ``foreign`` say where, for scoring the repair.
- ``hpe-confident-wide``: as ``hpe-confident`` (the same bursts, the same frames of another person), with
  each burst's flip drawn from the wider mix (``models.corruption.WIDE_FLIP_MIX``): any chain of each
  limb alone or together (the shoulders alone, a whole arm with its shoulder, the wrists, the ankles, ...)
  and the whole body. ``hpe-confident`` keeps its mix, so earlier results stay comparable.

The fifth task, ``hpe-real``, takes a real detector's output on rendered windows
(``jumps_pl.evaluation.real_detector``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from jumps_pl import skeleton
from jumps_pl.models.corruption import WIDE_FLIP_MIX
from jumps_pl.schema import TASKS

_BURST_FRAMES = (5, 20)
_MISSING_SHARE = 0.20
_NARROW, _WIDE, _OUTLIER = 0.60, 0.34, 0.06
_SIGMA_NARROW, _SIGMA_WIDE = 0.18, 0.40
_AR = 0.5
_SWAP_SHARE = 0.02
# Left/right pairs among the inputs, as (left, right) high-res indices: shoulders, elbows, ... ankles.
# Confident failures: which input pairs (indices into skeleton.INPUT_PAIRS: shoulders 0, elbows 1, wrists 2,
# hips 3, knees 4, ankles 5) each kind of flip exchanges, and how often each kind is drawn.
FLIP_KINDS = {"legs": (4, 5), "arms": (1, 2), "limbs": (1, 2, 4, 5), "body": (0, 1, 2, 3, 4, 5)}
_FLIP_MIX = {"legs": 0.35, "arms": 0.15, "limbs": 0.2, "body": 0.3}
_FLIP_SHARE, _FLIP_FRAMES = 0.1, (3, 12)
_FOREIGN_SHARE, _FOREIGN_FRAMES = 0.03, (1, 4)


@dataclass
class TaskInput:
    """What a method gets: keypoints (N, T, 21, 2) px, mask and confidence (N, T, 21).

    Plus the entries scored as ``missing`` (input joints hidden by the task).
    """

    keypoints_px: np.ndarray
    mask: np.ndarray
    confidence: np.ndarray
    missing: np.ndarray
    flipped: np.ndarray | None = None   # (N, T, 6) input pairs given with left and right exchanged
    foreign: np.ndarray | None = None   # (N, T) frames given from another person
    # what the reading of the input does to every row's predictions (N, T, 21, 2) after the method, as
    # `jumps upsample` does (hpe-real: the added joints blended with the detector's landmark map)
    after: Callable[[np.ndarray], np.ndarray] | None = None
    # a real detector's landmarks (N, T, L, 3) px with visibility, NaN where it found no one: what a method
    # reads of them beyond the 12 joints comes after that (``Method.read_landmarks``; the default's landmark reader)
    landmarks: np.ndarray | None = None


def make_task(task: str, target_px: np.ndarray, head_size_px: np.ndarray, seed: int) -> TaskInput:
    """The task's input for ground-truth windows ``target_px`` (N, T, 21, 2) and head sizes (N, T)."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; known: {', '.join(TASKS)}")
    if task == "hpe-real":
        raise ValueError("hpe-real's input is a real detector's output on rendered windows, not drawn from the "
                         "ground truth: jumps_pl.evaluation.real_detector.real_task makes it")
    if task in ("hpe-confident", "hpe-confident-wide"):  # the same draws: only the flip kinds differ
        mix = _FLIP_MIX if task == "hpe-confident" else {kind: p for kind, p in WIDE_FLIP_MIX.items()}
        return _confident_failures(make_task("hpe", target_px, head_size_px, seed), target_px, head_size_px,
                                   np.random.default_rng([seed, TASKS.index("hpe-confident")]), mix)
    rng = np.random.default_rng([seed, TASKS.index(task)])
    n, t, j = target_px.shape[:3]
    given = np.zeros((n, t, j), dtype=bool)
    given[..., skeleton.INPUT_INDICES] = True
    hidden = np.zeros_like(given)
    if task != "upsampling":
        hidden[..., skeleton.INPUT_INDICES] = burst_mask(rng, (n, len(skeleton.INPUT_INDICES)), t,
                                                         _BURST_FRAMES, _MISSING_SHARE).transpose(0, 2, 1)
    mask = given & ~hidden
    keypoints = np.where(mask[..., None], target_px, 0.0).astype(np.float32)
    confidence = mask.astype(np.float32)
    if task == "hpe":
        keypoints, confidence = _simulated_detector(rng, target_px, head_size_px, mask)
    return TaskInput(keypoints, mask, confidence, hidden)


def burst_mask(rng: np.random.Generator, lead: tuple[int, ...], frames: int, lengths: tuple[int, int],
               share: float) -> np.ndarray:
    """Boolean (*lead, frames): a Poisson number of bursts of ``lengths`` frames.

    The bursts cover ``share`` of the frames on average (less the rare overlaps).
    """
    out = np.zeros((*lead, frames), dtype=bool)
    rate = share * frames / (0.5 * (lengths[0] + lengths[1]))
    for index in np.ndindex(*lead):
        for _ in range(rng.poisson(rate)):
            length = rng.integers(lengths[0], lengths[1] + 1)
            start = rng.integers(0, max(1, frames - length + 1))
            out[index][start:start + length] = True
    return out


def _simulated_detector(rng: np.random.Generator, target_px: np.ndarray, head_size_px: np.ndarray,
                        mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, t, j = mask.shape
    h = head_size_px[..., None, None]  # (N, T, 1, 1)
    outlier = burst_mask(rng, (n, j), t, (1, 5), _OUTLIER).transpose(0, 2, 1)  # (N, T, J)
    wide = rng.random((n, t, j)) < _WIDE / (_NARROW + _WIDE)
    sigma = np.where(wide, _SIGMA_WIDE, _SIGMA_NARROW)[..., None] * h
    noise = _ar1(rng, (n, t, j, 2)) * sigma
    angle = rng.uniform(0, 2 * np.pi, (n, t, j))
    distance = rng.uniform(1, 3, (n, t, j))[..., None] * h
    jump = distance * np.stack([np.cos(angle), np.sin(angle)], -1)
    detected = target_px + np.where(outlier[..., None], jump, noise)
    confidence = np.where(outlier, rng.uniform(0.05, 0.5, (n, t, j)),
                          np.where(wide, rng.uniform(0.3, 0.8, (n, t, j)), rng.uniform(0.6, 1.0, (n, t, j))))
    swap = rng.random((n, t)) < _SWAP_SHARE
    pair = rng.integers(0, len(skeleton.INPUT_PAIRS), (n, t))
    for k, (left, right) in enumerate(skeleton.INPUT_PAIRS):
        frames = swap & (pair == k)
        detected[frames, left], detected[frames, right] = detected[frames, right].copy(), detected[frames, left].copy()
    detected = np.where(mask[..., None], detected, 0.0).astype(np.float32)
    return detected, np.where(mask, confidence, 0.0).astype(np.float32)


def _confident_failures(given: TaskInput, target_px: np.ndarray, head_size_px: np.ndarray,
                        rng: np.random.Generator, mix: dict) -> TaskInput:
    """``given`` with confident failures: flips in bursts, and frames of another person.

    Each burst's flip is drawn from ``mix``: a kind (a name in ``FLIP_KINDS``, or the pairs themselves)
    with its probability.
    """
    keypoints, confidence = given.keypoints_px.copy(), given.confidence.copy()
    n, t = keypoints.shape[:2]
    bursts = burst_mask(rng, (n,), t, _FLIP_FRAMES, _FLIP_SHARE)
    kinds = [FLIP_KINDS.get(kind, kind) for kind in mix]
    flipped = np.zeros((n, t, len(skeleton.INPUT_PAIRS)), dtype=bool)
    for w in range(n):  # one kind per burst
        frame = 0
        while frame < t:
            if not bursts[w, frame]:
                frame += 1
                continue
            end = frame
            while end < t and bursts[w, end]:
                end += 1
            kind = kinds[rng.choice(len(kinds), p=list(mix.values()))]
            flipped[w, frame:end, list(kind)] = True
            frame = end
    # a flip exchanges the labels of what the detector gave: where it saw one side only, the joint it
    # saw is given under the other side's name and the side it names is missing
    mask, missing = given.mask.copy(), given.missing.copy()
    for k, (left, right) in enumerate(skeleton.INPUT_PAIRS):
        at = flipped[..., k]
        for values in (keypoints, confidence, mask, missing):
            values[at, left], values[at, right] = values[at, right].copy(), values[at, left].copy()
        flipped[..., k] &= mask[..., left] | mask[..., right]
    foreign = burst_mask(rng, (n,), t, _FOREIGN_FRAMES, _FOREIGN_SHARE) & ~flipped.any(-1)
    if n > 1:
        other = (np.arange(n) + rng.integers(1, n, n)) % n  # another window: another person
        hips = list(skeleton.INPUT_PAIRS[3])
        for w, f in zip(*np.nonzero(foreign), strict=True):
            source = target_px[other[w], f][skeleton.INPUT_INDICES]
            scale = head_size_px[w, f] / max(float(head_size_px[other[w], f]), 1e-6)
            centre = target_px[w, f, hips].mean(0)
            angle = rng.uniform(0, 2 * np.pi)
            offset = rng.uniform(1, 4) * head_size_px[w, f] * np.array([np.cos(angle), np.sin(angle)])
            pose = (source - source[[6, 7]].mean(0)) * scale + centre + offset
            keypoints[w, f, skeleton.INPUT_INDICES] = np.where(mask[w, f, skeleton.INPUT_INDICES, None], pose, 0.0)
    else:
        foreign[:] = False
    confident = (flipped.any(-1) | foreign)[..., None] & mask
    confidence = np.where(confident, rng.uniform(0.6, 1.0, confidence.shape), confidence).astype(np.float32)
    return TaskInput(keypoints.astype(np.float32), mask, confidence, missing, flipped, foreign)


def _ar1(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Unit-variance AR(1) noise along axis 1 (frames) with coefficient ``_AR``."""
    white = rng.standard_normal(shape)
    out = np.empty(shape)
    out[:, 0] = white[:, 0]
    innovation = np.sqrt(1 - _AR ** 2)
    for frame in range(1, shape[1]):
        out[:, frame] = _AR * out[:, frame - 1] + innovation * white[:, frame]
    return out
