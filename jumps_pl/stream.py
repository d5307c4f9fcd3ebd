"""Streaming: one frame in, one frame out, ``latency`` frames late, with bounded memory.

The stream keeps the last ``window`` frames and the outputs not yet returned. Every ``hop`` pushes
(at most ``latency + 1``) the method starts on the window of the last ``window`` frames with its
``predict_windows`` (exactly as offline). A window's computation is spread over ``spread`` pushes (at
most ``hop`` and ``latency + 2 - hop``; default: as many as that allows), each push running the
method's next steps (``Method.predict_windows_steps``) for its share of the window's expected time on
this machine, so that no pushed frame pays for a whole window alone. The window is done, whatever the
time, at the push where its first frame is owed, and the frames still owed are taken from it at that
push, however early it was done: what comes out depends on the frames alone, never on the machine's
speed. Each frame is computed with at least ``latency + 2 - hop - spread`` frames of future context
(``spread`` 1: the whole window at the push that starts it, ``latency + 1 - hop``).
The default hop, ``ceil((latency + 2) / 4)``, spread as far, keeps at least ``ceil(latency / 2)``
frames of future context, and a window's time is shared by ``hop`` pushes: at latency 0 every push
computes a window, at 8 one window's work is spread over 3 pushes, at 16 over 5.
Each window is handed the repair the window before made on the frames the two share
(``repair_start``): the default begins its repair rounds there (``fusion.live_repair_start``), so a
labelling that still holds is confirmed by one round. Frames owed while the window has not yet seen
both hips and both shoulders (what every method's normalization needs) come out missing (NaN).
"""
from __future__ import annotations

import time
import weakref
from collections import deque

import numpy as np

from jumps_pl import skeleton
from jumps_pl.gaps import interpolate_missing
from jumps_pl.steps import Steps, finish


class Stream:
    """The streaming state machine over 21-joint frames, for any method with ``predict_windows``."""

    def __init__(self, method, latency: int, hop: int | None, min_confidence: float, spread: int | None = None):
        self.method = method.live()  # the method's settings for one window per pushed frame
        self.window = self.method.window
        if not 0 <= int(latency) < self.window:
            raise ValueError(f"latency must be in [0, {self.window - 1}] frames (the window), got {latency}")
        self.latency = int(latency)
        self.hop = int(hop) if hop is not None else -(-(self.latency + 2) // 4)  # ceil((latency + 2) / 4)
        if not 1 <= self.hop <= self.latency + 1:
            raise ValueError(f"hop must be in [1, latency + 1 = {self.latency + 1}], got {self.hop}")
        most = min(self.hop, self.latency + 2 - self.hop)
        self.spread = most if spread is None else int(spread)
        if not 1 <= self.spread <= most:
            raise ValueError(f"spread must be in [1, min(hop, latency + 2 - hop) = {most}] pushes, got {spread}")
        self.min_confidence = min_confidence
        self._frames: deque[np.ndarray] = deque(maxlen=self.window)   # (21, 2) px, 0 where missing
        self._weights: deque[np.ndarray] = deque(maxlen=self.window)  # (21,) confidence, 0 where missing
        self._pushed = 0      # frames pushed so far
        self._returned = 0    # frames returned so far
        self._outputs: dict[int, np.ndarray] = {}  # frame number -> (21, 2), not yet returned
        self._next_start = self.latency + 2 - self.spread  # the push that starts the next window
        self._pending: _Window | None = None  # the window being computed
        # the repair the last window taken left (its first row's frame number, (window, 21) RepairCode), which
        # the next one may begin from on the frames they share (``Method.predict_windows_steps``)
        self._repair: tuple[int, np.ndarray] | None = None
        self._seconds = _COSTS.setdefault(self.method, _Costs())  # shared by the method's streams

    def push(self, frame: np.ndarray, weight: np.ndarray) -> np.ndarray | None:
        """Add one frame (21, 2) px with weights (21,) (0: missing); return the output of an earlier frame.

        The output (21, 2) is that of the frame pushed ``latency`` pushes ago, or ``None`` while the stream
        fills.
        """
        self._frames.append(frame)
        self._weights.append(weight)
        self._pushed += 1
        if self._pushed == self._next_start:  # (the window before is done: it was due before this push)
            self._next_start += self.hop
            self._pending = self._begin()
        if self._pending is not None:
            self._advance(self._pending)
            if self._pending.result is not None and self._pushed >= self._pending.due:
                window, self._pending = self._pending, None  # its frames from its due push on, however early
                self._store(window, window.result)     # it was done: what comes out never hangs on timing
        if self._pushed <= self.latency:
            return None
        owed = self._pushed - 1 - self.latency
        if owed not in self._outputs:  # a window left unfinished, or none with a torso yet: now, at once
            self._finish()
            if owed not in self._outputs and (window := self._begin()) is not None:
                self._store(window, finish(window.steps))
        return self._next()

    def flush(self) -> np.ndarray:
        """The frames still owed at the end of the stream, (k, 21, 2)."""
        self._pending = None  # the last window below sees every frame
        if self._returned < self._pushed and any(w.any() for w in self._weights):
            if (window := self._begin()) is not None:
                self._store(window, finish(window.steps))
        out = [self._next() for _ in range(self._pushed - self._returned)]
        return np.stack(out) if out else np.zeros((0, skeleton.NUM_JOINTS, 2), dtype=np.float32)

    def _next(self) -> np.ndarray:
        frame = self._returned
        self._returned += 1
        return self._outputs.pop(frame, np.full((skeleton.NUM_JOINTS, 2), np.nan, dtype=np.float32))

    def _begin(self) -> _Window | None:
        """Start the method on the window of the last ``window`` frames; None before a torso was seen."""
        frames = np.stack(self._frames)
        weights = np.stack(self._weights)
        first = self._pushed - len(frames)
        present = weights > 0
        if not present[:, list(skeleton.TORSO_JOINTS)].any(0).all():
            return None  # no torso seen in the window yet: the frames owed come out missing (NaN)
        pad = self.window - len(frames)
        if pad:  # a young stream: the first frame held, as missing
            frames = np.concatenate([np.repeat(frames[:1], pad, 0), frames])
            weights = np.concatenate([np.zeros((pad, skeleton.NUM_JOINTS)), weights])
            present = weights > 0
        filled, never = interpolate_missing(frames[None], present[None])
        mask = np.zeros_like(present)
        mask[:, skeleton.INPUT_INDICES] = ~never[0][None, skeleton.INPUT_INDICES]
        steps = self.method.predict_windows_steps(filled.astype(np.float32), mask[None],
                                                  weights[None].astype(np.float32),
                                                  repair_start=self._repair_start(first - pad))
        return _Window(steps, first, pad, self._pushed, self._pushed + self.spread - 1)

    def _advance(self, window: _Window) -> None:
        """Run the window's next steps for this push's share of its expected time; all of them at its last push."""
        if window.result is not None:
            return
        last = self._pushed >= window.due
        # the time it is expected to take still, shared among the pushes left (a step runs where its expected
        # time mostly fits in this push's share)
        share = max(self._seconds.window - window.spent, 0.0) / (window.due - self._pushed + 1)
        spent = 0.0
        while last or spent == 0.0 or spent + self._seconds.step(window.step) / 2 <= share:
            started = time.perf_counter()
            try:
                name = next(window.steps)
            except StopIteration as done:
                seconds = time.perf_counter() - started
                self._seconds.add_step(window.step, seconds)
                window.spent += seconds
                self._seconds.add_window(window.spent)
                window.result = done.value
                return
            seconds = time.perf_counter() - started
            if window.step is not None:
                self._seconds.add_step(window.step, seconds)
            window.step, window.spent, spent = name, window.spent + seconds, spent + seconds

    def _finish(self) -> None:
        """The pending window, if any, done now."""
        if self._pending is not None:
            window, self._pending = self._pending, None
            self._store(window, window.result if window.result is not None else finish(window.steps))

    def _store(self, window: _Window, prediction) -> None:
        """Keep the outputs of a window's frames still owed, and the repair it made."""
        out = prediction.positions[0]
        for k in range(max(self._returned, window.first), window.started):
            self._outputs[k] = out[window.pad + k - window.first].astype(np.float32)
        if prediction.repair is not None:
            self._repair = (window.first - window.pad, prediction.repair[0])

    def _repair_start(self, first: int) -> np.ndarray | None:
        """The last window's repair on the frames of a window whose first row is frame ``first`` (1, window, 21).

        Frames the last window did not see are as given (``RepairCode.KEPT``); None before any repair.
        """
        if self._repair is None:
            return None
        before, repair = self._repair
        start = np.zeros((1, *repair.shape), dtype=repair.dtype)  # RepairCode.KEPT
        shift = first - before
        if 0 <= shift < len(repair):
            start[0, : len(repair) - shift] = repair[shift:]
        return start

    def run(self, keypoints: np.ndarray, mask: np.ndarray, weight: np.ndarray, progress=None) -> np.ndarray:
        """A whole prepared track (F, 21, 2) through the stream, as live use would see it (F, 21, 2)."""
        out = []
        for k in range(len(keypoints)):
            result = self.push(keypoints[k], np.where(mask[k], weight[k], 0.0))
            if result is not None:
                out.append(result)
        tail = self.flush()
        return np.concatenate([np.stack(out), tail]) if out else tail


class _Window:
    """A window being computed: its steps, where its frames sit, when it started and when it is due."""

    def __init__(self, steps: Steps, first: int, pad: int, started: int, due: int):
        self.steps, self.first, self.pad, self.started, self.due = steps, first, pad, started, due
        self.step: str | None = None  # the step it runs next (None: its first, not yet named)
        self.spent = 0.0  # seconds so far
        self.result = None  # its prediction once done (its frames are taken at its due push)


class _Costs:
    """Running estimates of how long a window takes, and each named step of it, on this machine."""

    def __init__(self, memory: float = 0.2):
        self.memory = memory
        self.window = 0.0
        self._steps: dict[str | None, float] = {}

    def step(self, name: str | None) -> float:
        return self._steps.get(name, 0.0)

    def add_step(self, name: str | None, seconds: float) -> None:
        self._steps[name] = seconds if name not in self._steps else self._mix(self._steps[name], seconds)

    def add_window(self, seconds: float) -> None:
        self.window = seconds if self.window == 0.0 else self._mix(self.window, seconds)

    def _mix(self, old: float, new: float) -> float:
        return (1 - self.memory) * old + self.memory * new


# how long each method's windows and steps take on this machine, learnt by its streams
_COSTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
