"""What every hpe-real script starts from: the resolved config with its overrides, and the corpus set up."""
from __future__ import annotations

from jumps_pl.config import load_config, to_container
from jumps_pl.data.datamodule import MocapDataModule


def config_and_corpus(settings: list[str]) -> tuple[dict, MocapDataModule]:
    """The config (``key=value`` overrides applied) and its ``MocapDataModule``, set up."""
    config = to_container(load_config(overrides=settings))
    datamodule = MocapDataModule(**config["data"])
    datamodule.setup()
    return config, datamodule
