"""The registry of methods: every row of `jumps evaluate`, every `jumps upsample --method`, every
`jumps_pl.Upsampler(method=...)` is looked up here, and this is what validates a method name.

Families, one module each: ``fusion`` (the default, a design change), ``jumps`` (the paper's method,
its ablations and its repair), ``transfer`` (a design change), ``ridge`` (ridge, ridge+savgol),
``filters`` (ridge+one-euro, ridge+gaussian, and the continuity heuristic in front of ridge+savgol) and
``masked_conv_ae``. To add a method, subclass
``base.Method`` in its family's module and list the class in ``_CLASSES`` (docs/architecture.md).
"""
from __future__ import annotations

import difflib
from collections.abc import Callable

from jumps_pl.methods.base import Loader, Method, MissingModel, Prediction
from jumps_pl.methods.filters import ContinuityRidgeSavgol, RidgeGaussian, RidgeOneEuro
from jumps_pl.methods.fusion import JumpsFusion
from jumps_pl.methods.jumps import Jumps, JumpsNoAlignment, JumpsNoEncoder, JumpsRepair
from jumps_pl.methods.masked_conv_ae import MaskedConvAEMethod
from jumps_pl.methods.ridge import Ridge, RidgeSavgol
from jumps_pl.methods.transfer import JumpsRidgeTransfer

_CLASSES: tuple[type[Method], ...] = (JumpsFusion, Jumps, JumpsNoAlignment, JumpsNoEncoder, JumpsRidgeTransfer,
                                      JumpsRepair, Ridge, RidgeSavgol, RidgeOneEuro, RidgeGaussian,
                                      ContinuityRidgeSavgol, MaskedConvAEMethod)
REGISTRY: dict[str, type[Method]] = {cls.name: cls for cls in _CLASSES}
DEFAULT_METHOD = "JUMPS + fusion"

__all__ = ["DEFAULT_METHOD", "REGISTRY", "Loader", "Method", "MissingModel", "Prediction", "build_methods",
           "check_name", "method_names"]


def method_names() -> tuple[str, ...]:
    return tuple(REGISTRY)


def check_name(name: str, what: str = "method") -> str:
    """``name`` if registered, else a ValueError naming it, the close matches and all known names."""
    if name in REGISTRY:
        return name
    close = difflib.get_close_matches(name, REGISTRY, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(f"{what}: unknown method {name!r}{hint}; known: {', '.join(REGISTRY)}")


def build_methods(config: dict, names: list[str] | tuple[str, ...], log: Callable[[str], None] | None = None,
                  skip_missing: bool = False) -> dict[str, Method]:
    """Methods by name, sharing one ``Loader``; optional ones whose model folder is missing are skipped
    (with a message) when ``skip_missing``."""
    for name in names:
        check_name(name)
    loader = Loader(config, REGISTRY)
    methods: dict[str, Method] = {}
    for name in names:
        try:
            methods[name] = loader.method(name)
        except MissingModel as err:
            if not (skip_missing and REGISTRY[name].optional):
                raise
            if log:
                log(f"row {name!r} skipped: {err}")
    return methods
