"""The protocol's metrics: PCKh and its AUC, as functions and as torchmetrics Metrics."""
from jumps_pl.metrics.pckh import PCKh, PCKhAUC, pckh, pckh_auc

__all__ = ["PCKh", "PCKhAUC", "pckh", "pckh_auc"]
