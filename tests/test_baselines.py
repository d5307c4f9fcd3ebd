"""Baselines on real clips: ridge (+ Savitzky-Golay), the ridge transfer, and masked-conv-ae trained
with a real Lightning Trainer; model folders load with weights_only."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import data_config, tiny_config
from jumps_pl import skeleton
from jumps_pl.data.datamodule import MocapDataModule
from jumps_pl.evaluation.tasks import make_task
from jumps_pl.methods.masked_conv_ae.method import load_masked_conv_ae
from jumps_pl.methods.ridge.method import load_ridge
from jumps_pl.methods.ridge.model import RidgeBaseline, fit_on_training_split
from jumps_pl.methods.transfer.method import transfer_residual
from jumps_pl.model_folders import pretrained_dir, read_model_config
from jumps_pl.smoothing import savgol

PRETRAINED = pretrained_dir()


@pytest.fixture(scope="module")
def windows(clip_archive, tmp_path_factory):
    """Training datamodule and the test-bench windows (ground truth px, head sizes) of 40 real clips."""
    cfg = data_config(clip_archive, tmp_path_factory.mktemp("cache"), bench_windows=8)
    datamodule = MocapDataModule(**cfg)
    datamodule.setup()
    batch = datamodule.to_2d(next(iter(datamodule.dataloader("test-bench"))))
    return datamodule, batch["keypoints_px"].numpy(), batch["head_size_px"].numpy()


@pytest.fixture(scope="module")
def ridge(windows):
    return fit_on_training_split(windows[0], alpha=1.0, passes=1)


def test_ridge_recovers_the_added_joints_of_unseen_windows(ridge, windows):
    _, target, head = windows
    given = make_task("upsampling", target, head, seed=0)
    pred = ridge.predict(given.keypoints_px, given.mask)
    error = np.linalg.norm(pred - target, axis=-1) / head[..., None]
    # input joints come back through the linear map almost exactly; added joints within a head size
    assert error[..., skeleton.INPUT_INDICES].mean() < 0.05
    assert error[..., skeleton.ADDED_INDICES].mean() < 0.5
    # the training mean pose placed on each frame's hips (a ridge shrunk to its bias) is much worse:
    # the fit learned how the added joints follow the input
    datamodule = windows[0]
    mean_pose = RidgeBaseline(alpha=1e12).fit([datamodule.to_2d(b, augment=True)["keypoints_px"].numpy()
                                                for b in datamodule.dataloader("train")])
    mean_error = np.linalg.norm(mean_pose.predict(given.keypoints_px, given.mask) - target, axis=-1) / head[..., None]
    assert error[..., skeleton.ADDED_INDICES].mean() < 0.5 * mean_error[..., skeleton.ADDED_INDICES].mean()


def test_ridge_fills_hidden_entries_and_savgol_smooths_detector_noise(ridge, windows):
    _, target, head = windows
    completion = make_task("completion", target, head, seed=0)
    pred = ridge.predict(completion.keypoints_px, completion.mask)
    assert np.isfinite(pred).all() and completion.missing.any()
    hpe = make_task("hpe", target, head, seed=0)
    raw = ridge.predict(hpe.keypoints_px, hpe.mask)
    smooth = savgol(raw, 15, 2)
    jitter = lambda p: np.abs(np.diff(p, n=2, axis=1)).mean()  # noqa: E731
    assert jitter(smooth) < 0.5 * jitter(raw)
    assert np.linalg.norm(smooth - target, axis=-1).mean() < np.linalg.norm(raw - target, axis=-1).mean()


def test_ridge_transfer_leaves_a_prediction_that_already_matches_the_input(ridge, windows):
    _, target, head = windows
    given = make_task("upsampling", target, head, seed=0)
    np.testing.assert_allclose(transfer_residual(ridge, target, given.keypoints_px, given.mask), target, atol=1e-2)
    shifted = target.copy()
    shifted[..., skeleton.ADDED_INDICES, :] += 5.0  # the transfer keeps what the model adds beyond the input
    out = transfer_residual(ridge, shifted, given.keypoints_px, given.mask)
    np.testing.assert_allclose(out, shifted, atol=1e-2)


def test_ridge_weights_round_trip_and_bad_files_are_named(ridge, tmp_path):
    ridge.save(tmp_path / "r.npz")
    again = RidgeBaseline.load(tmp_path / "r.npz")
    np.testing.assert_array_equal(again.weights, ridge.weights)
    np.savez(tmp_path / "bad.npz", weights=np.zeros((3, 3)), fill_mean=np.zeros((12, 2)), alpha=1.0)
    with pytest.raises(ValueError, match="bad.npz: not ridge weights"):
        RidgeBaseline.load(tmp_path / "bad.npz")


def test_masked_conv_ae_trains_with_a_real_trainer_and_loads_from_its_folder(clip_archive, tmp_path, windows):
    from jumps_pl.training import train_baseline

    config = tiny_config(clip_archive, tmp_path, "baselines.masked_conv_ae.width=16", "trainer.limit_train_batches=5",
                         "baselines.masked_conv_ae_epochs=2", "baselines.masked_conv_ae_average_from=1",
                         "train.image_every_n_epochs=0")
    folder = train_baseline("masked-conv-ae", config)
    assert read_model_config(folder)["kind"] == "masked-conv-ae" and read_model_config(folder)["epochs"] == 2
    state = torch.load(folder / "weights.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    # baselines.masked_conv_ae_average_from: the weights kept are the mean over epochs 1.., not the last's
    last = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    differs = [k for k in state if k in last and state[k].is_floating_point() and not torch.equal(state[k], last[k])]
    assert differs
    net = load_masked_conv_ae(folder)
    _, target, head = windows
    given = make_task("completion", target, head, seed=0)
    with torch.no_grad():
        pred = net.predict_px(torch.as_tensor(given.keypoints_px), torch.as_tensor(given.mask))
    assert pred.shape == target.shape and torch.isfinite(pred).all()
    from jumps_pl.methods.masked_conv_ae.model import MaskedConvAE

    mask = MaskedConvAE(**config["baselines"]["masked_conv_ae"])._training_mask((8, 64, 21), "cpu")
    assert not mask[..., skeleton.ADDED_INDICES].any() and mask[..., skeleton.INPUT_INDICES].float().mean() < 1.0


def test_the_flip_detector_trains_with_a_real_trainer_and_loads_from_its_folder(clip_archive, tmp_path, windows):
    from jumps_pl.methods.jumps.method import load_flip_detector
    from jumps_pl.models.normalization import fit_normalization
    from jumps_pl.training import train_baseline

    config = tiny_config(clip_archive, tmp_path, "baselines.flip_detector.width=16", "trainer.limit_train_batches=5",
                         "baselines.flip_detector_epochs=2", "baselines.flip_detector_average_from=1",
                         "train.image_every_n_epochs=0")
    folder = train_baseline("flip-detector", config)
    assert read_model_config(folder)["kind"] == "flip-detector" and read_model_config(folder)["epochs"] == 2
    metrics = (tmp_path / "run" / "metrics.csv").read_text()
    assert "val/recall" in metrics and "val/false_positive" in metrics
    # the weights kept are the mean over the epochs from baselines.flip_detector_average_from, not the last's
    last = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    kept = torch.load(folder / "weights.pt", weights_only=True)
    assert kept.keys() == last.keys() and not torch.equal(kept["net.head.weight"], last["net.head.weight"])
    detector = load_flip_detector(folder)
    _, target, head = windows
    given = make_task("hpe-confident", target, head, seed=0)
    keypoints, mask = torch.as_tensor(given.keypoints_px), torch.as_tensor(given.mask)
    weights = mask.float() * torch.as_tensor(given.confidence)
    x = fit_normalization(keypoints, mask).apply(keypoints)
    with torch.no_grad():
        logits = detector(torch.where(mask[..., None], x, 0.0), weights)
    assert logits.shape == (*target.shape[:2], 3) and torch.isfinite(logits).all()
    with pytest.raises(ValueError, match="masked-conv-ae model, not a flip-detector"):
        load_flip_detector(PRETRAINED / "masked-conv-ae")


def test_the_shipped_models_are_small_safe_and_complete():
    for name, kind in (("jumps-default", "jumps"), ("jumps-no-encoder", "jumps"), ("masked-conv-ae", "masked-conv-ae"),
                       ("masked-conv-ae-real", "masked-conv-ae"), ("masked-conv-ae-noisy", "masked-conv-ae"),
                       ("ridge", "ridge"), ("flip-detector", "flip-detector"), ("landmark-reader", "landmark-reader")):
        folder = PRETRAINED / name
        config = read_model_config(folder)
        assert config["kind"] == kind and "data" in config and "seed" in config
        size = sum(f.stat().st_size for f in folder.iterdir())
        assert size <= 25 * 2 ** 20, f"{name}: {size} bytes"
        if kind != "ridge":
            state = torch.load(folder / "weights.pt", weights_only=True)
            assert state and all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())
    assert load_ridge(PRETRAINED / "ridge").weights.shape == (25, 42)
    from jumps_pl.methods.jumps.method import load_jumps as load_model

    assert load_model(PRETRAINED / "jumps-no-encoder")[0].encoder is None
    assert load_model(PRETRAINED / "jumps-default")[0].encoder is not None


def test_a_flip_detector_reading_the_reconstruction_error_starts_from_another_and_the_repair_feeds_it(
        clip_archive, tmp_path, windows):
    """Started from the shipped detector, its new channels at zero, it gives that detector's logits; trained
    with a real trainer against the shipped prior, its folder loads, it asks for the prior's reading, and the
    default method's repair reads it with the encoder's."""
    from jumps_pl.config import load_config, to_container
    from jumps_pl.methods import build_methods
    from jumps_pl.methods.jumps.flip_training import FlipDetectorTraining
    from jumps_pl.methods.jumps.method import load_flip_detector
    from jumps_pl.models.normalization import fit_normalization
    from jumps_pl.training import train_baseline

    config = tiny_config(clip_archive, tmp_path, "baselines.flip_detector.labels=pairs",
                         "baselines.flip_detector.reconstruction=true",
                         "baselines.flip_detector.start_from=flip-detector", "trainer.limit_train_batches=3",
                         "baselines.flip_detector_epochs=1", "baselines.flip_detector_average_from=0",
                         "train.image_every_n_epochs=0")
    _, target, head = windows
    given = make_task("hpe-confident", target, head, seed=0)
    keypoints, mask = torch.as_tensor(given.keypoints_px), torch.as_tensor(given.mask)
    weights = mask.float() * torch.as_tensor(given.confidence)
    x = torch.where(mask[..., None], fit_normalization(keypoints, mask).apply(keypoints), 0.0)
    start = FlipDetectorTraining(**config["baselines"]["flip_detector"])
    shipped = load_flip_detector(PRETRAINED / "flip-detector")
    with torch.no_grad():
        reading = start.reading(x, mask)
        assert reading.shape == x.shape and (reading - x).abs().sum() > 0
        torch.testing.assert_close(start(x, weights, reading), shipped(x, weights))
    folder = train_baseline("flip-detector", config)
    detector = load_flip_detector(folder)
    assert detector.reconstruction
    with pytest.raises(ValueError, match="reconstruction error"):
        detector(x, weights)
    with torch.no_grad():
        moved = detector(x, weights, reading)
    assert moved.shape == (*target.shape[:2], 6) and not torch.allclose(moved, shipped(x, weights))
    fused = build_methods(to_container(load_config(overrides=[f"models.flip_detector={folder}"])),
                          ["JUMPS + fusion"])["JUMPS + fusion"]
    assert fused.reader.detector_reads
    out = fused.predict_windows(given.keypoints_px, given.mask, given.confidence)
    assert np.isfinite(out.positions).all() and (out.repair > 0).any()


def test_the_real_detector_row_reads_its_own_network_and_a_composition_its_own_variant(windows):
    """``masked-conv-ae (real)`` reads models.masked_conv_ae_real, not the masked-conv-ae row's network; a
    composition's variant (``Loader.method`` with ``model=``) is built once, apart from the row."""
    from jumps_pl.config import load_config, to_container
    from jumps_pl.methods.base import Loader

    _, target, head = windows
    task = make_task("hpe", target[:4].astype(np.float32), head[:4], 0)
    loader = Loader(to_container(load_config()))
    real, row = loader.method("masked-conv-ae (real)"), loader.method("masked-conv-ae")
    variant = loader.method("masked-conv-ae", model="masked_conv_ae_noisy")
    assert variant is loader.method("masked-conv-ae", model="masked_conv_ae_noisy") and variant is not row
    outputs = {name: method.predict_windows(task.keypoints_px, task.mask, task.confidence).positions
               for name, method in (("real", real), ("row", row), ("variant", variant))}
    with torch.no_grad():
        alone = load_masked_conv_ae(PRETRAINED / "masked-conv-ae-real").predict_px(
            torch.as_tensor(task.keypoints_px), torch.as_tensor(task.mask)).numpy()
    np.testing.assert_allclose(outputs["real"], alone, atol=1e-3)
    assert np.abs(outputs["real"] - outputs["row"]).max() > 1.0
    assert np.abs(outputs["variant"] - outputs["row"]).max() > 1.0
