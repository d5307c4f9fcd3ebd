"""What every method is: a name, what it needs, how it loads, how it maps windows and whole tracks.

A method maps pose windows (N, T, 21, 2) px with a mask of present entries (N, T, 21) and optional
detector confidences to 21 joints (N, T, 21, 2) px, and a whole track (F, 21, 2) the same way. It
returns a ``Prediction`` (``jumps_pl.prediction``): positions plus named per-joint extras (the spread
among equally good readings, what was repaired). Its output depends only on its inputs and settings.
Methods are built by the registry (``jumps_pl.methods``) from a resolved config, through a ``Loader``
that loads every model folder once and shares method instances between the rows that compose them.
"""
from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import numpy as np

from jumps_pl.methods.registry import method_class
from jumps_pl.model_folders import model_path
from jumps_pl.prediction import Prediction
from jumps_pl.runtime import OnnxNetwork, onnx_networks
from jumps_pl.steps import Steps
from jumps_pl.windows import predict_sequence


class MissingModel(FileNotFoundError):
    """A method's model folder does not exist (evaluation skips such optional rows)."""


def resolve_device(value: str):
    """``infer.device`` as a ``torch.device``: ``cpu``, ``cuda``, ``cuda:N``, or ``auto`` (cuda when present).

    A CUDA device this machine does not have is refused by name, before any model loads.
    """
    import torch

    from jumps_pl.config import ConfigError

    text = str(value).strip().lower()
    if text == "auto":
        text = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(text)
    except RuntimeError:
        raise ConfigError(f"infer.device: {value!r} is not a device (cpu, cuda, cuda:N or auto)") from None
    if device.type not in ("cpu", "cuda"):
        raise ConfigError(f"infer.device: {value!r} is not a device (cpu, cuda, cuda:N or auto)")
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if (device.index or 0) >= count:
            raise ConfigError(f"infer.device: {value!r}, but this machine has {count} CUDA device(s) (torch "
                              f"{torch.__version__}; a CPU build sees none: docs/configuration.md#installing)")
    return device


class Loader:
    """Loads each model folder once and builds each method once, for one resolved config.

    Every network loaded is moved to ``infer.device``; methods hand it tensors where it is and return
    numpy arrays.
    """

    def __init__(self, config: dict):
        self.config = config
        self.device = resolve_device(config.get("infer", {}).get("device", "cpu"))
        self._models: dict[tuple[Path, Callable], object] = {}  # (folder, loader): a folder named twice loads once
        self._methods: dict[tuple, Method] = {}  # (display name, its options...)
        self._live: dict[tuple[Path, tuple[str, ...]], dict | None] = {}

    def path(self, key: str) -> Path:
        """The model folder or checkpoint ``models.<key>`` points to (the shipped one when null)."""
        return model_path(self.config.get("models", {}), key)

    def model(self, key: str, load: Callable[[Path], object]) -> object:
        """``load(path)`` of the folder ``models.<key>`` points to, once (once too for two keys naming it)."""
        path = self.path(key)
        if (path, load) not in self._models:
            if not path.exists():
                raise MissingModel(f"{path} does not exist (models.{key}: a model folder, checkpoint or "
                                   "shipped model name)")
            self._models[(path, load)] = _to_device(load(path), self.device)
        return self._models[(path, load)]

    def live_networks(self, key: str, names: tuple[str, ...]) -> dict[str, OnnxNetwork] | None:
        """``models.<key>``'s forward-only networks ``names`` as a stream runs them, loaded once.

        ONNX Runtime's (``upsample.live_runtime``, ``jumps_pl.runtime``), or None where torch runs
        them (that setting ``torch``, a device other than the CPU, no ONNX Runtime or no export of those
        weights).
        """
        if self.config.get("upsample", {}).get("live_runtime") != "onnxruntime" or self.device.type != "cpu":
            return None
        path = self.path(key)  # two keys naming one folder share its networks
        if (path, names) not in self._live:
            self._live[(path, names)] = onnx_networks(path, names)
        return self._live[(path, names)]

    def method(self, name: str, **options) -> Method:
        """The method with this display name, built once and shared by the rows that compose it.

        ``options``: keyword arguments of the method's class (a composition's own variant of it, such as
        masked-conv-ae reading another model folder), built once per set of options; an option given as
        None is left to the class's default.
        """
        options = {k: v for k, v in options.items() if v is not None}
        key = (name, *sorted(options.items()))
        if key not in self._methods:
            self._methods[key] = method_class(name)(self.config, self, **options)
        return self._methods[key]


def _to_device(loaded: object, device) -> object:
    """A loaded model, or a tuple holding one, with its torch modules moved to ``device``."""
    import torch

    if isinstance(loaded, torch.nn.Module):
        return loaded.to(device)
    if isinstance(loaded, tuple):
        return tuple(_to_device(item, device) for item in loaded)
    return loaded


class Method(ABC):
    """Base class: subclasses set the class attributes and implement ``predict_windows``.

    Register a subclass with ``@register_method`` (``jumps_pl.methods.registry``) where it is defined.
    """

    name: ClassVar[str]                        # the display name: rows of tables and evaluation JSON
    slug: ClassVar[str]                        # the stable name for command lines and sweep files
    models: ClassVar[tuple[str, ...]] = ()     # ``models.<key>`` folders it loads
    optional: ClassVar[bool] = False           # `jumps evaluate` skips it when a model folder is missing
    tasks: ClassVar[tuple[str, ...] | None] = None  # the tasks `jumps evaluate` scores it on (None: all)

    def __init__(self, config: dict, loader: Loader):
        self.config = config
        self.loader = loader

    @property
    def window(self) -> int:
        """Frames per window."""
        return int(self.config["data"]["window"])

    def live(self) -> Method:
        """The method as a stream runs it (``jumps_pl.stream``), one window per pushed frame.

        Itself, unless it has settings for that use (``JUMPS + fusion``: ``fusion.live_fit_iterations``) or
        networks ONNX Runtime runs faster on single windows (``upsample.live_runtime``).
        """
        return self

    @abstractmethod
    def predict_windows(self, keypoints_px: np.ndarray, mask: np.ndarray, confidence: np.ndarray | None = None,
                        report: Callable[[float], None] | None = None) -> Prediction:
        """Windows (N, T, 21, 2) px -> positions (N, T, 21, 2) px and the per-joint extras.

        ``mask`` (N, T, 21) marks the present entries; ``confidence`` (N, T, 21) or None. A long method
        may call ``report(share)`` with the share (0..1) of the windows done so far, for progress bars.
        """

    def predict_windows_steps(self, keypoints_px: np.ndarray, mask: np.ndarray,
                              confidence: np.ndarray | None = None, repair_start: np.ndarray | None = None) -> Steps:
        """``predict_windows`` in steps, for a caller that spreads the work over time (a stream).

        A generator: it yields the name of each step before running it and returns the ``Prediction``
        (``jumps_pl.steps.finish`` runs it through). One step here; a method whose windows cost much splits them finer.
        ``repair_start`` (N, T, 21) ``RepairCode``: the repair a window before left on these frames (a
        stream's), which a method that repairs may begin from; ignored here.
        """
        yield "predict"
        return self.predict_windows(keypoints_px, mask, confidence)

    def read_landmarks(self, positions_px: np.ndarray, landmarks: np.ndarray, fps: float | None = None
                       ) -> np.ndarray:
        """``positions_px`` with what the method reads of a detector's landmarks beyond the 12 joints.

        Windows (N, T, 21, 2) px at the model's rate or a track (F, 21, 2) px at ``fps``; ``landmarks``
        (..., T, L, 3) px with visibility, NaN in frames without a detection. Unchanged here; ``JUMPS +
        fusion`` blends in its landmark reader's joints (``fusion.landmark_reader``).
        """
        return positions_px

    def predict_track(self, keypoints_px: np.ndarray, mask: np.ndarray, confidence: np.ndarray | None = None,
                      progress: Callable[[float], None] | None = None) -> Prediction:
        """A whole track (F, 21, 2) px -> positions (F, 21, 2) px and the per-joint extras.

        ``mask`` (F, 21), ``confidence`` (F, 21) (0: a placeholder that must not count). Default: overlapping
        windows of ``data.window`` frames, blended.
        """
        present = mask if confidence is None else mask & (confidence > 0)
        infer = self.config["infer"]

        def predict(windows, window_mask, conf, first, report):
            return self.predict_windows(windows, window_mask, conf, report)

        return predict_sequence(predict, keypoints_px, present, confidence, self.window, infer["overlap"],
                                infer["batch_windows"], progress)


class LastCall:
    """The result of the last call of a function of arrays, kept by the arrays' content.

    Rows that compose another row (the fusion and the transfer compose ``JUMPS``) call it on the same
    windows: the second call returns a copy of the first's result. The key is the arrays' values,
    shapes and dtypes, never their identity, so an array changed in place is computed anew.
    """

    def __init__(self):
        self._key: tuple | None = None
        self._value: Prediction | None = None

    def __call__(self, compute: Callable[..., Prediction], *arrays: np.ndarray | None) -> Prediction:
        """``compute(*arrays)``, or a copy of its last result when the arrays have the same content."""
        key = tuple(_fingerprint(a) for a in arrays)
        if key != self._key or self._value is None:
            value = compute(*arrays)
            self._key, self._value = key, value
        return replace(self._value, **{name: np.array(value, copy=True) for name, value in
                                       (("positions", self._value.positions), *self._value.extras().items())})


def _fingerprint(array: np.ndarray | None) -> tuple | None:
    if array is None:
        return None
    array = np.ascontiguousarray(array)
    return array.shape, array.dtype.str, hashlib.blake2b(array.tobytes(), digest_size=16).digest()
