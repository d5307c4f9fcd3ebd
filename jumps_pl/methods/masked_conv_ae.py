"""``masked-conv-ae``: a supervised 1D U-Net from masked windows to 21 joints (``jumps train-baseline
masked-conv-ae``). Model: ``models.masked_conv_ae``."""
from __future__ import annotations

from pathlib import Path

import torch

from jumps_pl.baselines.masked_conv_ae import MaskedConvAE
from jumps_pl.methods.base import Method, Prediction
from jumps_pl.model_folders import load_state_dict, read_model_config


def load_masked_conv_ae(folder: str | Path) -> MaskedConvAE:
    config = read_model_config(folder, "masked-conv-ae")
    state = load_state_dict(folder)
    try:
        model = MaskedConvAE(**config["baselines"]["masked_conv_ae"])
        model.load_state_dict(state)
    except (TypeError, KeyError, RuntimeError) as err:
        raise ValueError(f"{Path(folder) / 'config.yaml'}: field 'baselines.masked_conv_ae' does not match "
                         f"weights.pt ({err})") from None
    return model.eval()


class MaskedConvAEMethod(Method):
    name = "masked-conv-ae"
    summary = "baseline: supervised 1D U-Net trained on masked, noisy windows"
    models = ("masked_conv_ae",)
    optional = True

    def __init__(self, config: dict, loader):
        super().__init__(config, loader)
        self.net = loader.model("masked_conv_ae", load_masked_conv_ae)

    def predict_windows(self, keypoints_px, mask, confidence=None) -> Prediction:
        with torch.no_grad():
            out = self.net.predict_px(torch.as_tensor(keypoints_px), torch.as_tensor(mask)).numpy()
        return Prediction(out)
