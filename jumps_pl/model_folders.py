"""Model folders: where trained models live, and how they are read and written.

A model folder (what ``jumps export`` and ``jumps train-baseline`` write, and what ships in
``jumps_pl/pretrained/NAME/``) holds ``config.yaml`` (the resolved config it was trained with, plus
``kind``) and its weights: ``weights.pt``, a plain state_dict read with ``torch.load(weights_only=True)``
(no pickled code runs), or ``weights.npz`` for ridge. Which class a kind loads into is the business of
the method that uses it (``jumps_pl/methods/``); this module only knows folders, configs and tensors.

Shipped models are package data, found with ``importlib.resources``; ``$JUMPS_MODELS_DIR`` replaces
that folder, and a path given in the config (``models.*``) or on the command line replaces both.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from jumps_pl.config import read_yaml_file
from jumps_pl.files import atomic_folder, write_atomically

KINDS = ("jumps", "masked-conv-ae", "ridge", "flip-detector", "landmark-reader")
# Where the resolved config is stored inside Lightning checkpoints (SaveConfig callback).
CONFIG_KEY = "jumps_config"
# The shipped folder each ``models.<key>`` setting defaults to.
PRETRAINED = {"jumps": "jumps-default", "jumps_no_encoder": "jumps-no-encoder", "ridge": "ridge",
              "masked_conv_ae": "masked-conv-ae", "flip_detector": "flip-detector", "jumps_noisy": "jumps-noisy",
              "masked_conv_ae_real": "masked-conv-ae-real", "masked_conv_ae_noisy": "masked-conv-ae-noisy",
              "landmark_reader": "landmark-reader"}
# A setting whose null follows another one where that one is set: a prior of one's own (models.jumps) is
# also the one that reads noisy windows, unless models.jumps_noisy says otherwise; so for the infill net.
FOLLOWS = {"jumps_noisy": "jumps", "masked_conv_ae_noisy": "masked_conv_ae"}


def pretrained_dir() -> Path:
    """``$JUMPS_MODELS_DIR`` or the package's ``pretrained/`` folder."""
    override = os.environ.get("JUMPS_MODELS_DIR")
    return Path(override) if override else Path(str(resources.files("jumps_pl") / "pretrained"))


def model_path(models_cfg: dict, key: str) -> Path:
    """``models.<key>`` of a config, or the shipped folder it defaults to when null."""
    if key not in PRETRAINED:
        raise KeyError(f"unknown model setting models.{key}; known: {', '.join(PRETRAINED)}")
    value = (models_cfg or {}).get(key)
    if not value and (models_cfg or {}).get(FOLLOWS.get(key, "")):
        return model_path(models_cfg, FOLLOWS[key])
    if not value:
        return pretrained_dir() / PRETRAINED[key]
    path = Path(value).expanduser()
    shipped = pretrained_dir() / str(value)
    return shipped if not path.exists() and "/" not in str(value) and shipped.is_dir() else path


def read_model_config(folder: str | Path, kind: str | None = None) -> dict:
    """The folder's ``config.yaml``, checked to be of ``kind`` when given."""
    folder = Path(folder)
    path = folder / "config.yaml"
    config = read_yaml_file(path, f"{folder} is not a model folder: {path} does not exist")
    if not isinstance(config, dict) or config.get("kind") not in KINDS:
        raise ValueError(f"{path}: field 'kind' must be one of {', '.join(KINDS)}")
    if kind is not None and config["kind"] != kind:
        raise ValueError(f"{folder} holds a {config['kind']} model, not a {kind} one")
    return config


def load_state_dict(folder: str | Path, map_location: str = "cpu") -> dict:
    """The torch ``state_dict`` of a model folder (``weights.pt``); errors name the file."""
    import torch

    path = Path(folder) / "weights.pt"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises many types for a corrupt file; name the file
        raise ValueError(f"{path}: not a readable state_dict ({err})") from None


def load_module_folder(folder: str | Path, kind: str, section: str, build: Callable[..., Any]) -> Any:
    """``build(**config[baselines][section])`` of a model folder of ``kind`` with its weights, in eval mode.

    A config that does not match the weights is named.
    """
    config = read_model_config(folder, kind)
    state = load_state_dict(folder)
    try:
        module = build(**config["baselines"][section])
        module.load_state_dict(state)
    except (TypeError, KeyError, RuntimeError) as err:
        raise ValueError(f"{Path(folder) / 'config.yaml'}: field 'baselines.{section}' does not match "
                         f"weights.pt ({err})") from None
    return module.eval()


def read_checkpoint(path: str | Path, map_location: str = "cpu") -> tuple[dict, dict, dict]:
    """A jumps-pl Lightning checkpoint: (state_dict, hyper_parameters, stored config)."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint or model folder {path} does not exist")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as err:  # torch raises many types for a corrupt file; name the file
        raise ValueError(f"{path}: not a readable checkpoint ({err})") from None
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint or "hyper_parameters" not in checkpoint:
        raise ValueError(f"{path}: not a jumps-pl checkpoint (no state_dict / hyper_parameters)")
    return checkpoint["state_dict"], dict(checkpoint["hyper_parameters"]), dict(checkpoint.get(CONFIG_KEY, {}))


def config_text(config: dict, kind: str) -> str:
    """A model folder's ``config.yaml`` text: ``kind`` first, then ``config``, in its order."""
    return yaml.safe_dump({"kind": kind, **config}, sort_keys=False)


def write_model_folder(folder: str | Path, config: dict, kind: str, state_dict: dict | None = None,
                       write_weights=None, overwrite: bool = True) -> Path:
    """Write a whole model folder at once (temporary folder + rename).

    It holds ``config.yaml`` and a torch ``state_dict`` (``weights.pt``) or what ``write_weights(folder)``
    writes (ridge's npz).
    """
    folder = Path(folder)
    with atomic_folder(folder, overwrite=overwrite) as tmp:
        if state_dict is not None:
            import torch

            state = {k: v.detach().cpu().contiguous() for k, v in state_dict.items()}
            torch.save(state, tmp / "weights.pt")
        if write_weights is not None:
            write_weights(tmp)
        (tmp / "config.yaml").write_text(config_text(config, kind))
    return folder


def write_model_config(folder: str | Path, config: dict, kind: str) -> Path:
    """Write (or replace) only a model folder's ``config.yaml``, atomically."""
    return write_atomically(Path(folder) / "config.yaml", lambda tmp: tmp.write_text(config_text(config, kind)))
