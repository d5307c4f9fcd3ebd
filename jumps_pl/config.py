"""Configs: ``experiments/configs/default.yaml``, an optional YAML merged over it, then ``key=value``."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

CONFIG_DIR = Path(__file__).resolve().parents[1] / "experiments" / "configs"
DEFAULT_CONFIG = CONFIG_DIR / "default.yaml"


def _now(pattern: str) -> str:
    return datetime.now().strftime(pattern)


if not OmegaConf.has_resolver("now"):  # omegaconf 2.4 renamed register_new_resolver
    _register = getattr(OmegaConf, "register_resolver", None) or OmegaConf.register_new_resolver
    _register("now", _now, use_cache=True)


class ConfigError(ValueError):
    """A config file or override that cannot be used; the message names the file or key."""


def load_config(config_path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> DictConfig:
    """Defaults, merged with ``config_path`` and the overrides; resolved, with unknown keys refused."""
    cfg = _load_yaml(DEFAULT_CONFIG)
    OmegaConf.set_struct(cfg, True)
    if "trainer" in cfg:
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
            key = getattr(err, "full_key", None) or "?"
            reason = getattr(err, "msg", err)
            raise ConfigError(f"{origin}: unknown or invalid config key {key!r} ({reason})") from None
    try:
        OmegaConf.resolve(cfg)
    except OmegaConfBaseException as err:
        raise ConfigError(f"cannot resolve the config: {err}") from None
    return cfg


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
