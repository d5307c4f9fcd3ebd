"""The protocol's three tasks: what the method is given for a window, and which entries are scored.

All randomness is seeded per task and window batch, so every method sees the same inputs.
- ``upsampling``: the 12 input joints, exact.
- ``completion``: as upsampling, with each input joint missing in bursts of 5 to 20 frames covering
  about 20% of the window.
- ``hpe``: as completion, plus a simulated detector's errors (mixture of AR(1)-correlated Gaussians
  and outlier bursts, occasional left/right swaps) and confidences, per ``../shared/PROTOCOL.md``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jumps_pl import skeleton

TASKS = ("upsampling", "completion", "hpe")
_BURST_FRAMES = (5, 20)
_MISSING_SHARE = 0.20
_NARROW, _WIDE, _OUTLIER = 0.60, 0.34, 0.06
_SIGMA_NARROW, _SIGMA_WIDE = 0.18, 0.40
_AR = 0.5
_SWAP_SHARE = 0.02
# Left/right pairs among the inputs, as (left, right) high-res indices: shoulders, elbows, ... ankles.
_INPUT_PAIRS = [(int(skeleton.INPUT_INDICES[i]), int(skeleton.INPUT_INDICES[i + 1])) for i in range(0, 12, 2)]


@dataclass
class TaskInput:
    """What a method gets: keypoints (N, T, 21, 2) px, mask and confidence (N, T, 21); plus the
    entries scored as ``missing`` (input joints hidden by the task)."""

    keypoints_px: np.ndarray
    mask: np.ndarray
    confidence: np.ndarray
    missing: np.ndarray


def make_task(task: str, target_px: np.ndarray, head_size_px: np.ndarray, seed: int) -> TaskInput:
    """The task's input for ground-truth windows ``target_px`` (N, T, 21, 2) and head sizes (N, T)."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; known: {', '.join(TASKS)}")
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
    """Boolean (*lead, frames): a Poisson number of bursts of ``lengths`` frames, covering ``share``
    of the frames on average (less the rare overlaps)."""
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
    pair = rng.integers(0, len(_INPUT_PAIRS), (n, t))
    for k, (left, right) in enumerate(_INPUT_PAIRS):
        frames = swap & (pair == k)
        detected[frames, left], detected[frames, right] = detected[frames, right].copy(), detected[frames, left].copy()
    detected = np.where(mask[..., None], detected, 0.0).astype(np.float32)
    return detected, np.where(mask, confidence, 0.0).astype(np.float32)


def _ar1(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Unit-variance AR(1) noise along axis 1 (frames) with coefficient ``_AR``."""
    white = rng.standard_normal(shape)
    out = np.empty(shape)
    out[:, 0] = white[:, 0]
    innovation = np.sqrt(1 - _AR ** 2)
    for frame in range(1, shape[1]):
        out[:, frame] = _AR * out[:, frame - 1] + innovation * white[:, frame]
    return out
