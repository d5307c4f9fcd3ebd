"""The two registries: methods (rows, ``--method``) and what ``jumps train-baseline`` can fit.

Both are filled where the classes are defined, by decorators:

    @register_method
    class RidgeGaussian(Ridge):
        name, slug = "ridge+gaussian", "ridge-gaussian"

    @register_trainable("masked-conv-ae", config_key="masked_conv_ae")
    class MaskedConvAE(pl.LightningModule): ...

Names are checked against the light table (``catalog.py``) without importing anything; a family is
imported when one of its methods is asked for (``method_class``), a training module when its model is
trained (``trainable``), so that loading a method never imports Lightning.
"""
from __future__ import annotations

import difflib
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jumps_pl.errors import OptionError
from jumps_pl.methods.catalog import METHODS as CATALOG
from jumps_pl.methods.catalog import TRAINABLES

METHODS: dict[str, type] = {}  # display name -> Method subclass, as the families register them
TRAINABLE: dict[str, Trainable] = {}
_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def register_method(cls: type) -> type:
    """Class decorator: ``cls`` becomes a method under its ``name`` and ``slug``."""
    if not _SLUG.fullmatch(cls.slug):
        raise ValueError(f"{cls.__name__}: slug {cls.slug!r} must be lowercase words joined by '-'")
    taken = {key.lower() for other in METHODS.values() for key in (other.name, other.slug)}
    if {cls.name.lower(), cls.slug} & taken:
        raise ValueError(f"{cls.__name__}: method name {cls.name!r} or slug {cls.slug!r} is already registered")
    METHODS[cls.name] = cls
    return cls


def resolve_method(name: str, option: str = "method") -> str:
    """The display name of a method given by display name or slug, in any case.

    Otherwise an ``OptionError`` naming ``option``, the closest match and every known name.
    """
    by_key = {key.lower(): entry.name for entry in CATALOG for key in (entry.name, entry.slug)}
    if str(name).lower() in by_key:
        return by_key[str(name).lower()]
    close = difflib.get_close_matches(str(name).lower(), by_key, n=1, cutoff=0.5)
    hint = f" (did you mean {by_key[close[0]]!r}?)" if close else ""
    known = ", ".join(entry.slug if entry.slug == entry.name else f"{entry.slug} ({entry.name})" for entry in CATALOG)
    raise OptionError(option, name, f"unknown method {name!r}{hint}; known: {known}")


def method_class(name: str) -> type:
    """The class of a method (display name), its family imported on first use."""
    family = next(entry.family for entry in CATALOG if entry.name == name)
    if name not in METHODS:
        importlib.import_module(f"jumps_pl.methods.{family}")
    return METHODS[name]


def all_methods() -> dict[str, type]:
    """Every method's class by display name, in the catalog's order (imports every family)."""
    return {entry.name: method_class(entry.name) for entry in CATALOG}


@dataclass(frozen=True)
class Trainable:
    """A model ``jumps train-baseline NAME`` fits.

    Either a LightningModule built from ``baselines.<config_key>`` (trained for
    ``baselines.<config_key>_epochs``, weights averaged from ``<config_key>_average_from`` when set), or,
    with ``fit``, a closed-form fit ``fit(datamodule, config) -> model`` whose ``save(path)`` writes its
    weights (``weights.npz`` in the model folder).
    """

    name: str
    config_key: str
    module: type | None = None
    fit: Callable[[Any, dict], Any] | None = None


def register_trainable(name: str, config_key: str) -> Callable:
    """Class or function decorator: a LightningModule, or a closed-form fit, becomes what ``name`` trains."""
    def decorate(target):
        if name in TRAINABLE:
            raise ValueError(f"trainable {name!r} is already registered")
        is_module = isinstance(target, type)
        TRAINABLE[name] = Trainable(name, config_key, module=target if is_module else None,
                                    fit=None if is_module else target)
        return target
    return decorate


def trainable(name: str) -> Trainable:
    """What ``jumps train-baseline name`` fits, its training module imported on first use."""
    if name not in TRAINABLES:
        raise ValueError(f"unknown baseline {name!r}; known: {', '.join(TRAINABLES)}")
    if name not in TRAINABLE:
        importlib.import_module(TRAINABLES[name].module)
    return TRAINABLE[name]
