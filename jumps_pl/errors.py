"""The errors the ``jumps`` command reports as a refusal (exit 2) rather than a crash.

They stand beside ``config.ConfigError`` and the readers' format errors.
"""
from __future__ import annotations

from typing import Any


class OptionError(ValueError):
    """A bad value of one option, named as data so that a caller can name the flag its user typed.

    ``option`` is a config key such as ``upsample.fps`` or an argument name such as ``latency``; ``value``
    is the value refused.
    """

    def __init__(self, option: str, value: Any, message: str):
        super().__init__(message)
        self.option, self.value = option, value


class DivergenceError(RuntimeError):
    """A training loss term became NaN or infinite; the message names the term and the step."""


class ExporterMissing(ImportError):
    """``jumps onnx`` needs packages that are not installed; the message says which and how."""

