"""Fitting the baselines on the training split: ``jumps train-baseline {ridge,masked-conv-ae}``.

Each writes a model folder (``RUN_DIR/model``: ``config.yaml`` + weights) that ``jumps evaluate``
reads with ``models.ridge=`` / ``models.masked_conv_ae=``; the shipped ones are in ``jumps_pl/pretrained/``.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.callbacks import TQDMProgressBar

from jumps_pl.callbacks import SafeCheckpoint, SaveConfig
from jumps_pl.data.datamodule import MocapDataModule
from jumps_pl.files import check_output
from jumps_pl.loggers import build_logger
from jumps_pl.model_folders import write_model_folder
from jumps_pl.trainers import make_trainer

BASELINES = ("ridge", "masked-conv-ae")


def train_baseline(name: str, config: dict, wandb_online: bool = False) -> Path:
    """Fit baseline ``name`` from a resolved config; returns its model folder."""
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
    from jumps_pl.baselines.masked_conv_ae import MaskedConvAE

    module = MaskedConvAE(**config["baselines"]["masked_conv_ae"])
    callbacks = [SafeCheckpoint(dirpath=run_dir / "checkpoints", save_last=True),
                 SaveConfig(config, run_dir)]
    trainer_args = dict(config["trainer"])
    trainer_args["max_epochs"] = config["baselines"]["masked_conv_ae_epochs"]
    if trainer_args.get("enable_progress_bar", True):
        callbacks.append(TQDMProgressBar(refresh_rate=20))
    trainer = make_trainer(trainer_args, logger=build_logger(config["logging"], run_dir, config, wandb_online),
                           callbacks=callbacks, default_root_dir=str(run_dir))
    trainer.fit(module, datamodule=datamodule, ckpt_path=config["train"]["resume"])
    seconds = round(time.perf_counter() - started, 1)
    return write_model_folder(run_dir / "model", {**config, "fit_seconds": seconds, "epochs": trainer.current_epoch},
                              "masked-conv-ae", state_dict=module.state_dict(), overwrite=False)
