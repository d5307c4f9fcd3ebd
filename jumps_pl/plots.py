"""Plots as RGB images, with matplotlib's object API: a ``Figure`` on its own Agg canvas, so drawing one
neither needs nor changes the process's matplotlib backend (and never imports pyplot)."""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def plot_pckh_curves(curves: dict[str, list[float]], title: str) -> np.ndarray:
    """PCKh against threshold a = 0, 0.01, ..., 1, one line per method; (H, W, 3) uint8."""
    figure = Figure(figsize=(6.4, 4.4))
    canvas = FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    thresholds = np.linspace(0.0, 1.0, 101)
    for name, curve in curves.items():
        ax.plot(thresholds, curve, label=name, lw=1.6, ls="--" if "ridge" in name or "conv" in name else "-")
    ax.set_xlabel("threshold a (head sizes)")
    ax.set_ylabel("PCKh@a")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()
