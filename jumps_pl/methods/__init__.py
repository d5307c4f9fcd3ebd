"""The methods: every row of `jumps evaluate`, `jumps upsample --method` and `jumps_pl.Upsampler(method=...)`.

They are looked up in one registry (``registry.py``).

One folder per method family, each holding everything it is (networks, training, inference, the
method classes): ``jumps`` (the paper's method, its ablations and its repair), ``fusion`` (the
default), ``transfer``, ``ridge``, ``filters`` (ridge with a smoother), ``continuity`` (the flip
heuristic) and ``masked_conv_ae``. Families meet only through the shared core modules and the
compositions declared in the import contracts (``setup.cfg``). Names live in a light table
(``catalog.py``); a family is imported when one of its methods is built. To add a method:
docs/architecture.md.
"""
from __future__ import annotations

from collections.abc import Callable

from jumps_pl.methods.base import Loader, Method, MissingModel
from jumps_pl.methods.catalog import DEFAULT_METHOD
from jumps_pl.methods.catalog import METHODS as CATALOG
from jumps_pl.methods.registry import all_methods, method_class, resolve_method, trainable
from jumps_pl.prediction import Prediction

__all__ = ["CATALOG", "DEFAULT_METHOD", "Loader", "Method", "MissingModel", "Prediction", "all_methods",
           "build_methods", "method_class", "method_names", "resolve_method", "trainable"]


def method_names() -> tuple[str, ...]:
    """Every method's display name, the default first."""
    return tuple(entry.name for entry in CATALOG)


def build_methods(config: dict, names: list[str] | tuple[str, ...], log: Callable[[str], None] | None = None,
                  skip_missing: bool = False) -> dict[str, Method]:
    """Methods by display name (given by name or slug), sharing one ``Loader``.

    Optional ones whose model folder is missing are skipped (with a message) when ``skip_missing``.
    """
    resolved = [resolve_method(name) for name in names]
    loader = Loader(config)
    methods: dict[str, Method] = {}
    for name in resolved:
        try:
            methods[name] = loader.method(name)
        except MissingModel as err:
            if not (skip_missing and method_class(name).optional):
                raise
            if log:
                log(f"row {name!r} skipped: {err}")
    return methods
