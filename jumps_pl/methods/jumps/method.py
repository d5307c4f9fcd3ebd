"""JUMPS (Mourot et al., ICPR 2020) by latent optimization, and its ablations.

``JUMPS``: the paper's method (multi-start latent optimization incl. E(x), similarity alignment);
``JUMPS w/o alignment`` and ``JUMPS w/o encoder`` (a model trained with ``model.use_encoder=false``).
Config: ``infer.*``; models: ``models.jumps`` (``models.jumps_no_encoder``).
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import torch

from jumps_pl.methods.base import LastCall, Method
from jumps_pl.methods.jumps.flip_detector import FlipDetector
from jumps_pl.methods.jumps.latent_opt import LatentOptimizer, optimizer_settings
from jumps_pl.methods.jumps.networks import JumpsPrior
from jumps_pl.methods.registry import register_method
from jumps_pl.model_folders import load_module_folder, load_state_dict, read_checkpoint, read_model_config
from jumps_pl.prediction import Prediction
from jumps_pl.skeleton import NUM_JOINTS


def load_jumps(path: str | Path, map_location: str = "cpu") -> tuple[JumpsPrior, dict]:
    """A JUMPS model (eval mode) and its resolved training config, from a model folder or a checkpoint."""
    path = Path(path)
    if path.is_dir():
        config = read_model_config(path, "jumps")
        state = load_state_dict(path, map_location)
        try:
            model = JumpsPrior.from_config(config["model"])
            model.load_state_dict(state)
        except (TypeError, KeyError, RuntimeError) as err:
            raise ValueError(f"{path / 'config.yaml'}: field 'model' does not match weights.pt ({err})") from None
        return model.eval(), config
    state, hyper_parameters, config = read_checkpoint(path, map_location)
    model = JumpsPrior.from_config(hyper_parameters)
    model.load_state_dict(state)
    config["model"] = hyper_parameters
    return model.eval(), config


def load_flip_detector(folder: str | Path) -> FlipDetector:
    """The flip detector (eval mode) of a model folder (``jumps train-baseline flip-detector``)."""
    return load_module_folder(folder, "flip-detector", "flip_detector", FlipDetector)


def forward_networks(folder: str | Path) -> dict[str, tuple]:
    """What ``jumps onnx`` exports of a JUMPS or flip-detector model folder (``jumps_pl.runtime``).

    Name -> (module, example inputs, input names), the inputs two windows of the model's length.
    """
    config = read_model_config(folder)
    if config["kind"] == "flip-detector":
        window = int(config["data"]["window"])
        poses, weights = torch.zeros(2, window, NUM_JOINTS, 2), torch.ones(2, window, NUM_JOINTS)
        detector = load_flip_detector(folder)
        if detector.reconstruction:  # and the prior's reading of the window (a tensor of its own: the exporter
            reading = torch.zeros(2, window, NUM_JOINTS, 2)  # would take one passed twice for one input)
            return {"net": (detector, (poses, weights, reading), ("poses", "weights", "reading"))}
        return {"net": (detector, (poses, weights), ("poses", "weights"))}
    model = load_jumps(folder)[0]
    poses, mask = torch.zeros(2, model.window, NUM_JOINTS, 2), torch.ones(2, model.window, NUM_JOINTS, dtype=torch.bool)
    networks = {"generator": (model.generator, (torch.zeros(2, *model.latent_shape),), ("z",))}
    if model.encoder is not None:
        networks["encoder"] = (model.encoder, (poses, mask), ("poses", "mask"))
    return networks


def repair_flip_detector(repair: dict, loader) -> FlipDetector | None:
    """The flip detector a repair (``infer.repair`` as a row runs it) reads, or None.

    ``models.flip_detector`` where the repair is on and ``detector`` > 0, else None (nothing loaded).
    """
    if not repair.get("enabled") or repair.get("detector", 0) <= 0:
        return None
    return loader.model("flip_detector", load_flip_detector)


@register_method
class Jumps(Method):
    """The paper's method: the latent fit of every window."""

    name, slug = "JUMPS", "jumps"
    models = ("jumps",)
    model_key = "jumps"
    infer_changes: dict = {}

    def __init__(self, config: dict, loader):
        super().__init__(config, loader)
        self.model = loader.model(self.model_key, load_jumps)[0]
        self._check_model()
        infer = {**optimizer_settings(config["infer"]), **self.infer_changes}
        self.optimizer = LatentOptimizer(self.model, **infer,
                                         flip_detector=repair_flip_detector(infer["repair"], loader))
        # the rows composed with this one (fusion, transfer) fit the same windows again: the fit of the
        # last windows given, kept by their content (the same values give the same fit)
        self._fits = LastCall()

    def _check_model(self) -> None:
        pass

    @property
    def window(self) -> int:
        """The model's window length in frames."""
        return int(self.model.window)

    @property
    def fps(self) -> float:
        """The frame rate the model was trained at."""
        return float(self.loader.model(self.model_key, load_jumps)[1].get("data", {}).get("fps", 30.0))

    def predict_windows(self, keypoints_px, mask, confidence=None, report=None) -> Prediction:
        """The latent fit of each window, with the spread among its best starts.

        And the repair status where ``infer.repair`` runs; the paper's row repairs nothing.
        """
        return self._fits(functools.partial(self._fit_windows, report=report), keypoints_px, mask, confidence)

    def _fit_windows(self, keypoints_px, mask, confidence, report=None) -> Prediction:
        tensors = [torch.as_tensor(a) for a in (keypoints_px, mask)]
        conf = None if confidence is None else torch.as_tensor(confidence)
        return self.optimizer.prediction(self.optimizer.optimize_windows(*tensors, conf, report))

    def predict_track(self, keypoints_px, mask, confidence=None,
                      progress: Callable[[int], None] | None = None) -> Prediction:
        """A whole track in overlapping windows, streamed (``LatentOptimizer.predict_track``)."""
        return self.optimizer.predict_track(keypoints_px, mask, confidence, progress)


@register_method
class JumpsRepair(Jumps):
    """JUMPS whose fit repairs confident failures first."""

    name, slug = "JUMPS + repair", "jumps-repair"
    models = ("jumps", "flip_detector")
    tasks = ("hpe", "hpe-confident", "hpe-real", "hpe-confident-wide")  # what it repairs: a detector's output

    def __init__(self, config: dict, loader):
        infer = config["infer"]
        self.infer_changes = {"repair": {**infer["repair"], "enabled": True}}
        super().__init__(config, loader)


PAPER_TASKS = ("upsampling", "completion", "hpe")  # the paper's ablations are measured on the paper's tasks


@register_method
class JumpsNoAlignment(Jumps):
    """The ablation without the similarity alignment."""

    name, slug = "JUMPS w/o alignment", "jumps-no-alignment"
    infer_changes = {"align": False}
    tasks = PAPER_TASKS


@register_method
class JumpsNoEncoder(Jumps):
    """The ablation with a prior trained without an encoder."""

    name, slug = "JUMPS w/o encoder", "jumps-no-encoder"
    models = ("jumps_no_encoder",)
    model_key = "jumps_no_encoder"
    optional = True
    tasks = PAPER_TASKS

    def _check_model(self) -> None:
        if self.model.encoder is not None:
            raise ValueError(f"{self.loader.path(self.model_key)} has an encoder; the row {self.name!r} needs one "
                             "trained with model.use_encoder=false")
