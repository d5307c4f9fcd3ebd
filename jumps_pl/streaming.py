"""``jumps_pl.StreamingUpsampler``: live use, one frame in, one frame out, ``latency`` frames late.

    stream = jumps_pl.StreamingUpsampler(method="JUMPS", latency=32)
    for poses12, scores in camera:                  # (12, 2) px in COCO body order, (12,) or None
        frame21 = stream.push(poses12, scores)      # the 21 joints of the frame `latency` pushes ago,
        if frame21 is not None: ...                 # None while the first `latency` frames fill in
    tail = stream.flush()                           # the frames still owed at the end

Memory is bounded by the window (``data.window`` frames). Frames are pushed at the model's rate
(``stream.fps``, 30): resample other streams first. Missing detections: push ``None`` or NaN joints;
joints below ``upsample.min_confidence`` are missing, as offline. How often the window is recomputed
(``hop``), over how many pushes each computation is spread (``spread``) and what latency keeps up with
30 fps: ``stream.py`` and docs/post-processing.md.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from jumps_pl import skeleton
from jumps_pl.stream import Stream
from jumps_pl.upsampler import Upsampler


class StreamingUpsampler:
    """An ``Upsampler`` for live use: 12 COCO joints pushed per frame, 21 joints returned ``latency`` frames late."""

    def __init__(self, method: str | None = None, latency: int = 32, hop: int | None = None,
                 model: str | Path | None = None, config: dict | None = None, spread: int | None = None, **infer):
        self.upsampler = Upsampler(method, model=model, config=config, **infer)
        self.min_confidence = self.upsampler.config["upsample"]["min_confidence"]
        self.stream = Stream(self.upsampler.method, latency, hop, self.min_confidence, spread)
        self.latency, self.hop, self.spread = self.stream.latency, self.stream.hop, self.stream.spread

    @property
    def fps(self) -> float:
        """The frame rate frames must be pushed at: the model's."""
        return self.upsampler.model_fps

    def push(self, keypoints: np.ndarray | None, confidence: np.ndarray | None = None) -> np.ndarray | None:
        """Add one frame (12, 2) px (``None``: no detection); return the 21 joints of an earlier frame.

        The 21 joints (21, 2) px are those of the frame pushed ``latency`` pushes ago, or ``None`` while the
        stream fills. ``confidence`` (12,) or None (all 1).
        """
        frame = np.zeros((skeleton.NUM_JOINTS, 2))
        weight = np.zeros(skeleton.NUM_JOINTS)
        if keypoints is not None:
            keypoints = np.asarray(keypoints, dtype=np.float64)
            if keypoints.shape != (12, 2):
                raise ValueError(f"push: keypoints must be (12, 2) in COCO body order, got {keypoints.shape}")
            scores = np.ones(12) if confidence is None else np.asarray(confidence, dtype=np.float64).reshape(12)
            present = np.isfinite(keypoints).all(-1) & (scores >= max(self.min_confidence, 1e-6))
            frame = skeleton.place_inputs(np.where(present[:, None], keypoints, 0.0))
            weight = skeleton.place_inputs(np.where(present, scores, 0.0), -1)
        return self.stream.push(frame, weight)

    def flush(self) -> np.ndarray:
        """The frames still owed at the end of the stream, (k, 21, 2)."""
        return self.stream.flush()
