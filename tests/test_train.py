"""`jumps train` end to end: loggers, DDP with two CPU processes, and resuming a killed run."""
from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch

from conftest import REPO, TINY_MODEL
from jumps_pl.callbacks import CONFIG_KEY
from jumps_pl.methods.jumps.model import JumpsGAN


def _command(root: Path, tmp_path: Path, *overrides: str) -> list[str]:
    return [sys.executable, "-m", "jumps_pl.cli", "train", f"data.root={root}", f"data.cache_dir={tmp_path / 'cache'}",
            f"train.run_dir={tmp_path / 'run'}", *TINY_MODEL, *overrides]


def _run(command: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JUMPS_RUN_")}
    return subprocess.run(command, cwd=REPO, env={**clean, **env}, capture_output=True, text=True, timeout=600)


def test_train_with_the_csv_logger_writes_metrics_images_config_and_checkpoint(clip_archive, tmp_path):
    result = _run(_command(clip_archive, tmp_path, "trainer.max_epochs=1", "trainer.limit_train_batches=3"))
    assert result.returncode == 0, result.stderr[-3000:]
    run = tmp_path / "run"
    header = (run / "metrics.csv").read_text().splitlines()[0].split(",")
    for key in ("train/loss_d", "train/wasserstein", "train/gradient_penalty", "train/loss_g", "train/loss_mix",
                "train/loss_rec_pos", "train/loss_rec_vel", "train/loss_rec_backward", "grad_norm/critic",
                "grad_norm/generator", "lr/critic", "lr/generator", "val/rec_error_head_input_only"):
        assert key.replace("grad_norm", "train/grad_norm") in header or key in header, key
    assert (run / "images" / "epoch0000.png").stat().st_size > 10_000
    assert "width: 16" in (run / "config.yaml").read_text()
    checkpoint = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert checkpoint[CONFIG_KEY]["train"]["run_dir"] == str(run)


def test_checkpoints_every_epoch_and_every_few_minutes_under_manual_optimization(clip_archive, tmp_path):
    # Lightning's ModelCheckpoint ignores train_time_interval with manual optimization: TimedCheckpoint
    # writes last.ckpt instead; 0 minutes means after every batch.
    result = _run(_command(clip_archive, tmp_path, "trainer.max_epochs=2", "trainer.limit_train_batches=3",
                           "train.checkpoint_every_minutes=0", "train.image_every_n_epochs=0"))
    assert result.returncode == 0, result.stderr[-3000:]
    folder = tmp_path / "run" / "checkpoints"
    assert sorted(p.name for p in folder.iterdir()) == ["epoch0.ckpt", "epoch1.ckpt", "last.ckpt"]
    steps = {name: torch.load(folder / name, map_location="cpu", weights_only=False)["global_step"]
             for name in ("epoch0.ckpt", "last.ckpt")}
    assert steps["last.ckpt"] == 2 * steps["epoch0.ckpt"] == 2 * 3 * 3  # n_critic 2 + 1 steps per batch


def test_train_with_wandb_offline_logs_the_resolved_config(clip_archive, tmp_path):
    result = _run(_command(clip_archive, tmp_path, "logging.logger=wandb", "trainer.max_epochs=1",
                           "trainer.limit_train_batches=2"), WANDB_MODE="offline", WANDB_API_KEY="")
    assert result.returncode == 0, result.stderr[-3000:]
    runs = list((tmp_path / "run" / "wandb").glob("offline-run-*"))
    assert len(runs) == 1
    record = next(runs[0].glob("run-*.wandb")).read_bytes()  # offline runs keep the config in the run log
    assert b"n_critic" in record and str(clip_archive).encode() in record and b"loss_rec_pos" in record
    assert list((runs[0] / "files" / "media" / "images" / "val").glob("skeletons_*.png"))


@pytest.mark.slow
def test_ddp_with_two_cpu_processes_gives_a_loadable_checkpoint(clip_archive, tmp_path):
    result = _run(_command(clip_archive, tmp_path, "trainer.devices=2", "trainer.strategy=ddp",
                           "trainer.max_epochs=1", "trainer.limit_train_batches=3", "train.image_every_n_epochs=0"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "distributed_backend=gloo" in result.stderr + result.stdout
    assert "All distributed processes registered. Starting with 2 processes" in result.stderr + result.stdout
    path = tmp_path / "run" / "checkpoints" / "last.ckpt"
    model = JumpsGAN.load_from_checkpoint(path, map_location="cpu")
    assert torch.load(path, map_location="cpu", weights_only=False)["global_step"] == 3 * 3
    assert all(torch.isfinite(p).all() for p in model.parameters())


class _CaptureStart(pl.Callback):
    def on_train_start(self, trainer, pl_module):
        self.global_step, self.epoch = trainer.global_step, trainer.current_epoch
        self.batches_done = trainer.fit_loop.epoch_loop.batch_progress.current.completed
        self.optimizers = [copy.deepcopy(o.state_dict()) for o in trainer.optimizers]


@pytest.mark.slow
def test_a_run_killed_mid_epoch_resumes_with_its_step_epoch_and_optimizer_states(clip_archive, tmp_path):
    # 3 optimizer steps per batch (n_critic 2); a checkpoint every 2 batches; killed after the one at step 12.
    process = subprocess.Popen(_command(clip_archive, tmp_path, "trainer.max_epochs=1",
                                        "train.checkpoint_every_n_steps=6", "train.image_every_n_epochs=0"),
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = tmp_path / "run" / "checkpoints" / "step12.ckpt"
    deadline = time.time() + 300
    while not target.exists() and time.time() < deadline and process.poll() is None:
        time.sleep(0.2)
    for _ in range(50):  # let the write finish: kill once the checkpoint loads whole
        try:
            torch.load(target, map_location="cpu", weights_only=False)
            break
        except Exception:
            time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert target.exists()
    saved = torch.load(target, map_location="cpu", weights_only=False)

    from conftest import tiny_config
    from jumps_pl.data.datamodule import MocapDataModule
    from jumps_pl.training import build_trainer

    config = tiny_config(clip_archive, tmp_path, "trainer.max_epochs=1", "trainer.limit_train_batches=6",
                         "train.image_every_n_epochs=0")
    capture = _CaptureStart()
    trainer = build_trainer(config, tmp_path / "resumed", wandb_online=False)
    trainer.callbacks.append(capture)
    trainer.fit(JumpsGAN(**config["model"]), datamodule=MocapDataModule(**config["data"]), ckpt_path=target)
    assert (capture.global_step, capture.epoch) == (12, 0) and saved["epoch"] == 0
    # Mid-epoch: Lightning counts the batch whose end wrote the checkpoint as not yet completed.
    assert capture.batches_done == 3
    for restored, stored in zip(capture.optimizers, saved["optimizer_states"], strict=True):
        for key, state in stored["state"].items():
            assert torch.equal(restored["state"][key]["exp_avg"], state["exp_avg"])
            assert torch.equal(restored["state"][key]["step"], state["step"])
    assert trainer.global_step == 6 * 3  # it finished the epoch from there


def test_two_runs_in_one_process_each_get_their_own_folder(clip_archive, tmp_path, monkeypatch):
    # rank 0 hands its run folder to DDP children through the environment, for its own run only
    from jumps_pl.cli import main

    monkeypatch.delenv("JUMPS_RUN_DIR", raising=False)
    monkeypatch.delenv("JUMPS_RUN_NAME", raising=False)
    for name in ("first", "second"):
        command = _command(clip_archive, tmp_path, "trainer.max_epochs=1", "trainer.limit_train_batches=1",
                           "trainer.limit_val_batches=1", "train.image_every_n_epochs=0")[3:]
        command = [c.replace(str(tmp_path / "run"), str(tmp_path / name)) for c in command]
        assert main(command) == 0
        assert (tmp_path / name / "checkpoints" / "last.ckpt").is_file()
        assert "JUMPS_RUN_DIR" not in os.environ
