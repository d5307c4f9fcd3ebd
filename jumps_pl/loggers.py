"""Experiment loggers for training runs: wandb (offline unless logged in), CSV or TensorBoard.

wandb itself is imported only when a run logs to it (Lightning's WandbLogger imports it lazily).
"""
from __future__ import annotations

import netrc
import os
from pathlib import Path

from pytorch_lightning.loggers import CSVLogger, Logger, TensorBoardLogger, WandbLogger

from jumps_pl.config import ConfigError
from jumps_pl.schema import LOGGERS


def wandb_logged_in() -> bool:
    """True when wandb has an API key (environment or ~/.netrc), so runs can sync online."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is not None
    except (FileNotFoundError, netrc.NetrcParseError):
        return False


def build_logger(logging_cfg: dict, run_dir: Path, config: dict, online: bool) -> Logger:
    """The Lightning logger ``logging.logger`` names, writing under ``run_dir``; wandb offline unless ``online``."""
    kind = logging_cfg["logger"]
    if kind == "csv":
        return CSVLogger(save_dir=str(run_dir), name="", version="")
    if kind == "tensorboard":
        try:
            return TensorBoardLogger(save_dir=str(run_dir), name="", version="")
        except ModuleNotFoundError:
            raise ConfigError("logging.logger=tensorboard needs `pip install tensorboard`") from None
    if kind == "wandb":
        # the run (and its folder) starts lazily, once training starts; SaveConfig logs the config then
        return WandbLogger(project=logging_cfg["project"], name=logging_cfg["name"], save_dir=str(run_dir),
                           offline=not online)
    raise ConfigError(f"logging.logger must be one of {', '.join(LOGGERS)}, got {kind!r}")
