"""Training runs: `jumps train` (the AE-WGAN prior) and `jumps train-baseline NAME`.

`jumps train-baseline` fits whatever the training registry holds: the baselines and the flip detector.
Every run's callbacks, logger and Trainer are assembled here (``_trainer``), from one resolved config.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback, StochasticWeightAveraging, TQDMProgressBar

from jumps_pl.callbacks import LatentOptimizationCallback, SafeCheckpoint, SaveConfig, SkeletonImages, TimedCheckpoint
from jumps_pl.data.datamodule import MocapDataModule
from jumps_pl.files import check_output
from jumps_pl.loggers import build_logger
from jumps_pl.methods import trainable as find_trainable
from jumps_pl.methods.jumps.latent_opt import optimizer_settings
from jumps_pl.methods.jumps.model import JumpsGAN
from jumps_pl.model_folders import write_model_folder
from jumps_pl.trainers import make_trainer


def _trainer(config: dict, run_dir: Path, wandb_online: bool, callbacks: list[Callback], progress_every: int,
             **trainer_changes) -> pl.Trainer:
    """The Trainer of a run: ``callbacks`` plus the config saved beside the run, a progress bar and a logger.

    The progress bar unless ``trainer.enable_progress_bar`` is false; the logger of ``logging.*``.
    """
    trainer_args = {**config["trainer"], **trainer_changes}
    callbacks = [*callbacks, SaveConfig(config, run_dir)]
    if trainer_args.get("enable_progress_bar", True):
        callbacks.append(TQDMProgressBar(refresh_rate=progress_every))
    logger = build_logger(config["logging"], run_dir, config, wandb_online)
    return make_trainer(trainer_args, logger=logger, callbacks=callbacks, default_root_dir=str(run_dir))


def build_trainer(config: dict, run_dir: Path, wandb_online: bool) -> pl.Trainer:
    """The Trainer of `jumps train`: checkpoints, skeleton images and the latent-optimization evaluation.

    Checkpoints per step (``train.checkpoint_every_n_steps``), or per epoch and every few minutes.
    """
    train = config["train"]
    every_steps = train["checkpoint_every_n_steps"]
    if every_steps:
        checkpoints = SafeCheckpoint(dirpath=run_dir / "checkpoints", filename="step{step}",
                                      auto_insert_metric_name=False, save_last=True, save_top_k=-1,
                                      every_n_train_steps=every_steps)
    else:  # one per epoch, and last.ckpt every few minutes and at every epoch end (TimedCheckpoint)
        checkpoints = SafeCheckpoint(dirpath=run_dir / "checkpoints", filename="epoch{epoch}",
                                      auto_insert_metric_name=False, save_last=False, save_top_k=-1,
                                      every_n_epochs=1, save_on_train_epoch_end=True)
    callbacks = [checkpoints, SkeletonImages(run_dir, train["image_every_n_epochs"], train["image_samples"])]
    if not every_steps:
        callbacks.append(TimedCheckpoint(run_dir / "checkpoints", train["checkpoint_every_minutes"]))
    latent_eval = train["latent_eval"]
    if latent_eval["every_n_epochs"] > 0:
        infer = {**optimizer_settings(config["infer"]), **{k: latent_eval[k] for k in ("iterations", "starts")}}
        callbacks.append(LatentOptimizationCallback(latent_eval["every_n_epochs"], latent_eval["windows"], infer))
    changes = {}
    if config["trainer"].get("strategy") == "ddp":
        # Critic and generator steps alternate, so each backward leaves the other nets' weights unused.
        changes["strategy"] = "ddp_find_unused_parameters_true"
    return _trainer(config, run_dir, wandb_online, callbacks, 10, **changes)


def run_training(config: dict, wandb_online: bool) -> Path:
    """`jumps train` from a resolved config dict; returns the run folder (checkpoints, config.yaml, images)."""
    pl.seed_everything(config["seed"], workers=True)
    run_dir = Path(config["train"]["run_dir"])
    resume = config["train"]["resume"]
    if resume and not Path(resume).is_file():
        raise FileNotFoundError(f"train.resume={resume}: no such checkpoint")
    trainer = build_trainer(config, run_dir, wandb_online)  # refused settings stop here; nothing is written yet
    datamodule = MocapDataModule(**config["data"])
    datamodule.setup("fit")  # a bad data root fails here, before any run folder or logger file exists
    model = JumpsGAN(**config["model"])
    trainer.fit(model, datamodule=datamodule, ckpt_path=config["train"]["resume"])
    return run_dir


def train_baseline(name: str, config: dict, wandb_online: bool = False) -> Path:
    """Fit ``name`` (a name of the training registry, ``jumps_pl.methods.trainable``) from a resolved config.

    Returns its model folder (``train.run_dir/model``: config.yaml + weights).
    """
    trainable = find_trainable(name)
    pl.seed_everything(config["seed"], workers=True)
    run_dir = Path(config["train"]["run_dir"])
    check_output(run_dir / "model", overwrite=False, option="another train.run_dir")  # before any work
    datamodule = MocapDataModule(**config["data"])
    started = time.perf_counter()
    if trainable.fit is not None:
        model = trainable.fit(datamodule, config)
        return write_model_folder(run_dir / "model", {**config, "fit_seconds": round(time.perf_counter() - started, 1)},
                                  name, write_weights=lambda folder: model.save(folder / "weights.npz"),
                                  overwrite=False)
    key = trainable.config_key
    module = trainable.module(**config["baselines"][key])
    callbacks: list[Callback] = [SafeCheckpoint(dirpath=run_dir / "checkpoints", save_last=True)]
    average_from = config["baselines"].get(f"{key}_average_from", 0)
    if average_from:  # the mean of the weights at the end of every epoch from that one on (SWA at the same rate)
        callbacks.append(StochasticWeightAveraging(swa_lrs=config["baselines"][key]["lr"],
                                                   swa_epoch_start=int(average_from), annealing_epochs=1))
    trainer = _trainer(config, run_dir, wandb_online, callbacks, 20, max_epochs=config["baselines"][f"{key}_epochs"])
    trainer.fit(module, datamodule=datamodule, ckpt_path=config["train"]["resume"])
    seconds = round(time.perf_counter() - started, 1)
    return write_model_folder(run_dir / "model", {**config, "fit_seconds": seconds, "epochs": trainer.current_epoch},
                              name, state_dict=module.state_dict(), overwrite=False)
