"""Callbacks for training runs: the config, safe checkpoints, skeleton images, upsampling quality.

The resolved config goes beside the run and inside checkpoints; upsampling quality is measured by latent
optimization during training.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from weakref import proxy

import numpy as np
import pytorch_lightning as pl
import torch
import yaml
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.loggers import TensorBoardLogger, WandbLogger

from jumps_pl import skeleton
from jumps_pl.files import commit, temporary_path, write_text
from jumps_pl.model_folders import CONFIG_KEY
from jumps_pl.models.normalization import fit_normalization
from jumps_pl.render import draw_sequences, save_png


class SaveConfig(pl.Callback):
    """Writes ``config.yaml`` into the run folder and stores the resolved config in every checkpoint."""

    def __init__(self, config: dict, run_dir: str | Path):
        self.config = config
        self.run_dir = Path(run_dir)

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        """Writes ``config.yaml`` (rank 0) and logs the whole config as hyperparameters on every logger."""
        if trainer.is_global_zero:
            write_text(self.run_dir / "config.yaml", yaml.safe_dump(self.config, sort_keys=False))
        for logger in trainer.loggers:  # the whole config on the dashboard (wandb's run starts here, not before)
            logger.log_hyperparams(self.config)

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                           checkpoint: dict[str, Any]) -> None:
        """Stores the resolved config in the checkpoint (``CONFIG_KEY``): it travels with the weights."""
        checkpoint[CONFIG_KEY] = self.config


class SafeCheckpoint(ModelCheckpoint):
    """Lightning's ModelCheckpoint, writing each file to a temporary name and renaming it when complete.

    Through ``jumps_pl.files``, so a killed run never leaves half a checkpoint under a real name.
    """

    def _save_checkpoint(self, trainer: pl.Trainer, filepath: str) -> None:
        tmp = temporary_path(filepath)
        trainer.save_checkpoint(tmp, self.save_weights_only)  # every rank takes part; rank 0 writes
        if trainer.is_global_zero:
            commit(tmp, filepath)
        trainer.strategy.barrier()
        self._last_global_step_saved = trainer.global_step
        self._last_checkpoint_saved = filepath
        if trainer.is_global_zero:
            for logger in trainer.loggers:
                logger.after_save_checkpoint(proxy(self))


class TimedCheckpoint(pl.Callback):
    """Writes ``checkpoints/last.ckpt`` every ``every_minutes`` of training and at every epoch end.

    Atomically, via a temporary file. Lightning's ModelCheckpoint ignores ``train_time_interval``
    under manual optimization, so a killed run would otherwise lose everything since its last epoch end.
    """

    def __init__(self, dirpath: str | Path, every_minutes: float):
        self.path = Path(dirpath) / "last.ckpt"
        self.every_seconds = 60.0 * every_minutes
        self._last = 0.0
        self.saves = 0

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Starts the clock for the first timed save."""
        self._last = time.monotonic()

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any,
                           batch: Any, batch_idx: int) -> None:
        """Saves once ``every_minutes`` have passed since the last save (rank 0's clock decides for all)."""
        due = time.monotonic() - self._last >= self.every_seconds
        if trainer.world_size > 1:  # every rank must take part in saving, so rank 0 decides
            due = trainer.strategy.broadcast(due)
        if due:
            self._save(trainer)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Saves at every epoch end."""
        self._save(trainer)

    def _save(self, trainer: pl.Trainer) -> None:
        tmp = temporary_path(self.path)
        trainer.save_checkpoint(tmp)
        if trainer.is_global_zero:
            commit(tmp, self.path)
        self._last = time.monotonic()
        self.saves += 1


class SkeletonImages(pl.Callback):
    """Every N epochs: real, reconstructed (full and input-only) and generated windows, as skeletons.

    Saved as PNG under ``RUN/images/`` and sent to wandb or TensorBoard when that is the logger.
    """

    def __init__(self, run_dir: str | Path, every_n_epochs: int, samples: int):
        self.image_dir = Path(run_dir) / "images"
        self.every_n_epochs = every_n_epochs
        self.samples = samples

    def on_validation_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any,
                                batch: dict[str, Any], batch_idx: int, dataloader_idx: int = 0) -> None:
        """On the first validation batch of every N-th epoch (rank 0): draws, saves and logs the image."""
        if (batch_idx != 0 or not trainer.is_global_zero or trainer.sanity_checking or self.every_n_epochs < 1
                or trainer.current_epoch % self.every_n_epochs):
            return
        image = self.draw(pl_module, batch["keypoints_px"][: self.samples])
        self.image_dir.mkdir(parents=True, exist_ok=True)
        save_png(self.image_dir / f"epoch{trainer.current_epoch:04d}.png", image)
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image(key="val/skeletons", images=[image], step=trainer.global_step)
            elif isinstance(logger, TensorBoardLogger):
                logger.experiment.add_image("val/skeletons", image, trainer.global_step, dataformats="HWC")

    @torch.no_grad()
    def draw(self, pl_module: pl.LightningModule, keypoints_px: torch.Tensor) -> np.ndarray:
        """Rows per sample: ground truth, reconstructions, then as many generated windows."""
        norm = fit_normalization(keypoints_px)
        x = norm.apply(keypoints_px)
        rows: dict[str, np.ndarray] = {}
        fakes = norm.invert(pl_module.generator(pl_module.sample_prior(len(x))))
        for i in range(len(x)):
            rows[f"real {i}"] = keypoints_px[i].cpu().numpy()
            if pl_module.encoder is not None:
                rows[f"G(E(x)) {i}"] = norm.invert(pl_module.reconstruct(x))[i].cpu().numpy()
            rows[f"G(z) {i}"] = fakes[i].cpu().numpy()
        return draw_sequences(rows)


class LatentOptimizationCallback(pl.Callback):
    """Every N validation epochs: upsample a fixed validation subset by latent optimization and log the result.

    Logs PCKh@0.1/0.5/1.0 and AUC on the added joints (``val/pckh@0.1_added``, ..., ``val/auc_added``).
    """

    def __init__(self, every_n_epochs: int, windows: int, infer: dict):
        self.every_n_epochs = every_n_epochs
        self.windows = windows
        self.infer = infer

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Every N-th epoch (not in the sanity check): upsamples the subset and logs the added joints' scores."""
        if (self.every_n_epochs < 1 or trainer.sanity_checking
                or (trainer.current_epoch + 1) % self.every_n_epochs):
            return
        from jumps_pl.evaluation.tasks import make_task
        from jumps_pl.methods.jumps.latent_opt import LatentOptimizer
        from jumps_pl.metrics import pckh, pckh_auc

        target, head = self._subset(trainer)
        given = make_task("upsampling", target.cpu().numpy(), head.cpu().numpy(), seed=0)
        optimizer = LatentOptimizer(pl_module, **self.infer)
        pred = optimizer.optimize_windows(torch.as_tensor(given.keypoints_px), torch.as_tensor(given.mask))[0]
        mask = torch.zeros(target.shape[:3], dtype=torch.bool)
        mask[..., torch.as_tensor(skeleton.ADDED_INDICES)] = True
        target, head = target.cpu(), head.cpu()
        values = pckh(pred, target, head, mask, (0.1, 0.5, 1.0)).tolist()
        logs = {f"val/pckh@{a}_added": v for a, v in zip((0.1, 0.5, 1.0), values, strict=True)}
        logs["val/auc_added"] = pckh_auc(pred, target, head, mask).item()
        pl_module.log_dict(logs, sync_dist=False, rank_zero_only=True)

    def _subset(self, trainer: pl.Trainer) -> tuple[torch.Tensor, torch.Tensor]:
        """The first ``windows`` validation windows, with their fixed cameras."""
        datamodule = trainer.datamodule
        dataset = datamodule.datasets["val"]
        items = [dataset[i] for i in range(min(self.windows, len(dataset)))]
        batch = datamodule.to_2d(torch.utils.data.default_collate(items))
        return batch["keypoints_px"], batch["head_size_px"]
