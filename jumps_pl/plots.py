"""Plots as RGB images, with matplotlib's object API: a ``Figure`` on its own Agg canvas.

So drawing one neither needs nor changes the process's matplotlib backend (and never imports pyplot).
"""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def plot_pckh_curves(curves: dict[str, list[float]], title: str) -> np.ndarray:
    """PCKh against threshold a = 0, 0.01, ..., 1, one line per method; (H, W, 3) uint8.

    Curves that lie on each other stay apart: each has its own line style and marker, and the legend
    lists them by AUC, highest first, with the AUC.
    """
    figure = Figure(figsize=(6.4, 4.8))
    canvas = FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    thresholds = np.linspace(0.0, 1.0, 101)
    styles = ["-", "--", "-.", ":"]
    markers = ["o", "s", "^", "v", "D", "x", "+", "*", "P", "<", ">", "h"]
    def auc(curve: list[float]) -> float:  # the trapezoid over the 101 evenly spaced thresholds
        values = np.asarray(curve, dtype=np.float64)
        return float(np.mean((values[1:] + values[:-1]) / 2))

    by_auc = sorted(curves.items(), key=lambda item: -auc(item[1]))
    for k, (name, curve) in enumerate(by_auc):
        ax.plot(thresholds, curve, label=f"{name} ({auc(curve):.3f})", lw=1.4,
                ls=styles[k % len(styles)], marker=markers[k % len(markers)], markevery=(k % 10, 10), ms=4)
    ax.set_xlabel("threshold a (head sizes)")
    ax.set_ylabel("PCKh@a")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="lower right", title="AUC, highest first", title_fontsize=7)
    figure.tight_layout()
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def plot_uncertainty(pairs: dict[str, tuple[np.ndarray, np.ndarray]], title: str, points: int = 4000) -> np.ndarray:
    """Predicted 90% radius against actual error (px), log-log, a panel per method; (H, W, 3) uint8.

    Each panel also shows the binned 90th percentile of the error (what a calibrated radius should follow)
    and the line error = radius.
    """
    figure = Figure(figsize=(4.2 * len(pairs), 4.2))
    canvas = FigureCanvasAgg(figure)
    rng = np.random.default_rng(0)
    for i, (name, (radius, error)) in enumerate(pairs.items()):
        ax = figure.add_subplot(1, len(pairs), i + 1)
        ok = np.isfinite(radius) & (radius > 0) & (error > 0)
        radius, error = radius[ok], error[ok]
        pick = rng.choice(len(radius), size=min(points, len(radius)), replace=False)
        ax.scatter(radius[pick], error[pick], s=2, alpha=0.25, color="tab:blue", rasterized=True)
        edges = np.quantile(radius, np.linspace(0, 1, 13))
        centres, p90 = [], []
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            inside = (radius >= lo) & (radius <= hi)
            if inside.sum() > 20:
                centres.append(np.median(radius[inside]))
                p90.append(np.quantile(error[inside], 0.9))
        ax.plot(centres, p90, color="tab:red", lw=2, label="90th percentile of the error")
        top = max(radius.max(), error.max())
        ax.plot([0.1, top], [0.1, top], color="0.3", ls="--", lw=1, label="error = radius")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("predicted 90% radius (px)")
        ax.set_ylabel("actual error (px)")
        ax.set_title(name, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()
