"""Loading trained models: a Lightning checkpoint gives the model and the config it was trained with."""
from __future__ import annotations

from pathlib import Path

import torch

from jumps_pl.callbacks import CONFIG_KEY
from jumps_pl.models.jumps_gan import JumpsGAN


def load_model(path: str | Path, map_location: str | torch.device = "cpu") -> tuple[JumpsGAN, dict]:
    """The model (in eval mode) and the resolved training config stored in the checkpoint."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as err:  # torch raises many types for a corrupt file; name the file
        raise ValueError(f"{path}: not a readable checkpoint ({err})") from None
    if "state_dict" not in checkpoint or "hyper_parameters" not in checkpoint:
        raise ValueError(f"{path}: not a jumps-pl checkpoint (no state_dict / hyper_parameters)")
    model = JumpsGAN(**checkpoint["hyper_parameters"])
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval(), checkpoint.get(CONFIG_KEY, {})
