"""The Lightning Trainer from ``trainer.*``: every command that trains builds it here, before it writes anything.

So settings Lightning refuses end the command with exit 2 and no run folder.
"""
from __future__ import annotations

import pytorch_lightning as pl

from jumps_pl.config import ConfigError
from jumps_pl.schema import check_accelerator


def make_trainer(trainer_args: dict, **fixed) -> pl.Trainer:
    """``pl.Trainer(**trainer_args, **fixed)``, its refusals as ``ConfigError`` (exit 2) naming the setting.

    Call it before anything is written: the loggers create their files only once training starts.
    """
    from lightning_fabric.utilities.exceptions import MisconfigurationException

    problems = check_accelerator(trainer_args)
    if problems:
        raise ConfigError("\n  ".join(problems))
    try:
        return pl.Trainer(**trainer_args, **fixed)
    except (TypeError, ValueError, MisconfigurationException) as err:
        raise ConfigError(f"trainer.*: pytorch_lightning.Trainer refused the settings: {err}") from None
