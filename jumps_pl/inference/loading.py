"""Loading trained models, from a Lightning checkpoint or from a shipped model folder.

A model folder (``models/NAME/``, what ``jumps export`` and ``jumps train-baseline`` write) holds
``config.yaml`` (the resolved config it was trained with, plus ``kind``) and ``weights.pt``, a plain
state_dict read with ``torch.load(weights_only=True)`` (ridge: ``weights.npz``). No pickled code runs.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
import yaml

from jumps_pl.callbacks import CONFIG_KEY
from jumps_pl.config import read_yaml_file
from jumps_pl.models.jumps_gan import JumpsGAN

MODELS_DIR = Path(os.environ.get("JUMPS_MODELS_DIR", Path(__file__).resolve().parents[2] / "models"))
DEFAULT_MODEL = "jumps-default"
KINDS = ("jumps", "masked-conv-ae", "ridge")


def default_model_path(name: str = DEFAULT_MODEL) -> Path:
    """``models/NAME`` of the repository (or ``$JUMPS_MODELS_DIR/NAME``)."""
    return MODELS_DIR / name


def read_model_config(folder: str | Path) -> dict:
    folder = Path(folder)
    path = folder / "config.yaml"
    config = read_yaml_file(path, f"{folder} is not a model folder: {path} does not exist")
    if not isinstance(config, dict) or config.get("kind") not in KINDS:
        raise ValueError(f"{path}: field 'kind' must be one of {', '.join(KINDS)}")
    return config


def load_state_dict(folder: str | Path, map_location: str | torch.device = "cpu") -> dict:
    path = Path(folder) / "weights.pt"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises many types for a corrupt file; name the file
        raise ValueError(f"{path}: not a readable state_dict ({err})") from None


def load_model(path: str | Path, map_location: str | torch.device = "cpu") -> tuple[JumpsGAN, dict]:
    """A JUMPS model (in eval mode) and its resolved training config, from a model folder or a checkpoint."""
    path = Path(path)
    if path.is_dir():
        config = read_model_config(path)
        if config["kind"] != "jumps":
            raise ValueError(f"{path} holds a {config['kind']} model, not a JUMPS one")
        state = load_state_dict(path, map_location)
        try:
            model = JumpsGAN(**config["model"])
            model.load_state_dict(state)
        except (TypeError, KeyError, RuntimeError) as err:
            raise ValueError(f"{path / 'config.yaml'}: field 'model' does not match weights.pt ({err})") from None
        return model.eval(), config
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint or model folder {path} does not exist")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as err:  # torch raises many types for a corrupt file; name the file
        raise ValueError(f"{path}: not a readable checkpoint ({err})") from None
    if "state_dict" not in checkpoint or "hyper_parameters" not in checkpoint:
        raise ValueError(f"{path}: not a jumps-pl checkpoint (no state_dict / hyper_parameters)")
    model = JumpsGAN(**checkpoint["hyper_parameters"])
    model.load_state_dict(checkpoint["state_dict"])
    config = dict(checkpoint.get(CONFIG_KEY, {}))
    config["model"] = dict(checkpoint["hyper_parameters"])
    return model.eval(), config


def export_model(module: torch.nn.Module, config: dict, kind: str, folder: str | Path) -> Path:
    """Write ``folder/weights.pt`` (state_dict) and ``folder/config.yaml`` (config + kind)."""
    from jumps_pl.evaluation.evaluate import write_atomically

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    write_atomically(folder / "weights.pt", lambda tmp: torch.save(state, tmp))
    write_config(folder, config, kind)
    return folder


def write_config(folder: Path, config: dict, kind: str) -> None:
    from jumps_pl.evaluation.evaluate import write_atomically

    text = yaml.safe_dump({"kind": kind, **config}, sort_keys=False)
    write_atomically(Path(folder) / "config.yaml", lambda tmp: tmp.write_text(text))


def load_masked_conv_ae(folder: str | Path):
    from jumps_pl.baselines.masked_conv_ae import MaskedConvAE

    config = read_model_config(folder)
    if config["kind"] != "masked-conv-ae":
        raise ValueError(f"{folder} holds a {config['kind']} model, not a masked-conv-ae one")
    state = load_state_dict(folder)
    try:
        model = MaskedConvAE(**config["baselines"]["masked_conv_ae"])
        model.load_state_dict(state)
    except (TypeError, KeyError, RuntimeError) as err:
        raise ValueError(f"{Path(folder) / 'config.yaml'}: field 'baselines.masked_conv_ae' does not match "
                         f"weights.pt ({err})") from None
    return model.eval()


def load_ridge(folder: str | Path):
    from jumps_pl.baselines.ridge import RidgeBaseline

    config = read_model_config(folder)
    if config["kind"] != "ridge":
        raise ValueError(f"{folder} holds a {config['kind']} model, not ridge")
    return RidgeBaseline.load(Path(folder) / "weights.npz")
