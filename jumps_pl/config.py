"""Configs: the package defaults, an optional YAML merged over them, then ``key=value`` overrides.

The defaults are the package's ``jumps_pl/configs/default.yaml`` (the only place defaults live); the optional
YAML is one such as ``experiments/configs/*.yaml``.
"""
from __future__ import annotations

import functools
from datetime import datetime
from importlib import resources
from pathlib import Path

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

DEFAULT_CONFIG = Path(str(resources.files("jumps_pl") / "configs" / "default.yaml"))


# where the corpus is looked for when data.root is not set: $JUMPS_DATA_ROOT, then the project's shared
# copy beside the clone where it exists, then what `make data` fetches (data/README.md)
SHARED_DATA_ROOT = "../shared/datasets/bandai-namco-motion"
FETCHED_DATA_ROOT = "data/bandai-namco-motion"


def _now(pattern: str) -> str:
    return datetime.now().strftime(pattern)


def default_data_root() -> str:
    """The corpus when ``data.root`` is not set.

    ``$JUMPS_DATA_ROOT``, else ``../shared/datasets/bandai-namco-motion`` where it exists, else
    ``data/bandai-namco-motion`` (both relative to where the command runs).
    """
    import os

    if os.environ.get("JUMPS_DATA_ROOT"):
        return os.environ["JUMPS_DATA_ROOT"]
    return SHARED_DATA_ROOT if Path(SHARED_DATA_ROOT).exists() else FETCHED_DATA_ROOT


if not OmegaConf.has_resolver("now"):  # omegaconf 2.4 renamed register_new_resolver
    _register = getattr(OmegaConf, "register_resolver", None) or OmegaConf.register_new_resolver
    _register("now", _now, use_cache=True)
    _register("jumps_data_root", default_data_root)


class ConfigError(ValueError):
    """A config file or override that cannot be used; the message names the file or key."""


def load_config(config_path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> DictConfig:
    """The schema, the defaults, ``config_path`` and the overrides, merged in that order, resolved and checked.

    Unknown keys, wrong types and values out of range raise a ConfigError naming them.
    """
    from jumps_pl.schema import Schema

    try:
        cfg = OmegaConf.merge(OmegaConf.structured(Schema), _load_yaml(DEFAULT_CONFIG))
    except OmegaConfBaseException as err:  # the package's own defaults do not fit its schema
        raise ConfigError(f"{DEFAULT_CONFIG}: {_describe(err)}") from None
    OmegaConf.set_struct(cfg, True)
    OmegaConf.set_struct(cfg.trainer, False)  # any Lightning Trainer argument passes through
    layers: list[tuple[str, DictConfig]] = []
    if config_path is not None:
        layers.append((str(config_path), _load_yaml(Path(config_path))))
    for override in overrides:
        if "=" not in override:
            raise ConfigError(f"override {override!r} is not key=value")
        try:
            layers.append((f"override {override!r}", OmegaConf.from_dotlist([override])))
        except OmegaConfBaseException as err:
            raise ConfigError(f"override {override!r}: {err}") from None
    for origin, layer in layers:
        try:
            cfg = OmegaConf.merge(cfg, layer)
        except OmegaConfBaseException as err:
            raise ConfigError(f"{origin}: {_describe(err)}") from None
    try:
        OmegaConf.resolve(cfg)
    except OmegaConfBaseException as err:
        raise ConfigError(f"cannot resolve the config: {_describe(err)}") from None
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise ConfigError(f"config key(s) without a value: {', '.join(missing)}")
    check_config(to_container(cfg))
    return cfg


def check_config(config: dict) -> dict:
    """A resolved config dict (one built by hand too) with every value checked.

    ``ConfigError`` names each key, value and what is allowed.
    """
    from jumps_pl.schema import check_values

    try:
        problems = check_values(config, _default_trainer())
    except (KeyError, TypeError) as err:
        raise ConfigError(f"not a complete jumps-pl config: missing or malformed {err}") from None
    if problems:
        raise ConfigError("invalid setting" + ("s:\n  " if len(problems) > 1 else ": ") + "\n  ".join(problems))
    return config


@functools.cache
def _default_trainer() -> dict:
    """The package defaults' ``trainer.*`` section (checked against Lightning by the tests)."""
    return dict(yaml.safe_load(DEFAULT_CONFIG.read_text())["trainer"])


def _describe(err: OmegaConfBaseException) -> str:
    """OmegaConf's error as ``key=value: reason`` (its own text carries the key too, but not always first)."""
    key = getattr(err, "full_key", None)
    reason = str(getattr(err, "msg", err)).split("\n")[0]
    if not key:
        return reason
    if "not in struct" in reason or "Key '" in reason and "not" in reason:
        return f"unknown config key {key!r}{_did_you_mean(key)}"
    value = getattr(err, "value", None)
    shown = f"={value!r}" if value is not None else ""
    return f"{key}{shown}: {reason}"


def _did_you_mean(key: str) -> str:
    import difflib

    from jumps_pl.schema import RULES, Schema

    known = list(RULES) + [f.name for f in __import__("dataclasses").fields(Schema)]
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _load_yaml(path: Path) -> DictConfig:
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        cfg = OmegaConf.load(path)
    except (yaml.YAMLError, OmegaConfBaseException) as err:  # their text carries the line
        raise ConfigError(f"{path}: not valid YAML ({err})") from None
    if not isinstance(cfg, DictConfig):
        raise ConfigError(f"{path}: the top level must be a mapping")
    return cfg


def read_yaml_file(path: Path, missing: str) -> object:
    """Plain YAML (sweep files, model folders' config.yaml): ``missing`` is the FileNotFoundError's text."""
    if not path.is_file():
        raise FileNotFoundError(missing)
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:  # its text carries the line
        raise ConfigError(f"{path}: not valid YAML ({err})") from None


def to_container(cfg: DictConfig) -> dict:
    """Plain, resolved dict (what checkpoints and loggers store)."""
    return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
