"""`JumpsGAN`: the autoencoder + Wasserstein GAN of JUMPS, trained with manual optimization.

Each training step, on a batch x of normalized windows:

1. ``n_critic`` critic iterations: L_D = mean D(fake) - mean D(x) + gp_weight * GP, where the fakes are
   G(z), z ~ N(0, I), and (with the encoder) G(E(x)), averaged; GP is the WGAN-GP penalty on
   interpolates between x and G(z).
2. One generator + encoder iteration:
   L = w_adv * L_G + w_mix * L_Mix + lp * L_pos + lv * L_vel + lz * L_z with
   L_G = -D(G(z)), L_Mix = -D(G(E(x'))), L_pos = ||x - G(E(x'))||^2, L_vel = ||v(x) - v(G(E(x')))||^2
   (squared norms over the 21 x 2 coordinates of a frame, averaged over frames and windows; v the
   frame-to-frame velocity), L_z = MSE(z, E(G(z))); x' is x with a random joint mask (see
   ``encoder_masking``), so that E also encodes incomplete low-resolution windows.
   ``use_encoder=False`` leaves E out (the pure WGAN).

``encoder_corruption``: the encoder's input in L_Rec carries a detector's failures (flips, another
person's frames, jitter; ``models/corruption.py``) while the target stays clean: a denoising encoder.

``reconstruction_epochs``: the first epochs train E and G on L_Rec and L_Rec_backward alone (no critic,
about a tenth of the cost of an adversarial step), a reconstruction-first schedule, at
``lr_reconstruction`` (then ``lr_generator``: the adversarial phase at the AE-phase rate undid the
precision, docs/experiments.md).

``encoder_only_from``: from this epoch on only E trains (G and D frozen), on L_Rec and L_Rec_backward at
``lr_reconstruction``: a fine-tune of the encoder (for example on ``encoder_masking.burst_prob``'s gaps)
that leaves the prior G(z) as it was.

``trainer.global_step`` counts optimizer steps: n_critic + 1 per batch (1 in the reconstruction epochs).
"""
from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch
import torch.nn.functional as F

from jumps_pl import skeleton
from jumps_pl.errors import DivergenceError
from jumps_pl.methods.jumps.networks import prior_networks
from jumps_pl.models.corruption import burst_gaps, corrupt
from jumps_pl.models.normalization import fit_normalization


class JumpsGAN(pl.LightningModule):
    """The JUMPS prior: generator G, critic D and (with ``use_encoder``) encoder E, trained as an AE-WGAN."""

    def __init__(self, window: int, width: int, latent_channels: int, downsamplings: int, use_encoder: bool,
                 n_critic: int, gp_weight: float, lr_critic: float, lr_generator: float, betas: list[float],
                 loss_weights: dict[str, float], encoder_masking: dict[str, float], nan_policy: str,
                 reconstruction_epochs: int = 0, encoder_corruption: dict[str, float] | None = None,
                 lr_reconstruction: float | None = None, encoder_only_from: int | None = None):
        # (the defaults: model folders written before these keys)
        super().__init__()
        if nan_policy not in ("stop", "skip"):
            raise ValueError(f"model.nan_policy must be 'stop' or 'skip', got {nan_policy!r}")
        missing = {"adversarial", "mix", "position", "velocity", "latent"} - set(loss_weights)
        if missing:
            raise ValueError(f"model.loss_weights lacks {', '.join(sorted(missing))}")
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.window = window
        self.generator, self.critic, self.encoder = prior_networks(window, width, latent_channels, downsamplings,
                                                                   use_encoder)
        self.latent_shape = (latent_channels, window // 2 ** downsamplings)
        self.skipped_steps = 0

    # --- the model, as inference uses it ---------------------------------------------------------
    def sample_prior(self, batch_size: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Z ~ P_z = N(0, I), shape (B, Z, T')."""
        return torch.randn(batch_size, *self.latent_shape, device=self.device, generator=generator)

    def reconstruct(self, poses: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """G(E(x)) for normalized poses (B, T, J, 2); needs the encoder."""
        if self.encoder is None:
            raise RuntimeError("this model was trained without an encoder (model.use_encoder=false)")
        return self.generator(self.encoder(poses, mask))

    # --- training ---------------------------------------------------------------------------------
    def configure_optimizers(self):
        """Adam for D at ``lr_critic``, Adam for G and E together at ``lr_generator`` (both with ``betas``)."""
        betas = tuple(self.hparams.betas)
        critic = torch.optim.Adam(self.critic.parameters(), lr=self.hparams.lr_critic, betas=betas)
        gen_params = list(self.generator.parameters())
        if self.encoder is not None:
            gen_params += list(self.encoder.parameters())
        generator = torch.optim.Adam(gen_params, lr=self.hparams.lr_generator, betas=betas)
        return [critic, generator]

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        """One step on a batch (manual optimization): critic iterations in the adversarial phase, then G/E."""
        x = fit_normalization(batch["keypoints_px"]).apply(batch["keypoints_px"])
        opt_d, opt_g = self.optimizers()
        adversarial = not self._encoder_only() and (
            self.current_epoch >= self.hparams.reconstruction_epochs or self.encoder is None)
        lr = self.hparams.lr_generator if adversarial or not self.hparams.lr_reconstruction \
            else self.hparams.lr_reconstruction
        for group in opt_g.param_groups:  # the phase's rate (a resumed run keeps its optimizer's moments)
            group["lr"] = lr
        critic_logs = self._critic_iterations(x, opt_d) if adversarial else {}
        gen_logs = self._generator_iteration(x, opt_g, adversarial)
        logs = {**critic_logs, **gen_logs, "skipped_steps": float(self.skipped_steps),
                "lr/critic": opt_d.param_groups[0]["lr"], "lr/generator": opt_g.param_groups[0]["lr"]}
        self.log_dict({k if k.startswith("lr/") else f"train/{k}": v for k, v in logs.items()},
                      prog_bar=False, batch_size=len(x))
        if "loss_rec_pos" in gen_logs:
            self.log("rec", gen_logs["loss_rec_pos"], prog_bar=True, logger=False, batch_size=len(x))
        if critic_logs:
            self.log("W", critic_logs["wasserstein"], prog_bar=True, logger=False, batch_size=len(x))

    def _critic_iterations(self, x: torch.Tensor, opt_d) -> dict[str, torch.Tensor]:
        hp = self.hparams
        self.toggle_optimizer(opt_d)
        logs: dict[str, torch.Tensor] = {}
        for _ in range(hp.n_critic):
            with torch.no_grad():
                fakes = [self.generator(self.sample_prior(len(x)))]
                if self.encoder is not None:
                    fakes.append(self.reconstruct(x, self._encoder_mask(x)))
            d_real = self.critic(x).mean()
            d_fake = torch.stack([self.critic(f).mean() for f in fakes]).mean()
            penalty = self._gradient_penalty(x, fakes[0])
            loss_d = d_fake - d_real + hp.gp_weight * penalty
            logs = {"loss_d": loss_d.detach(), "wasserstein": (d_real - d_fake).detach(),
                    "gradient_penalty": penalty.detach()}
            logs["grad_norm/critic"] = self._optimizer_step(opt_d, loss_d, logs)
        self.untoggle_optimizer(opt_d)
        return logs

    def _generator_iteration(self, x: torch.Tensor, opt_g, adversarial: bool = True) -> dict[str, torch.Tensor]:
        """One G/E step on the adversarial and (with the encoder) the reconstruction terms.

        Without ``adversarial`` (the first ``reconstruction_epochs``) only the reconstruction terms L_Rec
        and L_Rec_backward, no critic.
        """
        w = self.hparams.loss_weights
        self.toggle_optimizer(opt_g)
        z = self.sample_prior(len(x))
        terms: dict[str, torch.Tensor] = {}
        total = torch.zeros((), device=x.device)
        if adversarial:
            terms["loss_g"] = -self.critic(self.generator(z)).mean()
            total = w["adversarial"] * terms["loss_g"]
        if self.encoder is not None:
            x_hat = self.reconstruct(self._corrupted(x), self._encoder_mask(x))
            if adversarial:
                terms["loss_mix"] = -self.critic(x_hat).mean()
                total = total + w["mix"] * terms["loss_mix"]
            terms["loss_rec_pos"] = _squared_error(x_hat, x)
            terms["loss_rec_vel"] = _squared_error(_velocity(x_hat), _velocity(x))
            terms["loss_rec_backward"] = F.mse_loss(self.encoder(self.generator(z)), z)
            total = (total + w["position"] * terms["loss_rec_pos"] + w["velocity"] * terms["loss_rec_vel"]
                     + w["latent"] * terms["loss_rec_backward"])
        logs = {k: v.detach() for k, v in terms.items()}
        logs["loss_total_g"] = total.detach()
        logs["grad_norm/generator"] = self._optimizer_step(opt_g, total, terms)
        self.untoggle_optimizer(opt_g)
        return logs

    def _optimizer_step(self, optimizer, loss: torch.Tensor, terms: dict[str, torch.Tensor]) -> torch.Tensor:
        """Backward and step, returning the gradient norm; a non-finite term stops or skips (``nan_policy``)."""
        bad = [name for name, value in terms.items() if not torch.isfinite(value).all()]
        if bad:
            message = (f"loss term {bad[0]} is {terms[bad[0]].item()} at global step {self.global_step} "
                       f"(epoch {self.current_epoch}); all non-finite terms: {', '.join(bad)}")
            if self.hparams.nan_policy == "stop":
                raise DivergenceError(message + ". Set model.nan_policy=skip to skip such steps.")
            self.skipped_steps += 1
            optimizer.zero_grad()
            return torch.tensor(float("nan"), device=self.device)
        optimizer.zero_grad()
        self.manual_backward(loss)
        params = [p for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        norm = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in params])).detach()
        optimizer.step()
        return norm

    def _gradient_penalty(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        eps = torch.rand(len(real), 1, 1, 1, device=real.device, dtype=real.dtype)
        mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
        grad, = torch.autograd.grad(self.critic(mixed).sum(), mixed, create_graph=True)
        return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()

    def _corrupted(self, x: torch.Tensor) -> torch.Tensor:
        """The encoder's training input: ``x`` with a detector's failures (``encoder_corruption``).

        So that E learns to map them to the clean window's latent (``models/corruption.py``).
        """
        cfg = self.hparams.encoder_corruption
        if not cfg or not any(cfg[k] > 0 for k in ("flip_prob", "foreign_prob", "noise_prob")):
            return x
        return corrupt(x, cfg["flip_prob"], cfg["foreign_prob"], cfg["noise_prob"], cfg["noise_max"])

    def _encoder_mask(self, x: torch.Tensor) -> torch.Tensor:
        """Random masks (B, T, J), as a detector's misses and the completion task leave them.

        A share of windows keeps only the input joints, with entries dropped at random or (``burst_prob``
        of those windows) in bursts of 5 to 20 frames per joint covering up to ``burst_share_max`` of its
        frames.
        """
        b, t, j = x.shape[:3]
        cfg = self.hparams.encoder_masking
        low_res = torch.rand(b, device=x.device) < cfg["input_only_prob"]
        is_added = torch.zeros(j, dtype=torch.bool, device=x.device)
        is_added[torch.as_tensor(skeleton.ADDED_INDICES, device=x.device)] = True
        mask = ~(low_res[:, None, None] & is_added[None, None, :]).expand(b, t, j)
        rate = torch.rand(b, 1, 1, device=x.device) * cfg["drop_max"] * low_res[:, None, None]
        mask = mask & (torch.rand(b, t, j, device=x.device) >= rate)
        if cfg.get("burst_prob", 0) > 0:
            bursty = low_res & (torch.rand(b, device=x.device) < cfg["burst_prob"])
            share = torch.rand(b, 1, device=x.device) * cfg.get("burst_share_max", 0.4)
            inputs = torch.as_tensor(skeleton.INPUT_INDICES, device=x.device)
            gaps = burst_gaps(share, len(inputs), t, x.device) & bursty[:, None, None]
            mask[..., inputs] &= ~gaps
        return mask

    def _encoder_only(self) -> bool:
        return (self.hparams.encoder_only_from is not None and self.encoder is not None
                and self.current_epoch >= self.hparams.encoder_only_from)

    def on_train_epoch_start(self) -> None:
        """Freezes G in the encoder-only phase (``encoder_only_from``), leaves it trainable before."""
        for p in self.generator.parameters():  # frozen in the encoder-only phase (Adam skips them)
            p.requires_grad_(not self._encoder_only())

    def on_train_end(self) -> None:
        """Makes G trainable again: the encoder-only phase froze it for its epochs only."""
        for p in self.generator.parameters():  # the encoder-only phase froze G for its epochs only
            p.requires_grad_(True)

    # --- validation -------------------------------------------------------------------------------
    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        """Logs the Wasserstein estimate and, with E, reconstruction errors in head sizes (full, input-only)."""
        keypoints, head = batch["keypoints_px"], batch["head_size_px"]
        norm = fit_normalization(keypoints)
        x = norm.apply(keypoints)
        fake = self.generator(self.sample_prior(len(x)))
        logs = {"wasserstein": self.critic(x).mean() - self.critic(fake).mean()}
        if self.encoder is not None:
            low_res = torch.zeros(x.shape[:3], dtype=torch.bool, device=x.device)
            low_res[..., torch.as_tensor(skeleton.INPUT_INDICES, device=x.device)] = True
            for name, mask in (("full", None), ("input_only", low_res)):
                error_px = torch.linalg.vector_norm(norm.invert(self.reconstruct(x, mask)) - keypoints, dim=-1)
                logs[f"rec_error_head_{name}"] = (error_px / head[..., None]).mean()
            logs["loss_rec_pos"] = _squared_error(self.reconstruct(x), x)
        self.log_dict({f"val/{k}": v for k, v in logs.items()}, batch_size=len(x), sync_dist=True)

    # --- checkpoints ------------------------------------------------------------------------------
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Refuses to write a checkpoint with non-finite weights (``DivergenceError``)."""
        bad = [name for name, value in checkpoint["state_dict"].items()
               if value.is_floating_point() and not torch.isfinite(value).all()]
        if bad:
            raise DivergenceError(f"refusing to write a checkpoint with non-finite weights in {', '.join(bad[:5])}"
                                  f" at global step {self.global_step}")


def _squared_error(poses: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """||x - y||^2 per frame (summed over joints and coordinates), averaged over windows and frames."""
    return (poses - target).pow(2).sum(dim=(-2, -1)).mean()


def _velocity(poses: torch.Tensor) -> torch.Tensor:
    """Frame-to-frame differences (B, T-1, J, 2)."""
    return poses[:, 1:] - poses[:, :-1]

