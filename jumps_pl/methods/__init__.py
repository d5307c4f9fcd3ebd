"""The methods: every row of `jumps evaluate`, `jumps upsample --method`, `jumps_pl.Upsampler(method=...)`.

All are looked up in one registry (``registry.py``).

One folder per method family, each holding everything it is (networks, training, inference, the
method classes): ``jumps`` (the paper's method, its ablations and its repair), ``fusion`` (the
default), ``transfer``, ``ridge``, ``filters`` (ridge with a smoother), ``continuity`` (the flip
heuristic) and ``masked_conv_ae``. Families meet only through the shared core modules and the
compositions declared in the import contracts (``setup.cfg``). To add a method: docs/architecture.md.
"""
from __future__ import annotations

from collections.abc import Callable

# importing the families registers their methods and trainables (decorators where each is defined)
from jumps_pl.methods import continuity, filters, fusion, jumps, masked_conv_ae, ridge, transfer  # noqa: F401
from jumps_pl.methods.base import Loader, Method, MissingModel
from jumps_pl.methods.registry import METHODS, TRAINABLE, resolve_method
from jumps_pl.prediction import Prediction

DEFAULT_METHOD = "JUMPS + fusion"
# display name -> class, the default first, then in registration order
REGISTRY: dict[str, type[Method]] = {DEFAULT_METHOD: METHODS[DEFAULT_METHOD],
                                     **{k: v for k, v in METHODS.items() if k != DEFAULT_METHOD}}

__all__ = ["DEFAULT_METHOD", "REGISTRY", "TRAINABLE", "Loader", "Method", "MissingModel", "Prediction",
           "build_methods", "method_names", "resolve_method"]


def method_names() -> tuple[str, ...]:
    """Every method's display name, the default first."""
    return tuple(REGISTRY)


def build_methods(config: dict, names: list[str] | tuple[str, ...], log: Callable[[str], None] | None = None,
                  skip_missing: bool = False) -> dict[str, Method]:
    """Methods by display name (given by name or slug), sharing one ``Loader``.

    Optional ones whose model folder is missing are skipped (with a message) when ``skip_missing``.
    """
    resolved = [resolve_method(name) for name in names]
    loader = Loader(config, REGISTRY)
    methods: dict[str, Method] = {}
    for name in resolved:
        try:
            methods[name] = loader.method(name)
        except MissingModel as err:
            if not (skip_missing and REGISTRY[name].optional):
                raise
            if log:
                log(f"row {name!r} skipped: {err}")
    return methods
