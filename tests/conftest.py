"""Shared fixtures: small slices of the real corpus in ../shared, in both forms users have it."""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_CORPUS = Path(os.environ.get("JUMPS_DATA_ROOT", REPO.parent / "shared" / "datasets" / "bandai-namco-motion"))
ARCHIVE = SHARED_CORPUS / "dataset-1" / "data.zip"


def real_clip_names(count: int, archive: Path = ARCHIVE) -> list[str]:
    """The first ``count`` BVH members of a real archive, by name."""
    with zipfile.ZipFile(archive) as z:
        return sorted(m for m in z.namelist() if m.endswith(".bvh"))[:count]


def read_member(name: str, archive: Path = ARCHIVE) -> bytes:
    with zipfile.ZipFile(archive) as z:
        return z.read(name)


@pytest.fixture(scope="session")
def real_clip_bytes() -> bytes:
    """One real clip (dataset-1, ~100 frames)."""
    return read_member(real_clip_names(1)[0])


@pytest.fixture(scope="session")
def clip_folder(tmp_path_factory) -> Path:
    """A plain folder of 40 real clips from dataset-1 (every split is represented)."""
    folder = tmp_path_factory.mktemp("clips")
    for name in real_clip_names(40):
        (folder / Path(name).name).write_bytes(read_member(name))
    return folder


@pytest.fixture(scope="session")
def clip_archive(tmp_path_factory, clip_folder) -> Path:
    """The same 40 clips as a zip archive under data/, as the source distributes them."""
    folder = tmp_path_factory.mktemp("archive")
    path = folder / "data.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for bvh in sorted(clip_folder.glob("*.bvh")):
            z.write(bvh, f"data/{bvh.name}")
    return folder


def data_config(root: Path, cache_dir: Path | None, **overrides) -> dict:
    """The default data section, pointed at ``root``, with overrides (as the CLI would build it)."""
    from jumps_pl.config import load_config, to_container

    cfg = to_container(load_config(overrides=[f"data.root={root}", f"data.cache_dir={cache_dir}"]))["data"]
    cfg.update(overrides)
    return cfg


TINY_MODEL = ("model.width=16", "model.latent_channels=4", "model.n_critic=2", "model.lr_critic=1e-3",
              "model.lr_generator=1e-3", "data.batch_size=16", "data.train_stride=16", "data.bench_windows=4",
              "trainer.accelerator=cpu", "trainer.log_every_n_steps=1", "trainer.enable_progress_bar=false",
              "logging.logger=csv", "train.image_every_n_epochs=1", "train.image_samples=1",
              "train.latent_eval.every_n_epochs=0")


def tiny_config(root: Path, tmp_path: Path, *overrides: str) -> dict:
    """A resolved config for a tiny model on ``root``, running under ``tmp_path/run``."""
    from jumps_pl.config import load_config, to_container

    return to_container(load_config(overrides=[
        f"data.root={root}", f"data.cache_dir={tmp_path / 'cache'}", f"train.run_dir={tmp_path / 'run'}",
        *TINY_MODEL, *overrides]))


def _train_tiny(root: Path, tmp: Path, *overrides: str) -> Path:
    from jumps_pl.training import run_training

    config = tiny_config(root, tmp, "trainer.max_epochs=2", "trainer.limit_train_batches=10",
                         "train.image_every_n_epochs=0", *overrides)
    return run_training(config, wandb_online=False) / "checkpoints" / "last.ckpt"


@pytest.fixture(scope="session")
def tiny_checkpoint(clip_archive, tmp_path_factory) -> Path:
    """A tiny JUMPS model trained for a few batches on real clips (seconds)."""
    return _train_tiny(clip_archive, tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_checkpoint_no_encoder(clip_archive, tmp_path_factory) -> Path:
    """The same without encoder (the ablation's model)."""
    return _train_tiny(clip_archive, tmp_path_factory.mktemp("tiny-noenc"), "model.use_encoder=false")
