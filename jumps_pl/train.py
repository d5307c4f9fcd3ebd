"""`jumps train`: the DataModule, the model and the Trainer, built from one resolved config."""
from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.callbacks import TQDMProgressBar

from jumps_pl.callbacks import LatentOptimizationCallback, SafeCheckpoint, SaveConfig, SkeletonImages, TimedCheckpoint
from jumps_pl.data.datamodule import MocapDataModule
from jumps_pl.loggers import build_logger
from jumps_pl.models.jumps_gan import JumpsGAN
from jumps_pl.trainers import make_trainer


def build_trainer(config: dict, run_dir: Path, wandb_online: bool) -> pl.Trainer:
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
    callbacks = [checkpoints, SaveConfig(config, run_dir),
                 SkeletonImages(run_dir, train["image_every_n_epochs"], train["image_samples"])]
    if not every_steps:
        callbacks.append(TimedCheckpoint(run_dir / "checkpoints", train["checkpoint_every_minutes"]))
    latent_eval = train["latent_eval"]
    if latent_eval["every_n_epochs"] > 0:
        infer = {**config["infer"], **{k: latent_eval[k] for k in ("iterations", "starts")}}
        callbacks.append(LatentOptimizationCallback(latent_eval["every_n_epochs"], latent_eval["windows"], infer))
    if config["trainer"].get("enable_progress_bar", True):
        callbacks.append(TQDMProgressBar(refresh_rate=10))
    logger = build_logger(config["logging"], run_dir, config, wandb_online)
    trainer_args = dict(config["trainer"])
    if trainer_args.get("strategy") == "ddp":
        # Critic and generator steps alternate, so each backward leaves the other nets' weights unused.
        trainer_args["strategy"] = "ddp_find_unused_parameters_true"
    return make_trainer(trainer_args, logger=logger, callbacks=callbacks, default_root_dir=str(run_dir))


def run_training(config: dict, wandb_online: bool) -> Path:
    """Train from a resolved config dict; returns the run folder (checkpoints, config.yaml, images)."""
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
