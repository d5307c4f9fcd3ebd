"""Fitting the models beside the prior on the training split: ``jumps train-baseline
{ridge,masked-conv-ae,flip-detector}`` (the two baselines, and the flip detector the default method's
repair reads, ``models/flip_detector.py``).

Each writes a model folder (``RUN_DIR/model``: ``config.yaml`` + weights) that ``jumps evaluate``
reads with ``models.ridge=`` / ``models.masked_conv_ae=`` / ``models.flip_detector=``; the shipped ones
are in ``jumps_pl/pretrained/``.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.callbacks import StochasticWeightAveraging, TQDMProgressBar

from jumps_pl.callbacks import SafeCheckpoint, SaveConfig
from jumps_pl.data.datamodule import MocapDataModule
from jumps_pl.files import check_output
from jumps_pl.loggers import build_logger
from jumps_pl.model_folders import write_model_folder
from jumps_pl.trainers import make_trainer

BASELINES = ("ridge", "masked-conv-ae", "flip-detector")


def train_baseline(name: str, config: dict, wandb_online: bool = False) -> Path:
    """Fit ``name`` (a baseline or the flip detector) from a resolved config; returns its model folder."""
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; known: {', '.join(BASELINES)}")
    pl.seed_everything(config["seed"], workers=True)
    run_dir = Path(config["train"]["run_dir"])
    check_output(run_dir / "model", overwrite=False, option="another train.run_dir")  # before any work
    datamodule = MocapDataModule(**config["data"])
    started = time.perf_counter()
    if name == "ridge":
        from jumps_pl.baselines.ridge import fit_on_training_split

        datamodule.setup()
        ridge = config["baselines"]["ridge"]
        model = fit_on_training_split(datamodule, ridge["alpha"], ridge["passes"])
        return write_model_folder(run_dir / "model", {**config, "fit_seconds": round(time.perf_counter() - started, 1)},
                                  "ridge", write_weights=lambda folder: model.save(folder / "weights.npz"),
                                  overwrite=False)
    if name == "flip-detector":
        from jumps_pl.models.flip_detector import FlipDetector

        module, key = FlipDetector(**config["baselines"]["flip_detector"]), "flip_detector"
    else:
        from jumps_pl.baselines.masked_conv_ae import MaskedConvAE

        module, key = MaskedConvAE(**config["baselines"]["masked_conv_ae"]), "masked_conv_ae"
    callbacks = [SafeCheckpoint(dirpath=run_dir / "checkpoints", save_last=True),
                 SaveConfig(config, run_dir)]
    trainer_args = dict(config["trainer"])
    trainer_args["max_epochs"] = config["baselines"][f"{key}_epochs"]
    if trainer_args.get("enable_progress_bar", True):
        callbacks.append(TQDMProgressBar(refresh_rate=20))
    average_from = config["baselines"].get(f"{key}_average_from", 0)
    if average_from:  # the mean of the weights at the end of every epoch from that one on (SWA at the same rate)
        lr = config["baselines"][key]["lr"]
        callbacks.append(StochasticWeightAveraging(swa_lrs=lr, swa_epoch_start=int(average_from), annealing_epochs=1))
    trainer = make_trainer(trainer_args, logger=build_logger(config["logging"], run_dir, config, wandb_online),
                           callbacks=callbacks, default_root_dir=str(run_dir))
    trainer.fit(module, datamodule=datamodule, ckpt_path=config["train"]["resume"])
    seconds = round(time.perf_counter() - started, 1)
    return write_model_folder(run_dir / "model", {**config, "fit_seconds": seconds, "epochs": trainer.current_epoch},
                              name, state_dict=module.state_dict(), overwrite=False)
