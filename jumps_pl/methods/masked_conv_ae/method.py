"""``masked-conv-ae``: a supervised 1D U-Net from masked windows to 21 joints.

Trained by ``jumps train-baseline masked-conv-ae``. Model: ``models.masked_conv_ae``. ``masked-conv-ae
(real)`` is the same network fine-tuned on a real detector's output too
(``experiments/hpe_real/finetune_infill.py``), as the default's encoder and flip detector are: model
``models.masked_conv_ae_real``.
"""
from __future__ import annotations

import copy
from pathlib import Path

import torch

from jumps_pl.methods.base import Method
from jumps_pl.methods.masked_conv_ae.networks import J, MaskedConvNet, predict_px
from jumps_pl.methods.registry import register_method
from jumps_pl.model_folders import load_module_folder, read_model_config
from jumps_pl.prediction import Prediction


def load_masked_conv_ae(folder: str | Path) -> MaskedConvNet:
    """The network (eval mode) of a model folder (``jumps train-baseline masked-conv-ae``)."""
    return load_module_folder(folder, "masked-conv-ae", "masked_conv_ae", MaskedConvNet)


def forward_networks(folder: str | Path) -> dict[str, tuple]:
    """What ``jumps onnx`` exports of a masked-conv-ae model folder: its U-Net, with two example windows."""
    net = load_masked_conv_ae(folder).net
    window = int(read_model_config(folder, "masked-conv-ae")["data"]["window"])
    poses, mask = torch.zeros(2, window, J, 2), torch.ones(2, window, J, dtype=torch.bool)
    return {"net": (net, (poses, mask), ("poses", "mask"))}


@register_method
class MaskedConvAEMethod(Method):
    """The supervised infill network's reading of each window."""

    name = slug = "masked-conv-ae"
    models = ("masked_conv_ae",)
    optional = True

    def __init__(self, config: dict, loader, model: str | None = None):
        """``model``: the ``models.*`` key of the folder to read instead of the row's own (a composition's)."""
        super().__init__(config, loader)
        self.model_key = model or self.models[0]
        self.net = loader.model(self.model_key, load_masked_conv_ae)
        self._forward = None  # what else computes the U-Net (a stream's twin: ONNX Runtime's, on the CPU)
        self._live: MaskedConvAEMethod | None = None

    def predict_windows(self, keypoints_px, mask, confidence=None, report=None) -> Prediction:
        """The network's 21 joints from the present entries."""
        net = self.net.net if self._forward is None else self._forward
        device = next(self.net.parameters()).device if self._forward is None else torch.device("cpu")
        with torch.no_grad():
            out = predict_px(net, torch.as_tensor(keypoints_px).to(device), torch.as_tensor(mask).to(device))
        return Prediction(out.cpu().numpy())

    def live(self) -> MaskedConvAEMethod:
        """The method as a stream runs it: the U-Net on ONNX Runtime where ``upsample.live_runtime`` allows."""
        if self._live is None:
            networks = self.loader.live_networks(self.model_key, ("net",))
            self._live = self if networks is None else copy.copy(self)
            if networks is not None:
                self._live._forward = networks["net"]
                self._live._live = self._live
        return self._live


@register_method
class MaskedConvAERealMethod(MaskedConvAEMethod):
    """masked-conv-ae's network fine-tuned on a real detector's output too (a fair baseline on ``hpe-real``)."""

    name, slug = "masked-conv-ae (real)", "masked-conv-ae-real"
    models = ("masked_conv_ae_real",)
