from jumps_pl.metrics.pckh import PCKh, PCKhAUC, pckh, pckh_auc

__all__ = ["PCKh", "PCKhAUC", "pckh", "pckh_auc"]
