"""Every setting is checked before work starts: a bad-input corpus per command family.

Each case runs the real command line (``jumps_pl.cli.main``) in an empty folder and asserts exit status
2, a message naming the culprit (key, value or file), no traceback (``main`` returns instead of
raising), and nothing written in the folder.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import SHARED_CORPUS, STREET_MEDIA
from jumps_pl.cli import main

STREET = STREET_MEDIA / "alphapose-results.json"

NUMERIC = [  # (override, what the message must name)
    ("infer.starts=abc", "infer.starts"), ("infer.starts=0", "infer.starts=0"),
    ("infer.iterations=-1", "infer.iterations"), ("infer.lr=0", "infer.lr"), ("infer.lr=fast", "infer.lr"),
    ("infer.prior_weight=-0.1", "infer.prior_weight"), ("infer.overlap=64", "infer.overlap"),
    ("infer.lr_schedule=linear", "infer.lr_schedule"), ("infer.latent_weight=-1", "infer.latent_weight"),
    ("infer.batch_windows=0", "infer.batch_windows=0"), ("infer.align=maybe", "infer.align"),
    ("upsample.min_confidence=1.5", "upsample.min_confidence"),
    ("upsample.min_confidence=abc", "upsample.min_confidence"),
    ("upsample.fps=-30", "upsample.fps"), ("upsample.method=nope", "upsample.method"),
    ("data.window=abc", "data.window"), ("data.window=4", "data.window"), ("data.batch_size=0", "data.batch_size"),
    ("data.split=train2", "data.split"), ("data.fps=0", "data.fps"), ("data.bench_windows=0", "data.bench_windows"),
    ("data.eval_camera.pitch_deg=[30,10]", "data.eval_camera.pitch_deg"),
    ("data.eval_camera.yaw_deg=[0]", "data.eval_camera.yaw_deg"), ("data.ood_stride=0", "data.ood_stride"),
    ("model.width=0", "model.width"), ("model.n_critic=0", "model.n_critic"),
    ("model.downsamplings=9", "model.downsamplings"),
    ("model.encoder_masking.drop_max=2", "model.encoder_masking.drop_max"),
    ("model.betas=[0.5,1.5]", "model.betas"), ("model.nan_policy=ignore", "model.nan_policy"),
    ("train.checkpoint_every_minutes=-1", "train.checkpoint_every_minutes"),
    ("train.latent_eval.starts=0", "train.latent_eval.starts"),
    ("evaluate.windows=0", "evaluate.windows"), ("evaluate.rows=[JUMPS,nope]", "'nope'"),
    ("evaluate.tasks=[hpe,dance]", "'dance'"), ("evaluate.example=-1", "evaluate.example"),
    ("baselines.savgol.window=14", "baselines.savgol.window"), ("baselines.savgol.order=20", "baselines.savgol.order"),
    ("baselines.one_euro.min_cutoff=0", "baselines.one_euro.min_cutoff"),
    ("baselines.gaussian.sigma=-1", "baselines.gaussian.sigma"),
    ("baselines.masked_conv_ae.noise_prob=1.2", "baselines.masked_conv_ae.noise_prob"),
    ("trainer.max_steps=abc", "trainer.max_steps"), ("trainer.max_epochs=-5", "trainer.max_epochs"),
    ("trainer.devices=0", "trainer.devices"), ("trainer.accelerator=quantum", "trainer.accelerator"),
    ("trainer.precision=17", "trainer.precision"), ("trainer.strategy=nope", "trainer.strategy"),
    ("logging.logger=stdout", "logging.logger"),
    ("infer.repair.ratio=1.5", "infer.repair.ratio"), ("infer.repair.iterations=-1", "infer.repair.iterations"),
    ("fusion.smoothing=-1", "fusion.smoothing"), ("fusion.transfer=[1,1]", "fusion.transfer"),
    ("fusion.repair=sometimes", "fusion.repair"), ("upsample.untangle=2", "upsample.untangle"),
    ("data.source_balance=1.5", "data.source_balance"), ("data.speed=[1.2,0.8]", "data.speed"),
    ("data.speed=[0,1]", "data.speed"), ("data.bone_jitter=-0.1", "data.bone_jitter"),
    ("model.reconstruction_epochs=-1", "model.reconstruction_epochs"), ("model.lr_generator=0", "model.lr_generator"),
    ("train.image_every_n_epochs=-1", "train.image_every_n_epochs"),
    ("trainer.limit_val_batches=abc", "trainer.limit_val_batches"), ("trainer.limit_train_batches=1.5",
                                                                   "trainer.limit_train_batches"),
    ("trainer.max_epoch=3", "trainer.max_epoch"),  # not a Trainer argument (did you mean max_epochs?)
    ("infer.startz=3", "infer.startz"), ("nope=1", "nope"),  # unknown keys
]


def _run(tmp_path: Path, monkeypatch, capsys, *argv: str) -> str:
    work = tmp_path / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("WANDB_MODE", "offline")
    status = main(list(argv))
    err = capsys.readouterr().err
    assert status == 2, err
    assert "Traceback" not in err
    assert sorted(p.name for p in work.iterdir()) == [], f"written: {list(work.iterdir())}"
    return err


@pytest.mark.street
@pytest.mark.parametrize("override, culprit", NUMERIC, ids=[o for o, _ in NUMERIC])
def test_upsample_refuses_bad_settings(override, culprit, tmp_path, monkeypatch, capsys):
    err = _run(tmp_path, monkeypatch, capsys, "upsample", str(STREET), "--out", "out.npz", override)
    assert culprit in err


@pytest.mark.parametrize("override, culprit", NUMERIC, ids=[o for o, _ in NUMERIC])
def test_train_refuses_bad_settings(override, culprit, tmp_path, monkeypatch, capsys, clip_folder):
    err = _run(tmp_path, monkeypatch, capsys, "train", f"data.root={clip_folder}", override)
    assert culprit in err


EVALUATE = [case for case in NUMERIC if case[0].split(".")[0] in ("infer", "evaluate", "baselines", "data")]


@pytest.mark.parametrize("override, culprit", EVALUATE, ids=[o for o, _ in EVALUATE])
def test_evaluate_refuses_bad_settings(override, culprit, tmp_path, monkeypatch, capsys, clip_folder):
    err = _run(tmp_path, monkeypatch, capsys, "evaluate", f"data.root={clip_folder}", "--out", "e.json", override)
    assert culprit in err


def test_a_train_start_that_fails_creates_no_run_folder(tmp_path, monkeypatch, capsys):
    err = _run(tmp_path, monkeypatch, capsys, "train", f"data.root={tmp_path / 'nowhere'}", "logging.logger=wandb")
    assert "nowhere" in err
    err = _run(tmp_path / "b", monkeypatch, capsys, "train", f"data.root={SHARED_CORPUS}", "train.resume=no.ckpt")
    assert "train.resume=no.ckpt" in err


@pytest.mark.parametrize("text, culprit", [
    ("data: {window: 32\n", "line"),            # malformed YAML: the parser's line
    ("- just\n- a list\n", "mapping"),
    ("infer:\n  starts: many\n", "infer.starts"),
    ("model:\n  width: -3\n", "model.width"),
    ("nonsense_section: {a: 1}\n", "nonsense_section"),
])
def test_config_files_are_checked_like_overrides(text, culprit, tmp_path, monkeypatch, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    err = _run(tmp_path, monkeypatch, capsys, "data-stats", str(config))
    assert culprit in err and ("bad.yaml" in err or culprit.startswith("infer") or culprit.startswith("model"))


@pytest.mark.parametrize("content, culprit", [
    ('[{"image_id": "0.jpg", "keypoints": [1, 2', "line 1"),                    # truncated JSON
    ('[{"image_id": "0.jpg", "category_id": 1, "keypoints": [1, 2, 3], "score": 1}]', "entry 0"),  # wrong count
    ("", "empty"),
])
def test_keypoint_files_are_checked_before_work(content, culprit, tmp_path, monkeypatch, capsys):
    source = tmp_path / "poses.json"
    source.write_text(content)
    err = _run(tmp_path, monkeypatch, capsys, "upsample", str(source), "--out", "out.npz")
    assert "poses.json" in err and culprit in err


@pytest.mark.street
def test_an_existing_output_is_kept(tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    (work / "out.npz").write_bytes(b"mine")
    monkeypatch.chdir(work)
    assert main(["upsample", str(STREET), "--out", "out.npz", "--method", "ridge"]) == 2
    assert (work / "out.npz").read_bytes() == b"mine" and "--overwrite" in capsys.readouterr().err
    assert json.loads(json.dumps(sorted(p.name for p in work.iterdir()))) == ["out.npz"]


def test_train_refuses_an_accelerator_this_machine_lacks(tmp_path, monkeypatch, capsys, clip_folder):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    err = _run(tmp_path, monkeypatch, capsys, "train", f"data.root={clip_folder}", "trainer.accelerator=cuda",
               "logging.logger=wandb")
    assert "trainer.accelerator='cuda'" in err and "no such device" in err


@pytest.mark.parametrize("extra, culprit", [
    (["infer.starts=abc"], "infer.starts"), (["baselines.masked_conv_ae_epochs=0"], "masked_conv_ae_epochs"),
    (["baselines.masked_conv_ae_average_from=-1"], "masked_conv_ae_average_from"),
    (["trainer.accelerator=quantum"], "trainer.accelerator"), (["logging.logger=stdout"], "logging.logger"),
])
def test_train_baseline_refuses_bad_settings(extra, culprit, tmp_path, monkeypatch, capsys, clip_folder):
    err = _run(tmp_path, monkeypatch, capsys, "train-baseline", "masked-conv-ae", f"data.root={clip_folder}", *extra)
    assert culprit in err


@pytest.mark.parametrize("extra, culprit", [
    (["infer.starts=abc"], "infer.starts"), (["--windows", "0"], "--windows"),
    (["--methods", "ridge,nope"], "'nope'"), (["--check", "train"], "--check"),
    (["--check", "val", "--check-windows", "0"], "--check-windows"),
])
def test_calibrate_refuses_bad_settings(extra, culprit, tmp_path, monkeypatch, capsys, clip_folder):
    err = _run(tmp_path, monkeypatch, capsys, "calibrate", f"data.root={clip_folder}", "--out", "c.yaml", *extra)
    assert culprit in err


def test_sweep_refuses_a_bad_point_before_running_any(tmp_path, monkeypatch, capsys, clip_folder):
    sweep = tmp_path / "s.yaml"
    sweep.write_text("method: grid\nparameters:\n  infer.starts: {values: [2, abc]}\n"
                     "  evaluate.rows: {value: '[ridge]'}\n")
    err = _run(tmp_path, monkeypatch, capsys, "sweep", str(sweep), "--out", "s.json", f"data.root={clip_folder}")
    assert "infer.starts=abc" in err and "s.yaml" in err


@pytest.mark.street
@pytest.mark.parametrize("extra, culprit", [
    (["--fps", "-1"], "--fps"), (["--width", "0"], "--width"), (["--out", "r.avi"], "r.avi"),
    (["--uncertainty"], "uncertainty"),
])
def test_render_refuses_bad_arguments(extra, culprit, tmp_path, monkeypatch, capsys):
    source = tmp_path / "in.npz"
    monkeypatch.chdir(tmp_path)
    assert main(["upsample", str(STREET), "--out", str(source), "--method", "ridge", "--fps", "50", "--quiet"]) == 0
    capsys.readouterr()
    if "--uncertainty" in extra:  # an output with no uncertainty (a method without a calibration)
        with np.load(source) as data:
            arrays = {key: data[key] for key in data.files if key != "uncertainty_px"}
        np.savez(source, **arrays)
    out = [] if "--out" in extra else ["--out", "r.gif"]
    err = _run(tmp_path, monkeypatch, capsys, "render", str(source), *out, *extra)
    assert culprit in err


def test_export_refuses_a_missing_checkpoint_and_an_existing_folder(tmp_path, monkeypatch, capsys):
    err = _run(tmp_path, monkeypatch, capsys, "export", "no.ckpt", "--out", "m")
    assert "no.ckpt" in err
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "mine.txt").write_text("mine")
    err = _run(tmp_path / "b", monkeypatch, capsys, "export", "no.ckpt", "--out", str(tmp_path / "kept"))
    assert "kept exists" in err and (tmp_path / "kept" / "mine.txt").read_text() == "mine"


@pytest.mark.parametrize("extra, culprit", [
    (["data.window=abc"], "data.window"), (["data.root=/nowhere/at/all"], "/nowhere/at/all"),
])
def test_data_stats_refuses_bad_settings(extra, culprit, tmp_path, monkeypatch, capsys):
    err = _run(tmp_path, monkeypatch, capsys, "data-stats", *extra)
    assert culprit in err


@pytest.mark.street
def test_upsample_refuses_a_calibration_file_that_does_not_exist(tmp_path, monkeypatch, capsys):
    err = _run(tmp_path, monkeypatch, capsys, "upsample", str(STREET), "--out", "out.npz", "--method", "ridge",
               "upsample.calibration=nope.yaml")
    assert "upsample.calibration=nope.yaml" in err


def test_the_library_object_checks_a_config_dict_built_by_hand():
    from jumps_pl.config import ConfigError, load_config, to_container
    from jumps_pl.upsampler import Upsampler

    config = to_container(load_config())
    config["infer"]["starts"] = 0
    with pytest.raises(ConfigError, match="infer.starts=0"):
        Upsampler(method="ridge", config=config)


def test_train_baseline_keeps_a_model_folder_it_would_replace(tmp_path, monkeypatch, capsys, clip_folder):
    kept = tmp_path / "work" / "run" / "model"
    kept.mkdir(parents=True)
    (kept / "mine.txt").write_text("mine")
    monkeypatch.chdir(tmp_path / "work")
    assert main(["train-baseline", "ridge", f"data.root={clip_folder}", "train.run_dir=run"]) == 2
    assert "another train.run_dir" in capsys.readouterr().err and (kept / "mine.txt").read_text() == "mine"


@pytest.mark.street
def test_upsample_names_the_latency_option_it_refuses(tmp_path, monkeypatch, capsys):
    err = _run(tmp_path, monkeypatch, capsys, "upsample", str(STREET), "--out", "o.npz", "--method", "ridge",
               "--latency", "-1")
    assert "--latency -1" in err


def test_the_default_trainer_section_is_what_lightning_takes():
    """Commands that do not train take the defaults' ``trainer.*`` as checked (no Lightning import): hold
    them to it."""
    from jumps_pl.config import _default_trainer
    from jumps_pl.schema import check_trainer

    assert check_trainer(_default_trainer()) == []
