"""Shared fixtures: small slices of the real corpus in ../shared, in both forms users have it; the markers
of tests that need what a fresh clone lacks.

Tests that need the corpus are marked ``corpus`` (those using the corpus fixtures are marked here), those
that need the street media ``street``, those that run MediaPipe ``detect``; without them they skip, saying
why. ``JUMPS_HIDE_SHARED=1`` runs as
a fresh clone would (../shared taken as absent). ``JUMPS_NO_SKIPS=1`` (CI, with ../shared) fails the run
when anything but a ``gpu`` test skipped.
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HIDE_SHARED = os.environ.get("JUMPS_HIDE_SHARED") == "1"
# hidden: a folder that does not exist, so that an unmarked test reading ../shared fails as on a fresh clone
SHARED = REPO.parent / ("shared-hidden" if HIDE_SHARED else "shared")
SHARED_CORPUS = Path(os.environ.get("JUMPS_DATA_ROOT") or SHARED / "datasets" / "bandai-namco-motion")
ARCHIVE = SHARED_CORPUS / "dataset-1" / "data.zip"
STREET_MEDIA = SHARED / "media" / "street"
SAMPLE = REPO / "data" / "sample" / "walk-detections.json"
HAS_CORPUS = ARCHIVE.exists() and not HIDE_SHARED
HAS_STREET = STREET_MEDIA.exists() and not HIDE_SHARED
_CORPUS_FIXTURES = {"clip_folder", "clip_archive", "real_clip_bytes", "tiny_checkpoint", "tiny_checkpoint_no_encoder",
                    "training_windows"}
_SKIPPED: list[str] = []


def pytest_collection_modifyitems(config, items):
    """Mark the tests that use the corpus fixtures; skip what this machine cannot run, saying why."""
    import torch

    reasons = {
        "corpus": None if HAS_CORPUS else "needs the mocap corpus: run `make data` (data/README.md) or set "
                                          "JUMPS_DATA_ROOT",
        "street": None if HAS_STREET else "needs ../shared/media/street, which is not distributable "
                                          "(OpenPose's non-commercial licence): nothing to run it on",
        "gpu": None if torch.cuda.is_available() else "needs a CUDA GPU",
        "detect": None if _has_mediapipe() else "needs MediaPipe Pose: pip install 'jumps-pl[detect]' "
                                                 "(`make test` installs it)",
    }
    for item in items:
        if _CORPUS_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.corpus)
        for marker, reason in reasons.items():
            if reason and item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=reason))
                break


def _has_mediapipe() -> bool:
    from importlib.util import find_spec

    return find_spec("mediapipe") is not None


def pytest_runtest_logreport(report):
    """Remember what skipped, unless it is a GPU test (CI allows those skips only)."""
    if report.skipped and "gpu" not in report.keywords:
        _SKIPPED.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    """With ``JUMPS_NO_SKIPS=1``, a skip other than a GPU test's fails the run."""
    if os.environ.get("JUMPS_NO_SKIPS") == "1" and _SKIPPED and exitstatus == 0:
        print(f"\nJUMPS_NO_SKIPS=1: {len(_SKIPPED)} test(s) skipped, e.g. {_SKIPPED[0]}")
        session.exitstatus = 1


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


@pytest.fixture(scope="session")
def training_windows(clip_archive, tmp_path_factory):
    """One batch of training windows of the 40 real clips under fresh cameras: keypoints (B, 64, 21, 2) px
    and head sizes (B, 64)."""
    from jumps_pl.data.datamodule import MocapDataModule

    dm = MocapDataModule(**data_config(clip_archive, tmp_path_factory.mktemp("cache"), train_stride=16))
    dm.setup()
    batch = dm.to_2d(next(iter(dm.dataloader("train"))), augment=True)
    return batch["keypoints_px"].numpy(), batch["head_size_px"].numpy()
