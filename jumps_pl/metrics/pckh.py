"""PCKh and its AUC (``../shared/PROTOCOL.md``), as functions and as torchmetrics Metrics.

A (joint, frame) pair is correct at threshold a when ||pred - target|| <= a * h(t), h the head size in
pixels. Only pairs where ``mask`` is True are scored. The Metric classes accumulate counts (sums), so
batching and DDP give the same result as one call over everything.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torchmetrics import Metric

AUC_THRESHOLDS = torch.arange(101, dtype=torch.float64) / 100  # 0, 0.01, ..., 1 exactly as decimals allow


def _hits(preds: torch.Tensor, target: torch.Tensor, head_size_px: torch.Tensor, mask: torch.Tensor | None,
          thresholds: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Correct counts per threshold (K,) and the number of scored pairs, for (B, T, J, 2) inputs."""
    if preds.shape != target.shape or preds.shape[-1] != 2:
        raise ValueError(f"preds and target must both be (B, T, J, 2), got {tuple(preds.shape)} "
                         f"and {tuple(target.shape)}")
    if head_size_px.shape != preds.shape[:2]:
        raise ValueError(f"head_size_px must be (B, T) = {tuple(preds.shape[:2])}, got {tuple(head_size_px.shape)}")
    if mask is None:
        mask = torch.ones(preds.shape[:-1], dtype=torch.bool, device=preds.device)
    relative = torch.linalg.vector_norm(preds - target, dim=-1) / head_size_px[..., None]  # (B, T, J)
    scored = relative[mask.bool()]
    thresholds = thresholds.to(scored)
    correct = (scored[None, :] <= thresholds[:, None]).sum(dim=1)
    return correct.to(torch.float64), torch.tensor(float(scored.numel()), dtype=torch.float64, device=preds.device)


def pckh(preds: torch.Tensor, target: torch.Tensor, head_size_px: torch.Tensor, mask: torch.Tensor | None = None,
         thresholds: Sequence[float] | torch.Tensor = (0.1, 0.5, 1.0)) -> torch.Tensor:
    """PCKh at each threshold (K,): preds, target (B, T, J, 2) px, head_size_px (B, T), mask (B, T, J)."""
    correct, total = _hits(preds, target, head_size_px, mask, torch.as_tensor(thresholds, dtype=torch.float64))
    return correct / total


def _auc(curve: torch.Tensor) -> torch.Tensor:
    return torch.trapezoid(curve, AUC_THRESHOLDS.to(curve))


def pckh_auc(preds: torch.Tensor, target: torch.Tensor, head_size_px: torch.Tensor,
             mask: torch.Tensor | None = None) -> torch.Tensor:
    """Trapezoidal area under PCKh@a for a = 0, 0.01, ..., 1 (a value in [0, 1])."""
    return _auc(pckh(preds, target, head_size_px, mask, AUC_THRESHOLDS))


class PCKh(Metric):
    """PCKh at fixed thresholds; ``compute()`` returns a (K,) tensor in the order given."""

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(self, thresholds: Sequence[float] = (0.1, 0.5, 1.0), **kwargs):
        super().__init__(**kwargs)
        self.register_buffer("thresholds", torch.as_tensor(thresholds, dtype=torch.float64), persistent=False)
        self.add_state("correct", default=torch.zeros(len(self.thresholds), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("total", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, preds: torch.Tensor, target: torch.Tensor, head_size_px: torch.Tensor,
               mask: torch.Tensor | None = None) -> None:
        """Add a batch: preds, target (B, T, J, 2) px, head_size_px (B, T), mask (B, T, J)."""
        correct, total = _hits(preds, target, head_size_px, mask, self.thresholds)
        self.correct += correct
        self.total += total

    def compute(self) -> torch.Tensor:
        """PCKh at each threshold (K,) over everything added."""
        return self.correct / self.total


class PCKhAUC(PCKh):
    """Area under the PCKh curve over a = 0, 0.01, ..., 1."""

    def __init__(self, **kwargs):
        super().__init__(thresholds=AUC_THRESHOLDS.tolist(), **kwargs)

    def compute(self) -> torch.Tensor:
        """The AUC (a value in [0, 1]) over everything added."""
        return _auc(super().compute())
