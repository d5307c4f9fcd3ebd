"""``masked-conv-ae``: a supervised 1D U-Net from masked windows to 21 joints (``jumps train-baseline
masked-conv-ae``). Model: ``models.masked_conv_ae``."""
from __future__ import annotations

from pathlib import Path

import torch

from jumps_pl.baselines.masked_conv_ae import MaskedConvAE
from jumps_pl.methods.base import Method, Prediction
from jumps_pl.model_folders import load_module_folder


def load_masked_conv_ae(folder: str | Path) -> MaskedConvAE:
    return load_module_folder(folder, "masked-conv-ae", "masked_conv_ae", MaskedConvAE)


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
