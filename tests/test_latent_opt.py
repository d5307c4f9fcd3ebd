"""Latent optimization on a tiny trained model and real clips."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import jumps_pl
import jumps_pl.data.bvh
from conftest import REPO, data_config
from jumps_pl import skeleton
from jumps_pl.data.datamodule import MocapDataModule
from jumps_pl.methods.jumps.latent_opt import LatentOptimizer
from jumps_pl.methods.jumps.method import load_jumps as load_model
from jumps_pl.models.normalization import Normalization
from jumps_pl.windows import blend_weights, window_starts

SETTINGS = dict(starts=4, iterations=40, lr=0.05, prior_weight=0.0, align=True, encoder_start=True, overlap=16,
                batch_windows=8, seed=0)


@pytest.fixture(scope="module")
def model(tiny_checkpoint):
    return load_model(tiny_checkpoint)[0]


@pytest.fixture(scope="module")
def real_windows(clip_archive, tmp_path_factory):
    dm = MocapDataModule(**data_config(clip_archive, tmp_path_factory.mktemp("c"), batch_size=4, bench_windows=4))
    dm.setup()
    return dm.to_2d(next(iter(dm.val_dataloader())))


def test_a_generated_input_is_reached_with_near_zero_contextual_loss(model):
    torch.manual_seed(3)
    with torch.no_grad():
        generated = model.generator(model.sample_prior(2))
    norm = Normalization(torch.tensor([[900.0, 500.0], [400.0, 600.0]]), torch.tensor([60.0, 90.0]))
    target = norm.invert(generated)
    mask = torch.ones(target.shape[:3], dtype=torch.bool)
    start = LatentOptimizer(model, **{**SETTINGS, "iterations": 0}).optimize_windows(target, mask)[1]
    final = LatentOptimizer(model, **{**SETTINGS, "iterations": 300}).optimize_windows(target, mask)[1]
    assert (final < 1e-3).all() and (final < 0.05 * start).all(), (start, final)


def _fitted_from_the_encoder(model, keypoints, mask, **settings):
    """One start from E(x), 150 iterations: the latent z and the aligned G(z), normalized units."""
    optimizer = LatentOptimizer(model, **{**SETTINGS, "starts": 1, "iterations": 150, **settings})
    _, x, present, w = optimizer._normalized(keypoints, mask, None)
    z = optimizer._initial_latents(x, present, 0).requires_grad_(True)
    optimizer._fit(z, x, w, optimizer.iterations, None)
    with torch.no_grad():
        return z, optimizer._loss(z, x, w)[1]


def test_the_latent_prior_pulls_the_fit_towards_the_origin(model, real_windows):
    keypoints = real_windows["keypoints_px"]
    mask = torch.zeros(keypoints.shape[:3], dtype=torch.bool)
    mask[..., torch.as_tensor(skeleton.INPUT_INDICES)] = True
    norms = {}
    for weight in (0.0, 1.0):
        z = _fitted_from_the_encoder(model, keypoints, mask, latent_weight=weight)[0]
        norms[weight] = z.detach().pow(2).flatten(1).mean(1)
    assert (norms[1.0] < norms[0.0]).all(), norms


def test_the_smoothness_prior_lowers_the_fits_acceleration(model, real_windows):
    keypoints = real_windows["keypoints_px"]
    mask = torch.zeros(keypoints.shape[:3], dtype=torch.bool)
    mask[..., torch.as_tensor(skeleton.INPUT_INDICES)] = True
    mask[:, 20:40] = False  # a gap in every input joint, as completion's bursts
    accel = {}
    for weight in (0.0, 10.0):
        poses = _fitted_from_the_encoder(model, keypoints, mask, smooth_weight=weight)[1]
        accel[weight] = (poses[:, 2:] - 2 * poses[:, 1:-1] + poses[:, :-2]).pow(2).sum(-1).mean(dim=(1, 2))
    assert (accel[10.0] < accel[0.0]).all(), accel


def test_a_cosine_schedule_still_reaches_a_generated_input(model):
    torch.manual_seed(3)
    with torch.no_grad():
        generated = model.generator(model.sample_prior(2))
    norm = Normalization(torch.tensor([[900.0, 500.0], [400.0, 600.0]]), torch.tensor([60.0, 90.0]))
    target, mask = norm.invert(generated), torch.ones(generated.shape[:3], dtype=torch.bool)
    losses = {}
    for iterations, schedule in ((0, "constant"), (300, "constant"), (300, "cosine")):
        optimizer = LatentOptimizer(model, **{**SETTINGS, "iterations": iterations, "lr_schedule": schedule})
        losses[iterations, schedule] = optimizer.optimize_windows(target, mask)[1]
    start, cosine = losses[0, "constant"], losses[300, "cosine"]
    # annealed over the whole fit, not cut short: far below the start, and not the constant rate's path
    assert (cosine < 0.05 * start).all() and not torch.allclose(cosine, losses[300, "constant"]), losses
    with pytest.raises(ValueError, match="infer.lr_schedule"):
        LatentOptimizer(model, **{**SETTINGS, "lr_schedule": "linear"})


def test_the_starts_kept_run_as_with_every_start_and_the_others_stop(model, real_windows):
    keypoints = real_windows["keypoints_px"]
    mask = torch.zeros(keypoints.shape[:3], dtype=torch.bool)
    mask[..., torch.as_tensor(skeleton.INPUT_INDICES)] = True
    latents = {}
    for keep in (None, 2):
        optimizer = LatentOptimizer(model, **{**SETTINGS, "keep_starts": keep, "keep_after": 10})
        _, x, present, w = optimizer._normalized(keypoints, mask, None)
        z = optimizer._initial_latents(x, present, 0).requires_grad_(True)
        x_rep, w_rep = x.repeat_interleave(4, dim=0), w.repeat_interleave(4, dim=0)
        optimizer._fit(z, x_rep, w_rep, optimizer.iterations, None)
        with torch.no_grad():
            latents[keep] = (z.detach().clone(), optimizer._loss(z, x_rep, w_rep)[0].view(-1, 4))
    for window in range(len(keypoints)):  # 2 of the 4 starts per window ran as in the full fit (up to the
        rows = slice(4 * window, 4 * window + 4)  # rounding of a smaller batch), the 2 others stopped early
        gaps = [(a - b).abs().max().item() for a, b in zip(latents[None][0][rows], latents[2][0][rows], strict=True)]
        assert sorted(gaps)[1] < 1e-3 < sorted(gaps)[2], (window, gaps)
    # the best of the kept starts is about as good as the best of all (a start left behind wins at times)
    full, kept = latents[None][1].min(1).values, latents[2][1].min(1).values
    assert (kept <= 1.01 * full).all(), (full, kept)


def test_missing_joints_never_reach_the_result(model, real_windows):
    keypoints = real_windows["keypoints_px"]
    mask = torch.zeros(keypoints.shape[:3], dtype=torch.bool)
    mask[..., torch.as_tensor(skeleton.INPUT_INDICES)] = True
    mask[:, 10:20, 3] = False
    altered = keypoints.clone()
    altered[~mask] = torch.randn_like(altered[~mask]) * 1000
    optimizer = LatentOptimizer(model, **SETTINGS)
    assert torch.equal(optimizer.optimize_windows(keypoints, mask)[0], optimizer.optimize_windows(altered, mask)[0])


def test_alignment_off_is_a_different_method(model, real_windows):
    keypoints = real_windows["keypoints_px"][:2]
    mask = torch.ones(keypoints.shape[:3], dtype=torch.bool)
    aligned = LatentOptimizer(model, **SETTINGS).optimize_windows(keypoints, mask)[0]
    plain = LatentOptimizer(model, **{**SETTINGS, "align": False}).optimize_windows(keypoints, mask)[0]
    assert not torch.allclose(aligned, plain)


def test_windows_cover_any_length_and_blend_without_seams(model, clip_folder):
    starts = window_starts(200, 64, 16)
    assert starts[0] == 0 and starts[-1] == 200 - 64 and np.all(np.diff(starts) <= 48)
    assert window_starts(20, 64, 16).tolist() == [0]
    weights = blend_weights(64, 16)
    assert weights.min() > 0 and np.all(np.diff(weights[:17]) > 0)

    clip = jumps_pl.data.bvh.load_bvh(sorted(clip_folder.glob("*.bvh"))[5])
    order = [clip.names.index(n) for n in skeleton.HIGH_RES_JOINTS]
    positions = clip.positions[:, order]
    frames = min(len(positions), 180)
    keypoints = (positions[:frames, :, [0, 1]] * np.array([300.0, -300.0]) + np.array([960.0, 900.0]))
    mask = np.zeros((frames, 21), dtype=bool)
    mask[:, skeleton.INPUT_INDICES] = True
    out = LatentOptimizer(model, **SETTINGS).predict_track(keypoints.astype(np.float32), mask).positions
    assert out.shape == (frames, 21, 2) and np.isfinite(out).all()
    jumps = np.linalg.norm(np.diff(out, axis=0), axis=-1).max(axis=1)  # (frames - 1,)
    borders = [s - 1 for s in window_starts(frames, 64, 16)[1:]] + [s + 63 for s in window_starts(frames, 64, 16)[:-1]]
    inside = np.delete(jumps, borders)
    assert jumps[borders].max() <= 2.0 * np.percentile(inside, 99), (jumps[borders], np.percentile(inside, 99))
    short = LatentOptimizer(model, **SETTINGS).predict_track(keypoints[:20].astype(np.float32), mask[:20]).positions
    assert short.shape == (20, 21, 2) and np.isfinite(short).all()


def test_library_upsample_takes_twelve_coco_joints(tiny_checkpoint, real_windows):
    low_res = real_windows["keypoints_px"][0][:, torch.as_tensor(skeleton.INPUT_INDICES)].numpy()
    out = jumps_pl.upsample(low_res, ckpt=tiny_checkpoint, iterations=5, starts=2)
    assert isinstance(out, np.ndarray) and out.shape == (64, 21, 2) and np.isfinite(out).all()
    with pytest.raises(ValueError, match="expected \\(frames, 12\\|17\\|21, 2\\|3\\)"):
        jumps_pl.upsample(np.zeros((5, 13, 2)), ckpt=tiny_checkpoint)


def test_evaluate_end_to_end_writes_table_json_plot_example_and_predictions(
        tiny_checkpoint, tiny_checkpoint_no_encoder, clip_archive, tmp_path):
    out, npz, plot, example = tmp_path / "results.json", tmp_path / "pred.npz", tmp_path / "p.png", tmp_path / "e.png"
    result = subprocess.run(
        [sys.executable, "-m", "jumps_pl.cli", "evaluate", "--ckpt", str(tiny_checkpoint), "--out", str(out),
         "--ckpt-no-encoder", str(tiny_checkpoint_no_encoder), "--plot", str(plot), "--render", str(example),
         "--save-predictions", str(npz), f"data.root={clip_archive}", f"data.cache_dir={tmp_path / 'c'}",
         "data.bench_windows=4", "infer.iterations=3", "infer.starts=2"],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=os.environ.copy())
    assert result.returncode == 0, result.stderr[-3000:]
    document = json.loads(out.read_text())
    assert document["windows"] == 4 and document["split"] == "test-bench"
    results = document["results"]
    assert set(results) == {"upsampling", "completion", "hpe", "hpe-confident", "hpe-confident-wide"}
    # every row of the table, the baselines from the shipped model folders
    rows = {"JUMPS + fusion", "JUMPS", "JUMPS w/o alignment", "JUMPS w/o encoder", "JUMPS + repair",
            "JUMPS + ridge transfer", "ridge", "ridge+savgol", "ridge+gaussian", "ridge+one-euro",
            "continuity+ridge+savgol", "masked-conv-ae", "masked-conv-ae (real)"}
    # the repair row only on the detector tasks, the paper's ablations on the paper's tasks only
    assert set(results["upsampling"]) == rows - {"JUMPS + repair"}
    assert set(results["hpe"]) == rows
    assert set(results["hpe-confident"]) == rows - {"JUMPS w/o alignment", "JUMPS w/o encoder"}
    assert set(results["hpe-confident-wide"]) == set(results["hpe-confident"])
    assert "by_style" in results["hpe-confident-wide"]["JUMPS + fusion"]
    assert 0 <= results["hpe-confident"]["JUMPS + fusion"]["repair"]["flips_correct"] <= 1
    assert set(results["completion"]["JUMPS"]) == {"added", "input", "all", "missing", "per_joint"}
    assert set(results["upsampling"]["ridge"]["per_joint"]) == set(skeleton.ADDED_JOINTS)
    ridge = results["upsampling"]["ridge"]["added"]
    assert len(ridge["curve"]) == 101 and ridge["curve"] == sorted(ridge["curve"])
    assert ridge["curve"][-1] == pytest.approx(ridge["pckh@1.0"], abs=1e-5)
    # exact inputs: ridge reproduces the input joints, so its input-set PCKh@0.1 is (almost) 1
    assert results["upsampling"]["ridge"]["input"]["pckh@0.1"] > 0.99
    for image in (plot, example):
        assert plt.imread(image).shape[0] > 100
    assert 0.0 <= results["hpe"]["JUMPS"]["added"]["auc"] <= 1.0
    assert "| JUMPS w/o alignment |" in result.stdout
    arrays = np.load(npz)
    assert arrays["upsampling/JUMPS/pred_px"].shape == arrays["target_px"].shape == (4, 64, 21, 2)
    assert arrays["completion/missing"].any() and arrays["head_size_px"].shape == (4, 64)
    assert arrays["hpe/JUMPS w/o encoder/pred_px"].shape == (4, 64, 21, 2)


@pytest.mark.corpus
def test_evaluate_refuses_a_missing_checkpoint_with_a_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "jumps_pl.cli", "evaluate", "--ckpt", str(tmp_path / "no.ckpt")],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "no.ckpt does not exist" in result.stderr and "Traceback" not in result.stderr


