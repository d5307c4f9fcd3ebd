"""The two registries: methods (rows, ``--method``) and what ``jumps train-baseline`` can fit.

Both are filled where the classes are defined, by decorators:

    @register_method
    class RidgeGaussian(Ridge):
        name, slug = "ridge+gaussian", "ridge-gaussian"

    @register_trainable("masked-conv-ae", config_key="masked_conv_ae")
    class MaskedConvAE(pl.LightningModule): ...

``jumps_pl.methods`` imports every family, so that both are complete once it is imported.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jumps_pl.errors import OptionError

METHODS: dict[str, type] = {}  # display name -> Method subclass, in registration order
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

    An unknown name raises an ``OptionError`` naming ``option``, the closest match and every known name.
    """
    by_key = {key.lower(): cls.name for cls in METHODS.values() for key in (cls.name, cls.slug)}
    if name in METHODS:
        return name
    if str(name).lower() in by_key:
        return by_key[str(name).lower()]
    close = difflib.get_close_matches(str(name).lower(), by_key, n=1, cutoff=0.5)
    hint = f" (did you mean {by_key[close[0]]!r}?)" if close else ""
    known = ", ".join(f"{cls.slug} ({cls.name})" if cls.slug != cls.name else cls.slug for cls in METHODS.values())
    raise OptionError(option, name, f"unknown method {name!r}{hint}; known: {known}")


@dataclass(frozen=True)
class Trainable:
    """A model ``jumps train-baseline NAME`` fits: a LightningModule, or a closed-form fit.

    The LightningModule is built from ``baselines.<config_key>`` (trained for ``baselines.<config_key>_epochs``,
    weights averaged from ``<config_key>_average_from`` when set), or, with ``fit``, a closed-form fit
    ``fit(datamodule, config) -> model`` whose ``save(path)`` writes its weights (``weights.npz`` in the
    model folder).
    """

    name: str
    config_key: str
    summary: str
    module: type | None = None
    fit: Callable[[Any, dict], Any] | None = None


def register_trainable(name: str, config_key: str, summary: str) -> Callable:
    """Class or function decorator: what ``jumps train-baseline name`` fits.

    A LightningModule class, or a closed-form fit function ``fit(datamodule, config) -> model``.
    """
    def decorate(target):
        if name in TRAINABLE:
            raise ValueError(f"trainable {name!r} is already registered")
        is_module = isinstance(target, type)
        TRAINABLE[name] = Trainable(name, config_key, summary, module=target if is_module else None,
                                    fit=None if is_module else target)
        return target
    return decorate
