"""Computations in steps, for a caller that spreads work over time (a stream, ``jumps_pl.stream``).

A computation in steps is a generator: it yields the name of each step before running it and returns its
result (``Method.predict_windows_steps``). ``finish`` runs one to its end.
"""
from __future__ import annotations

from collections.abc import Generator
from typing import Any

Steps = Generator[str, None, Any]


def finish(steps: Steps) -> Any:
    """Run a computation in steps to its end; its result."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value
