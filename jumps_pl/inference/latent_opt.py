"""Upsampling and completion by latent optimization (JUMPS, step 2).

For a window x (pixels) with present entries ``mask`` and weights ``confidence``:

    z* = argmin_z  sum_present w ||A(G(z)) - x||^2 / sum w  +  prior_weight * (-D(G(z)))

where A is the closed-form similarity aligning G(z) to the present joints (``align=False``: identity,
the ablation). ``starts`` optimizations run together as one batch: one from E(x, mask) (when the model
has an encoder and ``encoder_start``), the rest from z ~ N(0, I); the start with the lowest final loss
wins. Everything happens in the window's normalized frame (``models/normalization.py``).

Sequences of any length are cut into overlapping windows and blended (``inference/windows.py``).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import torch

from jumps_pl.inference.align import fit_similarity
from jumps_pl.inference.windows import predict_sequence
from jumps_pl.models.jumps_gan import JumpsGAN
from jumps_pl.models.normalization import fit_normalization

SPREAD_STARTS = 3  # the spread of a joint is measured among this many best starts


class LatentOptimizer:
    def __init__(self, model: JumpsGAN, starts: int, iterations: int, lr: float, prior_weight: float,
                 align: bool, encoder_start: bool, overlap: int, batch_windows: int, seed: int):
        if starts < 1 or iterations < 0:
            raise ValueError(f"infer.starts must be >= 1 and infer.iterations >= 0, got {starts}, {iterations}")
        self.model = model
        self.window = model.hparams.window
        if not 0 <= overlap < self.window:
            raise ValueError(f"infer.overlap must be in [0, {self.window}), got {overlap}")
        self.starts, self.iterations, self.lr = starts, iterations, lr
        self.prior_weight, self.align, self.encoder_start = prior_weight, align, encoder_start
        self.overlap, self.batch_windows, self.seed = overlap, batch_windows, seed

    # --- windows ----------------------------------------------------------------------------------
    def optimize_windows(self, keypoints_px: torch.Tensor, mask: torch.Tensor,
                         confidence: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Full 21-joint windows (N, T, 21, 2) px from (N, T, 21, 2) px with ``mask`` (N, T, 21).

        Returns the predictions, each window's final loss (N,), and the spread (N, T, 21) px of every
        joint among the best starts (``SPREAD_STARTS`` lowest losses): how much equally good fits disagree.
        """
        outputs, losses, spreads = [], [], []
        with _frozen(self.model):
            for first in range(0, len(keypoints_px), self.batch_windows):
                part = slice(first, first + self.batch_windows)
                conf = None if confidence is None else confidence[part]
                out, loss, spread = self._optimize_batch(keypoints_px[part], mask[part], conf, first)
                outputs.append(out)
                losses.append(loss)
                spreads.append(spread)
        return torch.cat(outputs), torch.cat(losses), torch.cat(spreads)

    def _optimize_batch(self, keypoints_px: torch.Tensor, mask: torch.Tensor, confidence: torch.Tensor | None,
                        offset: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        device = self.model.device
        keypoints_px, mask = keypoints_px.to(device), mask.to(device).bool()
        weights = mask.float() if confidence is None else mask.float() * confidence.to(device).clamp_min(0)
        norm = fit_normalization(keypoints_px, mask)
        x = torch.where(mask[..., None], norm.apply(keypoints_px), torch.zeros_like(keypoints_px))
        n, s = len(x), self.starts
        z = self._initial_latents(x, mask, offset).requires_grad_(True)  # (N*S, Z, T')
        x_rep = x.repeat_interleave(s, dim=0)
        w_rep = weights.repeat_interleave(s, dim=0)
        optimizer = torch.optim.Adam([z], lr=self.lr)
        for _ in range(self.iterations):
            loss = self._loss(z, x_rep, w_rep)[0]
            optimizer.zero_grad()
            loss.sum().backward()
            optimizer.step()
        with torch.no_grad():
            loss, poses = self._loss(z, x_rep, w_rep)
            best = loss.view(n, s).argmin(dim=1)
            rows = torch.arange(n, device=device)
            by_start = poses.view(n, s, *poses.shape[1:])
            chosen = by_start[rows, best]
            top = loss.view(n, s).topk(min(SPREAD_STARTS, s), dim=1, largest=False).indices  # (N, k)
            tops = torch.stack([norm.invert(by_start[rows, top[:, i]]) for i in range(top.shape[1])], dim=1)
            spread = tops.var(dim=1, unbiased=False).sum(-1).sqrt()  # (N, T, J) px
            return norm.invert(chosen).cpu(), loss.view(n, s)[rows, best].cpu(), spread.cpu()

    def _initial_latents(self, x: torch.Tensor, mask: torch.Tensor, offset: int) -> torch.Tensor:
        n, s = len(x), self.starts
        generator = torch.Generator(device="cpu").manual_seed(self.seed + offset)
        z = torch.randn(n, s, *self.model.latent_shape, generator=generator).to(x.device)
        if self.encoder_start and self.model.encoder is not None:
            with torch.no_grad():
                z[:, 0] = self.model.encoder(x, mask)
        return z.flatten(0, 1)

    def _loss(self, z: torch.Tensor, x: torch.Tensor, weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-start loss (N*S,) and the (aligned) generated poses (N*S, T, J, 2), normalized units."""
        poses = self.model.generator(z)
        if self.align:
            b = len(poses)
            similarity = fit_similarity(poses.reshape(b, -1, 2), x.reshape(b, -1, 2), weights.reshape(b, -1))
            poses = similarity.apply(poses)
        squared = (poses - x).pow(2).sum(-1)
        contextual = (weights * squared).sum(dim=(1, 2)) / weights.sum(dim=(1, 2)).clamp_min(1e-6)
        prior = -self.model.critic(poses) if self.prior_weight else torch.zeros_like(contextual)
        return contextual + self.prior_weight * prior, poses

    # --- sequences --------------------------------------------------------------------------------
    def upsample_sequence(self, keypoints_px: np.ndarray, mask: np.ndarray, confidence: np.ndarray | None = None,
                          progress: Callable[[int], None] | None = None) -> np.ndarray:
        """A whole sequence (F, 21, 2) px with ``mask`` (F, 21) -> (F, 21, 2) px, any F >= 1, in
        overlapping windows optimized ``batch_windows`` at a time (``inference/windows.py``)."""
        return self.upsample_sequence_with_spread(keypoints_px, mask, confidence, progress)[0]

    def upsample_sequence_with_spread(self, keypoints_px: np.ndarray, mask: np.ndarray,
                                      confidence: np.ndarray | None = None,
                                      progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """As ``upsample_sequence``, with the spread among the best starts (F, 21) px, blended alike."""
        def predict(windows: np.ndarray, window_mask: np.ndarray, conf: np.ndarray | None, first: int) -> np.ndarray:
            conf_t = None if conf is None else torch.as_tensor(conf, dtype=torch.float32)
            with _frozen(self.model):
                out, _, spread = self._optimize_batch(torch.as_tensor(windows, dtype=torch.float32),
                                                      torch.as_tensor(window_mask), conf_t, first)
            return torch.cat([out, spread[..., None]], dim=-1).numpy()  # (B, T, 21, 3): x, y, spread

        both = predict_sequence(predict, keypoints_px, mask, confidence, self.window, self.overlap,
                                self.batch_windows, progress)
        return both[..., :2], both[..., 2]


@contextmanager
def _frozen(model: torch.nn.Module) -> Iterator[None]:
    """Eval mode and no weight gradients while optimizing z; restored after (training may go on)."""
    was_training = model.training
    flags = [(p, p.requires_grad) for p in model.parameters()]
    model.eval()
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        with torch.enable_grad():
            yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)
        model.train(was_training)
