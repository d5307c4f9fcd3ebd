"""Streaming: one frame in, one frame out, ``latency`` frames late, with bounded memory.

The stream keeps the last ``window`` frames and the outputs not yet returned. Every ``hop`` pushes
(default ``latency // 2 + 1``, at most ``latency + 1``) the method maps the window of the last
``window`` frames with its ``predict_windows`` (exactly as offline) and the frames still owed are taken
from it, so each frame is computed with at least ``latency - hop + 1`` frames of future context.
Frames owed while the window has not yet seen both hips and both shoulders (what every method's
normalization needs) come out missing (NaN).
"""
from __future__ import annotations

from collections import deque

import numpy as np

from jumps_pl import skeleton
from jumps_pl.gaps import interpolate_missing


class Stream:
    """The streaming state machine over 21-joint frames, for any method with ``predict_windows``."""

    def __init__(self, method, latency: int, hop: int | None, min_confidence: float):
        self.method = method.live()  # the method's settings for one window per pushed frame
        self.window = self.method.window
        if not 0 <= int(latency) < self.window:
            raise ValueError(f"latency must be in [0, {self.window - 1}] frames (the window), got {latency}")
        self.latency = int(latency)
        self.hop = int(hop) if hop is not None else self.latency // 2 + 1
        if not 1 <= self.hop <= self.latency + 1:
            raise ValueError(f"hop must be in [1, latency + 1 = {self.latency + 1}], got {self.hop}")
        self.min_confidence = min_confidence
        self._frames: deque[np.ndarray] = deque(maxlen=self.window)   # (21, 2) px, 0 where missing
        self._weights: deque[np.ndarray] = deque(maxlen=self.window)  # (21,) confidence, 0 where missing
        self._pushed = 0      # frames pushed so far
        self._returned = 0    # frames returned so far
        self._outputs: dict[int, np.ndarray] = {}  # frame number -> (21, 2), not yet returned
        self._since = 0       # pushes since the last computation

    def push(self, frame: np.ndarray, weight: np.ndarray) -> np.ndarray | None:
        """Add one frame (21, 2) px with weights (21,) (0: missing); return the output of an earlier frame.

        The output (21, 2) is that of the frame pushed ``latency`` pushes ago, or ``None`` while the stream
        fills.
        """
        self._frames.append(frame)
        self._weights.append(weight)
        self._pushed += 1
        self._since += 1
        if self._pushed <= self.latency:
            return None
        if self._since >= self.hop or (self._pushed - 1 - self.latency) not in self._outputs:
            self._compute()
        return self._next()

    def flush(self) -> np.ndarray:
        """The frames still owed at the end of the stream, (k, 21, 2)."""
        if self._returned < self._pushed and any(w.any() for w in self._weights):
            self._compute()
        out = [self._next() for _ in range(self._pushed - self._returned)]
        return np.stack(out) if out else np.zeros((0, skeleton.NUM_JOINTS, 2), dtype=np.float32)

    def _next(self) -> np.ndarray:
        frame = self._returned
        self._returned += 1
        return self._outputs.pop(frame, np.full((skeleton.NUM_JOINTS, 2), np.nan, dtype=np.float32))

    def _compute(self) -> None:
        """Map the window of the last ``window`` frames; keep the outputs of the frames still owed."""
        self._since = 0
        frames = np.stack(self._frames)
        weights = np.stack(self._weights)
        first = self._pushed - len(frames)
        present = weights > 0
        if not present[:, list(skeleton.TORSO_JOINTS)].any(0).all():
            return  # no torso seen in the window yet: the frames owed come out missing (NaN)
        pad = self.window - len(frames)
        if pad:  # a young stream: the first frame held, as missing
            frames = np.concatenate([np.repeat(frames[:1], pad, 0), frames])
            weights = np.concatenate([np.zeros((pad, skeleton.NUM_JOINTS)), weights])
            present = weights > 0
        filled, never = interpolate_missing(frames[None], present[None])
        mask = np.zeros_like(present)
        mask[:, skeleton.INPUT_INDICES] = ~never[0][None, skeleton.INPUT_INDICES]
        out = self.method.predict_windows(filled.astype(np.float32), mask[None],
                                          weights[None].astype(np.float32)).positions[0]
        for k in range(max(self._returned, first), self._pushed):
            self._outputs[k] = out[pad + k - first].astype(np.float32)

    def run(self, keypoints: np.ndarray, mask: np.ndarray, weight: np.ndarray, progress=None) -> np.ndarray:
        """A whole prepared track (F, 21, 2) through the stream, as live use would see it (F, 21, 2)."""
        out = []
        for k in range(len(keypoints)):
            result = self.push(keypoints[k], np.where(mask[k], weight[k], 0.0))
            if result is not None:
                out.append(result)
        tail = self.flush()
        return np.concatenate([np.stack(out), tail]) if out else tail
