"""``masked-conv-ae``: a supervised 1D U-Net from masked windows to 21 joints.

Trained by ``jumps train-baseline masked-conv-ae``. Model: ``models.masked_conv_ae``.
"""
from __future__ import annotations

from pathlib import Path

import torch

from jumps_pl.methods.base import Method
from jumps_pl.methods.masked_conv_ae.networks import MaskedConvNet
from jumps_pl.methods.registry import register_method
from jumps_pl.model_folders import load_module_folder
from jumps_pl.prediction import Prediction


def load_masked_conv_ae(folder: str | Path) -> MaskedConvNet:
    """The network (eval mode) of a model folder (``jumps train-baseline masked-conv-ae``)."""
    return load_module_folder(folder, "masked-conv-ae", "masked_conv_ae", MaskedConvNet)


@register_method
class MaskedConvAEMethod(Method):
    """The supervised infill network's reading of each window."""

    name = slug = "masked-conv-ae"
    models = ("masked_conv_ae",)
    optional = True

    def __init__(self, config: dict, loader):
        super().__init__(config, loader)
        self.net = loader.model("masked_conv_ae", load_masked_conv_ae)

    def predict_windows(self, keypoints_px, mask, confidence=None, report=None) -> Prediction:
        """The network's 21 joints from the present entries."""
        device = next(self.net.parameters()).device
        with torch.no_grad():
            out = self.net.predict_px(torch.as_tensor(keypoints_px).to(device),
                                      torch.as_tensor(mask).to(device)).cpu().numpy()
        return Prediction(out)
