"""Upsampling and completion by latent optimization (JUMPS, step 2).

For a window x (pixels) with present entries ``mask`` and weights ``confidence``:

    z* = argmin_z  sum_present w ||A(G(z)) - x||^2 / sum w  +  prior_weight * (-D(G(z)))
                                                            +  latent_weight * mean(z^2)
                                                            +  smooth_weight * mean ||d2 A(G(z))||^2

where A is the closed-form similarity aligning G(z) to the present joints (``align=False``: identity,
the ablation). ``starts`` optimizations run together as one batch: one from E(x, mask) (when the model
has an encoder and ``encoder_start``), the rest from z ~ N(0, I); the start with the lowest final loss
wins. Adam at ``lr``, constant or (``lr_schedule="cosine"``) annealed to 0 over the iterations. The
second-last term is the latent's Gaussian prior (its -log density up to scale), the last a smoothness
prior on G(z): its mean squared second difference along time over every joint, given or not. Neither
is in the paper (both chosen on validation data, docs/experiments.md); both 0 give the paper's
objective exactly. Everything happens in the window's normalized frame (``models/normalization.py``).

Sequences of any length are cut into overlapping windows and blended (``jumps_pl.windows``).
"""
from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import torch

from jumps_pl.methods.continuity.heuristic import apply_repair, relabel_by_continuity
from jumps_pl.methods.jumps.align import align_to, fit_similarity
from jumps_pl.methods.jumps.networks import JumpsPrior
from jumps_pl.methods.jumps.relabel import detector_evidence, relabel_windows
from jumps_pl.models.normalization import Normalization, fit_normalization
from jumps_pl.prediction import Prediction, RepairCode
from jumps_pl.schema import LR_SCHEDULES
from jumps_pl.skeleton import FLIP_GROUPS, INPUT_PAIRS, MIRROR_PERMUTATION
from jumps_pl.steps import Steps, finish
from jumps_pl.windows import predict_sequence

SPREAD_STARTS = 3  # the spread of a joint is measured among this many best starts
# a pair set aside as uncertain in the round before comes back only this far above ``uncertain_below``: a
# posterior on the threshold (0.498, then 0.502) would otherwise be set aside and used again round after round
UNCERTAIN_HOLD = 0.05
_MIRROR = torch.as_tensor(MIRROR_PERMUTATION)  # the 21 joints with left and right exchanged
# the input joints of the left/right pairs (skeleton.INPUT_PAIRS), each pair's two in turn: each one's pair,
# its partner (the other side) and the partner's place in this list
_PAIRED = [joint for pair in INPUT_PAIRS for joint in pair]
_PAIR_OF = [k for k, pair in enumerate(INPUT_PAIRS) for _ in pair]
_PARTNERS = [joint for left, right in INPUT_PAIRS for joint in (right, left)]
_PARTNER_SLOT = [slot ^ 1 for slot in range(len(_PAIRED))]


class Fit(NamedTuple):
    """The latent fit of windows: poses, final losses, the spread among the best starts, the repair status.

    Poses (N, T, 21, 2) px, each window's final loss (N,), the spread (N, T, 21) px of every joint among the
    best starts, the repair status (N, T, 21) int8 (``RepairCode``; all kept without ``infer.repair``) and
    how sure the repair is of each input entry's left/right labelling (N, T, 21; NaN where none was decided).
    """

    positions: torch.Tensor
    loss: torch.Tensor
    spread_px: torch.Tensor
    repair: torch.Tensor
    repair_confidence: torch.Tensor


def optimizer_settings(infer: dict) -> dict:
    """The ``infer`` section as ``LatentOptimizer``'s keywords: ``device`` is the loader's (the model is there)."""
    return {key: value for key, value in infer.items() if key != "device"}


class LatentOptimizer:
    """JUMPS step 2 for one trained prior and the ``infer.*`` settings: windows and tracks fitted by z*."""

    def __init__(self, model: JumpsPrior, starts: int, iterations: int, lr: float, prior_weight: float,
                 align: bool, encoder_start: bool, overlap: int, batch_windows: int, seed: int,
                 repair: dict | None = None, flip_detector: torch.nn.Module | None = None,
                 lr_schedule: str = "constant", latent_weight: float = 0.0, smooth_weight: float = 0.0,
                 keep_starts: int | None = None, keep_after: int = 0, mirror_reading: bool = False):
        if starts < 1 or iterations < 0:
            raise ValueError(f"infer.starts must be >= 1 and infer.iterations >= 0, got {starts}, {iterations}")
        if lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"infer.lr_schedule must be one of {', '.join(LR_SCHEDULES)}, got {lr_schedule!r}")
        self.model = model
        self.window = model.window
        if not 0 <= overlap < self.window:
            raise ValueError(f"infer.overlap must be in [0, {self.window}), got {overlap}")
        self.starts, self.iterations, self.lr = starts, iterations, lr
        self.prior_weight, self.align, self.encoder_start = prior_weight, align, encoder_start
        self.lr_schedule, self.latent_weight, self.smooth_weight = lr_schedule, latent_weight, smooth_weight
        self.overlap, self.batch_windows, self.seed = overlap, batch_windows, seed
        # after ``keep_after`` iterations only each window's ``keep_starts`` best starts go on (None: all)
        self.keep_starts = starts if keep_starts is None else min(keep_starts, starts)
        self.keep_after = keep_after
        # the encoder's reading averaged with its reading of the mirrored window, mirrored back
        self.mirror_reading = bool(mirror_reading)
        # repair (``infer.repair``): robust first fit, relabel flips / set outliers aside, refit
        self.repair = repair if repair and repair.get("enabled") else None
        # the flip detector (``flip_detector.py``) whose evidence the window labelling weighs in
        # at ``infer.repair.detector`` (0 or None: not read)
        self.flip_detector = flip_detector if self.repair and self.repair.get("detector", 0) > 0 else None
        # whether it also reads the encoder's reconstruction error (its runtime twin, if any, the same)
        self.detector_reads = bool(getattr(self.flip_detector, "reconstruction", False))

    def with_networks(self, encoder: Callable | None, generator: Callable | None,
                      flip_detector: Callable | None) -> LatentOptimizer:
        """A copy whose encoder's readings run these callables (ONNX Runtime's, for a stream's windows).

        The encoder ``(poses, mask) -> z`` with the generator ``z -> poses`` and, where the repair reads one,
        the flip detector ``(poses, weights[, reading]) -> logits``, each taking and giving CPU tensors as the
        torch networks do (None: the torch network). Only the encoder's readings (``encode_windows``) may be asked
        of the copy.
        """
        twin = copy.copy(self)
        if encoder is not None and generator is not None:
            twin.model = _Forward(encoder, generator, self.model.window, self.model.latent_shape)
        if self.flip_detector is not None and flip_detector is not None:
            twin.flip_detector = flip_detector
        return twin

    def with_repair(self, **settings) -> LatentOptimizer:
        """A copy whose repair (``infer.repair``) has these settings changed (``rounds``: a stream's)."""
        twin = copy.copy(self)
        twin.repair = {**self.repair, **settings}
        return twin

    # --- windows ----------------------------------------------------------------------------------
    def optimize_windows(self, keypoints_px: torch.Tensor, mask: torch.Tensor,
                         confidence: torch.Tensor | None = None, report: Callable[[float], None] | None = None) -> Fit:
        """Full 21-joint windows (N, T, 21, 2) px from (N, T, 21, 2) px with ``mask`` (N, T, 21).

        The spread is taken among the ``SPREAD_STARTS`` lowest losses: how much equally good fits disagree.
        """
        parts = []
        total = max(len(keypoints_px), 1)
        with _frozen(self.model):
            for first in range(0, len(keypoints_px), self.batch_windows):
                part = slice(first, first + self.batch_windows)
                conf = None if confidence is None else confidence[part]
                count = len(keypoints_px[part])
                tick = None if report is None else (lambda share, f=first, c=count: report((f + share * c) / total))
                parts.append(self._optimize_batch(keypoints_px[part], mask[part], conf, first, tick))
        return Fit(*(torch.cat(values) for values in zip(*parts, strict=True)))

    def encode_windows(self, keypoints_px: torch.Tensor, mask: torch.Tensor, confidence: torch.Tensor | None = None
                       ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The encoder's reading of each window, G(E(x)) aligned to x, (N, T, 21, 2) px, with no latent optimization.

        With ``infer.repair`` the input is first checked against it (relabel, set aside, ``rounds`` times,
        each time encoded anew). Returns the poses, the repair status (N, T, 21) and how sure the repair is of
        each entry's labelling (N, T, 21; NaN where none was decided).
        """
        return finish(self.encode_windows_steps(keypoints_px, mask, confidence))

    def encode_windows_steps(self, keypoints_px: torch.Tensor, mask: torch.Tensor,
                             confidence: torch.Tensor | None = None, repair: bool = True,
                             start: torch.Tensor | None = None) -> Steps:
        """``encode_windows`` in steps (``jumps_pl.steps``): each encoding, the detector, each repair round.

        ``repair`` False: the encoder's plain reading, with no repair whatever ``infer.repair`` says.
        ``start`` (N, T, 21) ``RepairCode``: a repair to begin from instead of the input as given (a stream's
        window before, on the frames the two share): the encoder reads the input so repaired first, and where
        the repair round confirms it, that round is the last.
        """
        if self.model.encoder is None:
            raise ValueError("encode_windows needs a model trained with an encoder (model.use_encoder=true)")
        outputs, statuses, sureness = [], [], []
        for first in range(0, len(keypoints_px), self.batch_windows):
            part = slice(first, first + self.batch_windows)
            conf = None if confidence is None else confidence[part]
            yield "encode"
            norm, x, m, weights = self._normalized(keypoints_px[part], mask[part], conf)
            status = torch.zeros(m.shape, dtype=torch.int8, device=x.device)
            sure = torch.full(m.shape, float("nan"), device=x.device)
            given, exchanged = self._continuity_first(x, weights)
            repaired = bool(self.repair) and repair
            read = (given, m)  # what the encoder reads (first: the input as given, or as ``start`` repaired it)
            if repaired and start is not None:
                begun = apply_repair(x.cpu().numpy(), weights.cpu().numpy(), start[part].cpu().numpy())
                read = (torch.as_tensor(begun[0]).to(x.device), torch.as_tensor(begun[1] > 0).to(x.device))
            poses = self._encoded(*read)
            evidence, before = None, None if start is None else start[part]  # ``before``: read on the CPU
            if repaired:
                yield "detector"
                evidence = self._detector_evidence(given, weights, poses)
            for _ in range(self.repair["rounds"] if repaired else 0):
                yield "repair"
                x, w, status, sure = self._repaired(poses, given, weights, exchanged, evidence, before)
                before = status
                if _reads_same((x, w > 0), read):
                    break  # the encoder would read the same again, so every further round would repeat this one
                read = (x, w > 0)
                yield "encode"
                poses = self._encoded(*read)
            outputs.append(norm.invert(poses).cpu())
            statuses.append(status.cpu())
            sureness.append(sure.cpu())
        return torch.cat(outputs), torch.cat(statuses), torch.cat(sureness)

    def _normalized(self, keypoints_px: torch.Tensor, mask: torch.Tensor, confidence: torch.Tensor | None
                    ) -> tuple[Normalization, torch.Tensor, torch.Tensor, torch.Tensor]:
        """A batch on the model's device, normalized.

        Returns its normalization, the normalized input (0 where missing), the mask and the weights
        (mask x confidence).
        """
        device = self.model.device
        keypoints_px, mask = keypoints_px.to(device), mask.to(device).bool()
        weights = mask.float() if confidence is None else mask.float() * confidence.to(device).clamp_min(0)
        norm = fit_normalization(keypoints_px, mask)
        return norm, torch.where(mask[..., None], norm.apply(keypoints_px), torch.zeros_like(keypoints_px)), mask, \
            weights

    def _continuity_first(self, x: torch.Tensor, weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The input relabelled by continuity first, when ``infer.repair.continuity_ratio`` > 0.

        Returns the input and which limb pairs were exchanged (N, T, pairs); without the ratio, the input
        as it is and none.
        """
        if self.repair and self.repair["continuity_ratio"] > 0:
            return _relabel_by_continuity(x, weights, self.repair["continuity_ratio"])
        return x, torch.zeros(*x.shape[:2], len(INPUT_PAIRS), dtype=torch.bool, device=x.device)

    def _optimize_batch(self, keypoints_px: torch.Tensor, mask: torch.Tensor, confidence: torch.Tensor | None,
                        offset: int, report: Callable[[float], None] | None = None) -> Fit:
        """One batch's fit; ``report(share)`` hears how much of its iterations are done."""
        norm, x, mask, weights = self._normalized(keypoints_px, mask, confidence)
        planned = self.iterations + (self.repair["rounds"] * self.repair["iterations"] if self.repair else 0)
        done = [0]

        def tick() -> None:
            done[0] += 1
            if report is not None:
                report(done[0] / max(planned, 1))

        n, s = len(x), self.starts
        z = self._initial_latents(x, mask, offset).requires_grad_(True)  # (N*S, Z, T')
        x_rep = x.repeat_interleave(s, dim=0)
        w_rep = weights.repeat_interleave(s, dim=0)
        status = torch.zeros(mask.shape, dtype=torch.int8)
        sure = torch.full(mask.shape, float("nan"))
        if not self.repair:
            self._fit(z, x_rep, w_rep, self.iterations, None, tick)
        else:  # continuity first (optional), a robust fit, then rounds of relabel / set aside / refit
            weights_given = weights
            given, exchanged = self._continuity_first(x, weights)
            # G(E(x)), the encoder's reading of the window: the repair's first reference, the flip detector's input
            by_encoder = self.repair["reference"] == "encoder"
            reading = self._encoded(given, mask) if by_encoder or (
                self.detector_reads and self.model.encoder is not None) else None
            evidence = self._detector_evidence(given, weights_given, reading)
            x_rep = given.repeat_interleave(s, dim=0)
            if by_encoder:  # a denoising encoder's reading of the window
                x, weights, status, sure = self._repaired(reading, given, weights_given, exchanged, evidence)
                z = self._initial_latents(x, weights > 0, offset).requires_grad_(True)
                x_rep, w_rep = x.repeat_interleave(s, dim=0), weights.repeat_interleave(s, dim=0)
                self._fit(z, x_rep, w_rep, self.iterations, None, tick)
            else:  # a robust latent fit
                self._fit(z, x_rep, w_rep, self.iterations, self.repair["robust_scale"], tick)
            rounds = self.repair["rounds"] - (self.repair["reference"] == "encoder")
            for round_ in range(rounds):
                reference = self._best_fit(z, given, weights_given, n, s)
                x, weights, status, sure = self._repaired(reference, given, weights_given, exchanged, evidence, status)
                x_rep, w_rep = x.repeat_interleave(s, dim=0), weights.repeat_interleave(s, dim=0)
                last = round_ == rounds - 1
                self._fit(z, x_rep, w_rep, self.repair["iterations"], None if last else self.repair["robust_scale"],
                          tick)
        with torch.no_grad():
            loss, poses = self._loss(z, x_rep, w_rep)
            best = loss.view(n, s).argmin(dim=1)
            rows = torch.arange(n, device=x.device)
            by_start = poses.view(n, s, *poses.shape[1:])
            chosen = by_start[rows, best]
            top = loss.view(n, s).topk(min(SPREAD_STARTS, s), dim=1, largest=False).indices  # (N, k)
            tops = torch.stack([norm.invert(by_start[rows, top[:, i]]) for i in range(top.shape[1])], dim=1)
            spread = tops.var(dim=1, unbiased=False).sum(-1).sqrt()  # (N, T, J) px
            return Fit(norm.invert(chosen).cpu(), loss.view(n, s)[rows, best].cpu(), spread.cpu(), status.cpu(),
                       sure.cpu())

    def _fit(self, z: torch.Tensor, x: torch.Tensor, weights: torch.Tensor, iterations: int,
             robust: float | None, tick: Callable[[], None] | None = None) -> None:
        """``iterations`` Adam steps on z; from ``keep_after`` on, only each window's ``keep_starts`` best starts.

        The starts are independent (each its own alignment and loss), so the kept ones run exactly as they
        would with all: the result differs only where a start left behind would have won in the end.
        """
        optimizer = torch.optim.Adam([z], lr=self.lr)
        schedule = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(iterations, 1))
                    if self.lr_schedule == "cosine" else None)
        pruned = self.keep_starts < self.starts and self.keep_after < iterations
        for _ in range(self.keep_after if pruned else iterations):
            loss = self._loss(z, x, weights, robust)[0]
            optimizer.zero_grad()
            loss.sum().backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
            if tick is not None:
                tick()
        if not pruned:
            return
        with torch.no_grad():  # the best starts by their loss now; the others keep their latents as they are
            loss = self._loss(z, x, weights, robust)[0]
            best = loss.view(-1, self.starts).topk(self.keep_starts, dim=1, largest=False).indices
            rows = (best + self.starts * torch.arange(len(best), device=z.device)[:, None]).flatten()
        kept = z.detach()[rows].clone().requires_grad_(True)
        state = optimizer.state[z]
        lr = optimizer.param_groups[0]["lr"]
        optimizer = torch.optim.Adam([kept], lr=lr)
        optimizer.state[kept] = {"step": state["step"].clone(), "exp_avg": state["exp_avg"][rows].clone(),
                                 "exp_avg_sq": state["exp_avg_sq"][rows].clone()}
        x, weights = x[rows], weights[rows]
        for step in range(self.keep_after, iterations):
            if self.lr_schedule == "cosine":  # as CosineAnnealingLR, in closed form
                optimizer.param_groups[0]["lr"] = self.lr * 0.5 * (1 + math.cos(math.pi * step / max(iterations, 1)))
            loss = self._loss(kept, x, weights, robust)[0]
            optimizer.zero_grad()
            loss.sum().backward()
            optimizer.step()
            if tick is not None:
                tick()
        with torch.no_grad():
            z[rows] = kept.detach()

    def _best_fit(self, z: torch.Tensor, given: torch.Tensor, weights: torch.Tensor, n: int, s: int) -> torch.Tensor:
        """The (aligned) poses (N, T, J, 2) of each window's best start under the robust loss."""
        with torch.no_grad():
            x_rep, w_rep = given.repeat_interleave(s, dim=0), weights.repeat_interleave(s, dim=0)
            loss, poses = self._loss(z, x_rep, w_rep, self.repair["robust_scale"])
            best = loss.view(n, s).argmin(dim=1)
            return poses.view(n, s, *poses.shape[1:])[torch.arange(n, device=given.device), best]

    def _encoded(self, given: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """G(E(x)) similarity-aligned to the present entries of x: what the encoder reads in the window.

        With ``mirror_reading``, the mean of G(E(x)) and of the reading of the mirrored window (left and
        right exchanged, x negated about the window's centre), mirrored back: both in one batch.
        """
        with torch.no_grad():
            if self.mirror_reading:
                n = len(given)
                both = self.model.generator(self.model.encoder(torch.cat([given, _mirrored(given)]),
                                                               torch.cat([mask, mask[:, :, _MIRROR]])))
                poses = 0.5 * (both[:n] + _mirrored(both[n:]))
            else:
                poses = self.model.generator(self.model.encoder(given, mask))
            return align_to(poses, given, mask) if self.align else poses

    def _repaired(self, fit: torch.Tensor, given: torch.Tensor, weights: torch.Tensor, exchanged: torch.Tensor,
                  evidence: torch.Tensor | None = None, before: torch.Tensor | None = None
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """The inputs repaired against a reference ``fit`` (N, T, J, 2): flips relabelled, outliers set aside.

        The left/right labelling of the inputs (as ``given``, or exchanged) that fits the reference, for the
        whole window at once (``temporal`` > 0, ``relabel.py``) or frame by frame; entries still farther
        than ``outlier`` from it set aside. ``exchanged`` (N, T, 6): pairs ``given`` already exchanged (the
        continuity pass); ``evidence``: the flip detector's cost of each labelling (``_detector_evidence``).
        With the window labelling (``temporal`` > 0), each pair's labelling comes with its posterior
        probability (``relabel.state_marginals``); a pair below ``uncertain_below`` is neither
        relabelled nor used: its entries are set aside as uncertain. ``before`` (N, T, 21): the status of the
        round before (or of the repair begun from); a pair uncertain there stays so below ``uncertain_below`` +
        ``UNCERTAIN_HOLD``.
        Returns the repaired inputs, weights, the status of every entry (a ``RepairCode``) and how sure the
        labelling of each given entry is (NaN where none was decided).
        """
        # the bookkeeping runs on numpy: a window's arrays are small and its indexing steps many, where torch's
        # per-call overhead would dominate
        with torch.no_grad():
            device = given.device
            present = weights > 0
            temporal = self.repair.get("temporal", 0.0)
            if temporal > 0:
                flips, pair_sure = relabel_windows(
                    given, present, fit, INPUT_PAIRS, temporal, self.repair.get("flip_cost", 0.0),
                    self.repair.get("switch_cost", 0.0), self.repair.get("lone", 0.0), evidence,
                    self.repair.get("labelling", "parts"), with_confidence=True)
            else:
                flips = self._flips_frame_by_frame(given, present, fit)
                pair_sure = torch.full(flips.shape, float("nan"), device=device)
            g, w, seen = given.cpu().numpy(), weights.cpu().numpy(), present.cpu().numpy()
            flips, pair_sure = flips.cpu().numpy(), pair_sure.cpu().numpy()
            below = self.repair.get("uncertain_below", 0.0)
            unsure = pair_sure < below  # (N, T, 6); NaN: never
            if before is not None and below > 0:
                held = (before.cpu().numpy()[..., _PAIRED] == RepairCode.UNCERTAIN).reshape(*unsure.shape, 2)
                unsure |= held.any(-1) & (pair_sure < below + UNCERTAIN_HOLD)
            flips = flips & ~unsure
            x, exchanged = _exchange(g, flips), exchanged.cpu().numpy() ^ flips
            # a pair with one side given moves that side's weight with it (only ``lone`` exchanges those)
            w = _exchange(w[..., None], flips)[..., 0]
            status = np.zeros(w.shape, dtype=np.int8)
            sure = np.full(w.shape, np.nan, dtype=np.float32)
            # per input joint (``_PAIRED``), its pair's labelling: unsure pairs' entries weigh nothing
            unsure_at, present_at = unsure[..., _PAIR_OF], seen[..., _PAIRED]
            w[..., _PAIRED] = np.where(unsure_at, np.float32(0.0), w[..., _PAIRED])
            code = np.where(exchanged[..., _PAIR_OF] & present_at, RepairCode.RELABELLED, RepairCode.KEPT)
            code = np.where(unsure_at & present_at, RepairCode.UNCERTAIN, code)
            status[..., _PAIRED] = code
            sure[..., _PAIRED] = np.where(present_at, pair_sure[..., _PAIR_OF], np.float32(np.nan))
            apart = x - fit.cpu().numpy()
            far = (w > 0) & (np.sqrt(np.add.reduce(apart * apart, -1)) > self.repair["outlier"])
            w = np.where(far, np.float32(0.0), w)
            status = np.where(far, np.int8(RepairCode.SET_ASIDE), status)
            # a lone entry moved to its partner's side and then set aside there: set aside where it was given
            # (by source joint; a pair's two directions exclude each other: each needs its own side given)
            moved = flips[..., _PAIR_OF] & seen[..., _PAIRED] & ~seen[..., _PARTNERS] & far[..., _PARTNERS]
            code = np.where(moved[..., _PARTNER_SLOT], RepairCode.KEPT, status[..., _PAIRED])
            status[..., _PAIRED] = np.where(moved, RepairCode.SET_ASIDE, code)
            x, weights, status, sure = (torch.as_tensor(a).to(device) for a in (x, w, status, sure))
        return x, weights, status, sure

    def _detector_evidence(self, given: torch.Tensor, weights: torch.Tensor, reading: torch.Tensor | None = None
                           ) -> torch.Tensor | None:
        """The flip detector's cost of each pair's labelling (N, T, 6, 2: as given, exchanged) of ``given``.

        ``infer.repair.detector`` x the detector's -log probabilities (``relabel.detector_evidence``); None
        without a detector. ``reading``: the encoder's aligned reading of the window, for a detector that
        reads the reconstruction error (``detector_reads``).
        """
        if self.flip_detector is None:
            return None
        if self.detector_reads and reading is None:
            raise ValueError("models.flip_detector reads the prior's reconstruction error, which needs a model "
                             "with an encoder (model.use_encoder=true)")
        with torch.no_grad():
            detector = self.flip_detector
            if isinstance(detector, torch.nn.Module) and next(detector.parameters()).device != given.device:
                detector = self.flip_detector = detector.to(given.device)  # moving a module walks all of it
            views = int(self.repair.get("detector_views", 1))
            n = len(given)
            inputs = [given, weights] + ([reading] if self.detector_reads else [])
            if views >= 2:  # and the window mirrored: left and right exchanged, x negated; a flip stays a flip
                inputs = [torch.cat([a, _mirrored(a) if a.dim() == 4 else a[:, :, _MIRROR]]) for a in inputs]
            if views >= 4:  # and played backward
                inputs = [torch.cat([a, a.flip(1)]) for a in inputs]
            logits = detector(*inputs)  # (N x views, T, parts): "given exchanged"
            if views >= 4:
                logits = 0.5 * (logits[:len(logits) // 2] + logits[len(logits) // 2:].flip(1))
            if views >= 2:
                logits = 0.5 * (logits[:n] + logits[n:])
        return detector_evidence(logits, self.repair["detector"])

    def _flips_frame_by_frame(self, given: torch.Tensor, present: torch.Tensor, fit: torch.Tensor) -> torch.Tensor:
        """The input pairs (N, T, 6) to exchange so the inputs fit ``fit``, decided frame by frame.

        Per frame and group of left/right pairs (body, limbs, legs, arms, in turn), exchange when that
        is less than ``ratio`` x as far from ``fit``; returns the pairs exchanged in all.
        """
        x = given.clone()
        flips = torch.zeros(*x.shape[:2], len(INPUT_PAIRS), dtype=torch.bool, device=x.device)
        for pairs in FLIP_GROUPS.values():
            kept = torch.zeros(x.shape[:2], device=x.device)
            swapped = torch.zeros_like(kept)
            both = {}  # pairs with both sides given: only those are compared and exchanged
            for k in pairs:
                left, right = INPUT_PAIRS[k]
                both[k] = present[..., left] & present[..., right]
                kept += torch.where(both[k], (x[..., left, :] - fit[..., left, :]).norm(dim=-1)
                                    + (x[..., right, :] - fit[..., right, :]).norm(dim=-1), 0.0)
                swapped += torch.where(both[k], (x[..., right, :] - fit[..., left, :]).norm(dim=-1)
                                       + (x[..., left, :] - fit[..., right, :]).norm(dim=-1), 0.0)
            exchange = swapped < self.repair["ratio"] * kept  # (N, T)
            step = torch.zeros_like(flips)
            for k in pairs:
                step[..., k] = exchange & both[k]
            x, flips = _exchange(x, step), flips ^ step
        return flips

    def _initial_latents(self, x: torch.Tensor, mask: torch.Tensor, offset: int) -> torch.Tensor:
        n, s = len(x), self.starts
        generator = torch.Generator(device="cpu").manual_seed(self.seed + offset)
        z = torch.randn(n, s, *self.model.latent_shape, generator=generator).to(x.device)
        if self.encoder_start and self.model.encoder is not None:
            with torch.no_grad():
                z[:, 0] = self.model.encoder(x, mask)
        return z.flatten(0, 1)

    def _loss(self, z: torch.Tensor, x: torch.Tensor, weights: torch.Tensor, robust: float | None = None
              ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-start loss (N*S,) and the (aligned) generated poses (N*S, T, J, 2), normalized units.

        ``robust``: the contextual term as c^2 log(1 + r^2 / c^2) (Cauchy), so a few far entries (a flip,
        another person) cannot pull the fit; None: the paper's squared residual.
        """
        poses = self.model.generator(z)
        if self.align:
            b = len(poses)
            similarity = fit_similarity(poses.reshape(b, -1, 2), x.reshape(b, -1, 2), weights.reshape(b, -1))
            poses = similarity.apply(poses)
        squared = (poses - x).pow(2).sum(-1)
        if robust:
            squared = robust ** 2 * torch.log1p(squared / robust ** 2)
        contextual = (weights * squared).sum(dim=(1, 2)) / weights.sum(dim=(1, 2)).clamp_min(1e-6)
        loss = contextual
        if self.prior_weight:
            loss = loss + self.prior_weight * -self.model.critic(poses)
        if self.latent_weight:
            loss = loss + self.latent_weight * z.pow(2).flatten(1).mean(1)
        if self.smooth_weight:
            accel = poses[:, 2:] - 2 * poses[:, 1:-1] + poses[:, :-2]
            loss = loss + self.smooth_weight * accel.pow(2).sum(-1).mean(dim=(1, 2))
        return loss, poses

    # --- sequences --------------------------------------------------------------------------------
    def predict_track(self, keypoints_px: np.ndarray, mask: np.ndarray, confidence: np.ndarray | None = None,
                      progress: Callable[[float], None] | None = None) -> Prediction:
        """A whole sequence (F, 21, 2) px with ``mask`` (F, 21) -> a ``Prediction`` (F, 21, ...), any F >= 1.

        In overlapping windows optimized ``batch_windows`` at a time (``jumps_pl.windows``): positions, the
        spread among the best starts and, with ``infer.repair``, the repair status, each blended by kind.
        """
        def predict(windows: np.ndarray, window_mask: np.ndarray, conf: np.ndarray | None, first: int,
                    report: Callable[[float], None]) -> Prediction:
            conf_t = None if conf is None else torch.as_tensor(conf, dtype=torch.float32)
            with _frozen(self.model):
                fit = self._optimize_batch(torch.as_tensor(windows, dtype=torch.float32),
                                           torch.as_tensor(window_mask), conf_t, first, report)
            return self.prediction(fit)

        return predict_sequence(predict, keypoints_px, mask, confidence, self.window, self.overlap,
                                self.batch_windows, progress)

    def prediction(self, fit: Fit) -> Prediction:
        """A fit as a ``Prediction``: the repair status only where a repair ran."""
        return Prediction(fit.positions.numpy(), spread_px=fit.spread_px.numpy(),
                          repair=fit.repair.numpy() if self.repair else None,
                          repair_confidence=fit.repair_confidence.numpy() if self.repair else None)


class _Forward:
    """The prior as an encoder's readings use it, its networks any callables (``LatentOptimizer.with_networks``)."""

    device = torch.device("cpu")

    def __init__(self, encoder: Callable, generator: Callable, window: int, latent_shape: tuple[int, ...]):
        self.encoder, self.generator, self.window, self.latent_shape = encoder, generator, window, latent_shape


def _reads_same(one: tuple[torch.Tensor, torch.Tensor], other: tuple[torch.Tensor, torch.Tensor]) -> bool:
    """Whether two inputs (N, T, J, 2) with what is present (N, T, J) give the encoder the same to read.

    The same entries present, with the same values there (the encoder and the alignment read no other).
    """
    (x, present), (y, there) = one, other
    return torch.equal(present, there) and torch.equal(torch.where(present[..., None], x, 0.0),
                                                       torch.where(there[..., None], y, 0.0))


def _exchange(x: torch.Tensor | np.ndarray, flips: torch.Tensor | np.ndarray) -> torch.Tensor | np.ndarray:
    """``x`` (N, T, J, C) with the left and right joints of the input pairs ``flips`` (N, T, 6) exchanged.

    Torch tensors or numpy arrays, both of one kind.
    """
    tensor = isinstance(x, torch.Tensor)
    out = x.clone() if tensor else x.copy()
    out[:, :, _PAIRED] = (torch.where if tensor else np.where)(flips[..., _PAIR_OF, None], x[:, :, _PARTNERS],
                                                               x[:, :, _PAIRED])
    return out


def _relabel_by_continuity(x: torch.Tensor, weights: torch.Tensor, ratio: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The continuity heuristic's relabelling on torch tensors, with no entry set aside.

    Returns the inputs with its exchanges made, and which input pairs (N, T, 6) it exchanged.
    """
    present = (weights > 0).cpu().numpy()
    relabelled, _, status = relabel_by_continuity(x.cpu().numpy(), present, ratio, outlier=float("inf"))
    exchanged = np.stack([status[..., left] == RepairCode.RELABELLED for left, _ in INPUT_PAIRS], axis=-1)
    return torch.as_tensor(relabelled).to(x), torch.as_tensor(exchanged, device=x.device)


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


def _mirrored(poses: torch.Tensor) -> torch.Tensor:
    """Normalized windows (N, T, 21, 2) mirrored: left and right exchanged, x negated (its own inverse)."""
    return poses[:, :, _MIRROR] * poses.new_tensor([-1.0, 1.0])
