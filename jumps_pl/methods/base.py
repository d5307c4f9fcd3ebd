"""What every method is: a name, what it needs, how it loads, how it maps windows and whole tracks.

A method maps pose windows (N, T, 21, 2) px with a mask of present entries (N, T, 21) and optional
detector confidences to 21 joints (N, T, 21, 2) px, and a whole track (F, 21, 2) the same way. It
returns a ``Prediction``: positions plus optional per-joint extras (for example an uncertainty, or
what was repaired). Methods are built by the registry (``jumps_pl.methods``) from a resolved config,
through a ``Loader`` that loads every model folder once and shares method instances, so a row that
post-processes another row's output (``JUMPS + ridge transfer``) reuses its work.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from jumps_pl.inference.windows import predict_sequence
from jumps_pl.model_folders import model_path


@dataclass
class Prediction:
    """``keypoints`` (..., 21, 2) px; ``extras`` name -> (..., 21) arrays aligned with them."""

    keypoints: np.ndarray
    extras: dict[str, np.ndarray] = field(default_factory=dict)


class MissingModel(FileNotFoundError):
    """A method's model folder does not exist (evaluation skips such optional rows)."""


class Loader:
    """Loads each model folder once and builds each method once, for one resolved config."""

    def __init__(self, config: dict, registry: dict[str, type[Method]]):
        self.config = config
        self.registry = registry
        self._models: dict[tuple[str, Path], object] = {}
        self._methods: dict[str, Method] = {}

    def path(self, key: str) -> Path:
        return model_path(self.config.get("models", {}), key)

    def model(self, key: str, load: Callable[[Path], object]) -> object:
        """``load(path)`` of the folder ``models.<key>`` points to, once."""
        path = self.path(key)
        if (key, path) not in self._models:
            if not path.exists():
                raise MissingModel(f"{path} does not exist (models.{key}: a model folder, checkpoint or "
                                   "shipped model name)")
            self._models[(key, path)] = load(path)
        return self._models[(key, path)]

    def method(self, name: str) -> Method:
        if name not in self._methods:
            self._methods[name] = self.registry[name](self.config, self)
        return self._methods[name]


class Method(ABC):
    """Base class: subclasses set the class attributes and implement ``predict_windows``."""

    name: ClassVar[str]
    summary: ClassVar[str]
    models: ClassVar[tuple[str, ...]] = ()     # ``models.<key>`` folders it loads
    sections: ClassVar[tuple[str, ...]] = ()   # config sections it reads
    optional: ClassVar[bool] = False           # `jumps evaluate` skips it when a model folder is missing
    causal: ClassVar[bool] = False             # uses no future frames (streaming at any latency)
    tasks: ClassVar[tuple[str, ...] | None] = None  # the tasks `jumps evaluate` scores it on (None: all)

    def __init__(self, config: dict, loader: Loader):
        self.config = config
        self.loader = loader

    @property
    def window(self) -> int:
        return int(self.config["data"]["window"])

    @abstractmethod
    def predict_windows(self, keypoints_px: np.ndarray, mask: np.ndarray,
                        confidence: np.ndarray | None = None) -> Prediction:
        """Windows (N, T, 21, 2) px, ``mask`` (N, T, 21), ``confidence`` (N, T, 21) or None -> positions
        (N, T, 21, 2) px and the per-joint extras."""

    def predict_track(self, keypoints_px: np.ndarray, mask: np.ndarray, confidence: np.ndarray | None = None,
                      progress: Callable[[int], None] | None = None) -> Prediction:
        """A whole track (F, 21, 2) px, ``mask`` (F, 21), ``confidence`` (F, 21) (0: a placeholder that
        must not count). Default: overlapping windows of ``data.window`` frames, blended."""
        present = mask if confidence is None else mask & (confidence > 0)
        infer = self.config["infer"]
        names: list[str] = []

        def predict(windows, window_mask, conf, first):
            prediction = self.predict_windows(windows, window_mask, conf)
            names[:] = sorted(prediction.extras)
            return np.concatenate([prediction.keypoints, *(_channels(name, prediction.extras[name]) for name in names)],
                                  axis=-1)

        both = predict_sequence(predict, keypoints_px, present, confidence, self.window, infer["overlap"],
                                infer["batch_windows"], progress)
        extras, channel = {}, 2
        for name in names:  # blended like the positions; a repair code is the one most windows gave
            if name == "repair":
                relabelled, aside = both[..., channel] > 0.5, both[..., channel + 1] > 0.5
                extras[name] = np.where(relabelled, 1, np.where(aside, 2, 0)).astype(np.int8)
                channel += 2
            else:
                extras[name] = both[..., channel]
                channel += 1
        return Prediction(both[..., :2], extras)


def _channels(name: str, values: np.ndarray) -> np.ndarray:
    """An extra (B, T, 21) as channels to blend: a repair code as two indicators (relabelled, set aside)."""
    if name == "repair":
        return np.stack([values == 1, values == 2], axis=-1).astype(np.float32)
    return np.asarray(values, dtype=np.float32)[..., None]
