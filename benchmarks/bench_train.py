"""Training throughput (windows/s) and peak memory of the default config, with a real Trainer.

    python benchmarks/bench_train.py [CONFIG.yaml] [key=value ...]
"""
from __future__ import annotations

import os
import platform
import resource
import sys
import tempfile
import time

import pytorch_lightning as pl
import torch

from jumps_pl.config import load_config, to_container
from jumps_pl.data.datamodule import MocapDataModule
from jumps_pl.methods.jumps.model import JumpsGAN
from jumps_pl.models.networks import count_parameters


class _Timer(pl.Callback):
    """Times training batches after a warm-up, so start-up and the first batches do not count."""

    def __init__(self, warmup: int):
        self.warmup, self.started, self.windows = warmup, None, 0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if batch_idx == self.warmup:
            self.started = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if batch_idx >= self.warmup:
            self.windows += len(batch["keypoints_px"])


def main(argv: list[str]) -> None:
    config_path = argv[0] if argv and "=" not in argv[0] else None
    overrides = argv[1:] if config_path else argv
    config = to_container(load_config(config_path, overrides))
    batches, warmup = 40, 5
    model = JumpsGAN(**config["model"])
    timer = _Timer(warmup)
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = pl.Trainer(**{**config["trainer"], "max_epochs": 1, "limit_train_batches": batches,
                                "limit_val_batches": 0}, logger=False, callbacks=[timer],
                             enable_checkpointing=False, enable_progress_bar=False, default_root_dir=run_dir)
        trainer.fit(model, datamodule=MocapDataModule(**config["data"]))
    seconds = time.perf_counter() - timer.started
    windows_per_s = timer.windows / seconds
    epoch_windows = len(trainer.datamodule.datasets["train"])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    nets = {"encoder": model.encoder, "generator": model.generator, "critic": model.critic}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"device {trainer.strategy.root_device}")
    print("parameters: " + ", ".join(f"{k} {count_parameters(v):,}" for k, v in nets.items() if v is not None))
    print(f"batch {config['data']['batch_size']}, n_critic {config['model']['n_critic']}, "
          f"width {config['model']['width']}, use_encoder {config['model']['use_encoder']}")
    print(f"training: {windows_per_s:,.1f} windows/s over {timer.windows} windows "
          f"({epoch_windows / windows_per_s / 60:.1f} min per epoch of {epoch_windows} windows)")
    print(f"peak resident memory: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
