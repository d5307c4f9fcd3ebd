"""JumpsGAN with a real Trainer on real clips, at a tiny size."""
from __future__ import annotations

import pytest
import pytorch_lightning as pl
import torch

from conftest import tiny_config
from jumps_pl.callbacks import CONFIG_KEY
from jumps_pl.data.datamodule import MocapDataModule
from jumps_pl.methods.jumps.model import DivergenceError, JumpsGAN
from jumps_pl.methods.jumps.networks import Critic, Encoder, Generator
from jumps_pl.models.normalization import fit_normalization
from jumps_pl.training import build_trainer


def _fit(config: dict, callbacks=(), resume=None) -> tuple[pl.Trainer, JumpsGAN, MocapDataModule]:
    pl.seed_everything(config["seed"])
    model, dm = JumpsGAN(**config["model"]), MocapDataModule(**config["data"])
    trainer = build_trainer(config, __import__("pathlib").Path(config["train"]["run_dir"]), wandb_online=False)
    trainer.callbacks.extend(callbacks)
    trainer.fit(model, datamodule=dm, ckpt_path=resume)
    return trainer, model, dm


def test_networks_map_the_documented_shapes():
    x = torch.randn(3, 64, 21, 2)
    z = Encoder(21, 32, 8, 3)(x, torch.rand(3, 64, 21) > 0.3)
    assert z.shape == (3, 8, 8)
    assert Generator(21, 32, 8, 3)(z).shape == (3, 64, 21, 2)
    assert Critic(21, 32, 3, 64)(x).shape == (3,)


def test_normalization_is_invertible_and_uses_only_input_joints():
    keypoints = torch.rand(2, 64, 21, 2) * 500 + 300
    norm = fit_normalization(keypoints)
    assert torch.allclose(norm.invert(norm.apply(keypoints)), keypoints, atol=1e-3)
    low_res = torch.zeros(2, 64, 21, dtype=torch.bool)
    low_res[..., torch.tensor([6, 10, 13, 17])] = True  # both shoulders and both hips
    partial = fit_normalization(keypoints, low_res)
    assert torch.allclose(partial.centre_px, norm.centre_px) and torch.allclose(partial.scale_px, norm.scale_px)


def test_a_few_steps_lower_the_reconstruction_loss(clip_archive, tmp_path):
    config = tiny_config(clip_archive, tmp_path, "trainer.max_epochs=3", "trainer.limit_train_batches=15",
                         "model.lr_generator=2e-3")
    pl.seed_everything(0)
    model, dm = JumpsGAN(**config["model"]), MocapDataModule(**config["data"])
    trainer = build_trainer(config, tmp_path / "run", wandb_online=False)
    before = trainer.validate(model, datamodule=dm, verbose=False)[0]["val/loss_rec_pos"]
    trainer.fit(model, datamodule=dm)
    after = trainer.validate(model, datamodule=dm, verbose=False)[0]["val/loss_rec_pos"]
    assert after < 0.5 * before


def test_both_optimizers_step_the_expected_number_of_times_per_batch(clip_archive, tmp_path):
    config = tiny_config(clip_archive, tmp_path, "trainer.max_epochs=1", "trainer.limit_train_batches=4",
                         "model.n_critic=3")
    trainer, model, _ = _fit(config)
    opt_d, opt_g = (o.optimizer if hasattr(o, "optimizer") else o for o in trainer.optimizers)
    critic_steps = {int(state["step"]) for state in opt_d.state.values()}
    generator_steps = {int(state["step"]) for state in opt_g.state.values()}
    assert critic_steps == {4 * 3} and generator_steps == {4}
    assert trainer.global_step == 4 * (3 + 1)
    assert len(opt_g.param_groups[0]["params"]) == len(list(model.generator.parameters())) + len(
        list(model.encoder.parameters()))


def test_reconstruction_epochs_train_encoder_and_generator_alone_then_the_critic_joins(clip_archive, tmp_path):
    config = tiny_config(clip_archive, tmp_path, "trainer.max_epochs=3", "trainer.limit_train_batches=4",
                         "model.n_critic=3", "model.reconstruction_epochs=2")
    trainer, _, _ = _fit(config)
    opt_d, opt_g = (o.optimizer if hasattr(o, "optimizer") else o for o in trainer.optimizers)
    assert {int(state["step"]) for state in opt_d.state.values()} == {4 * 3}  # the last epoch only
    assert {int(state["step"]) for state in opt_g.state.values()} == {3 * 4}
    assert trainer.global_step == 2 * 4 + 4 * (3 + 1)


def test_encoder_only_epochs_train_the_encoder_alone_on_burst_gaps(clip_archive, tmp_path):
    config = tiny_config(clip_archive, tmp_path, "trainer.max_epochs=2", "trainer.limit_train_batches=3",
                         "model.encoder_only_from=1", "model.encoder_masking.burst_prob=1.0")
    trainer, model, _ = _fit(config)
    opt_d, opt_g = (o.optimizer if hasattr(o, "optimizer") else o for o in trainer.optimizers)
    steps = {p: int(state["step"]) for p, state in opt_g.state.items()}
    generator, encoder = set(model.generator.parameters()), set(model.encoder.parameters())
    assert {n for p, n in steps.items() if p in generator} == {3}  # the first epoch only
    assert {n for p, n in steps.items() if p in encoder} == {6}  # both epochs
    assert {int(state["step"]) for state in opt_d.state.values()} == {3 * 2}  # no critic in the second
    assert all(p.requires_grad for p in model.generator.parameters())  # frozen only while it trains E alone


def test_burst_masking_hides_runs_of_input_frames_in_low_resolution_windows(clip_archive, tmp_path):
    config = tiny_config(clip_archive, tmp_path, "model.encoder_masking.input_only_prob=1.0",
                         "model.encoder_masking.drop_max=0.0", "model.encoder_masking.burst_prob=1.0")
    model = JumpsGAN(**config["model"])
    torch.manual_seed(0)
    mask = model._encoder_mask(torch.zeros(32, 64, 21, 2))
    inputs = torch.as_tensor(__import__("jumps_pl").skeleton.INPUT_INDICES)
    hidden = ~mask[..., inputs]
    assert not mask[..., torch.as_tensor(__import__("jumps_pl").skeleton.ADDED_INDICES)].any()
    assert 0.05 < hidden.float().mean() < 0.4
    starts = (hidden[:, 1:] & ~hidden[:, :-1]).sum() + hidden[:, 0].sum()
    assert hidden.sum() > 4 * starts  # runs of frames, not scattered drops


def test_checkpoint_round_trip_restores_identical_outputs_and_carries_the_config(clip_archive, tmp_path):
    config = tiny_config(clip_archive, tmp_path, "trainer.max_epochs=1", "trainer.limit_train_batches=2")
    trainer, model, _ = _fit(config)
    path = tmp_path / "run" / "checkpoints" / "last.ckpt"
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    assert checkpoint[CONFIG_KEY]["model"]["width"] == config["model"]["width"]
    assert checkpoint[CONFIG_KEY]["data"]["root"] == str(clip_archive)
    restored = JumpsGAN.load_from_checkpoint(path).eval()
    model.eval()
    z = torch.randn(2, *model.latent_shape)
    x = torch.randn(2, 64, 21, 2)
    with torch.no_grad():
        assert torch.equal(restored.generator(z), model.generator(z))
        assert torch.equal(restored.reconstruct(x), model.reconstruct(x))
        assert torch.equal(restored.critic(x), model.critic(x))


def test_without_encoder_trains_a_pure_wgan(clip_archive, tmp_path):
    config = tiny_config(clip_archive, tmp_path, "model.use_encoder=false", "trainer.max_epochs=1",
                         "trainer.limit_train_batches=2")
    trainer, model, _ = _fit(config)
    assert model.encoder is None and not any("encoder" in k for k in model.state_dict())
    assert trainer.global_step == 2 * (config["model"]["n_critic"] + 1)


class _InjectNaN(pl.Callback):
    def __init__(self, at_batch: int):
        self.at_batch = at_batch

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if batch_idx == self.at_batch:
            batch["keypoints_px"][0, 0, 0, 0] = float("nan")


def test_a_nan_loss_stops_training_naming_the_term_and_step_and_no_nan_is_checkpointed(clip_archive, tmp_path):
    config = tiny_config(clip_archive, tmp_path, "trainer.max_epochs=1", "trainer.limit_train_batches=6",
                         "train.checkpoint_every_n_steps=3")
    with pytest.raises(DivergenceError, match=r"loss term \w+ is nan at global step 12 \(epoch 0\)"):
        _fit(config, callbacks=[_InjectNaN(at_batch=4)])
    saved = sorted((tmp_path / "run" / "checkpoints").glob("*.ckpt"))
    assert saved
    for path in saved:
        state = torch.load(path, map_location="cpu", weights_only=False)["state_dict"]
        assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())


def test_nan_policy_skip_skips_the_step_and_keeps_training(clip_archive, tmp_path):
    config = tiny_config(clip_archive, tmp_path, "trainer.max_epochs=1", "trainer.limit_train_batches=6",
                         "model.nan_policy=skip")
    trainer, model, _ = _fit(config, callbacks=[_InjectNaN(at_batch=2)])
    assert model.skipped_steps == config["model"]["n_critic"] + 1
    assert trainer.global_step == 5 * (config["model"]["n_critic"] + 1)
    assert all(torch.isfinite(p).all() for p in model.parameters())
