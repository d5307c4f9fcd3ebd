"""Skeleton drawings: a few frames of 2D pose sequences side by side, as an RGB image."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from jumps_pl import skeleton  # noqa: E402

_LEFT = {j for j, name in enumerate(skeleton.HIGH_RES_JOINTS) if name.endswith("_L")}
_RIGHT = {j for j, name in enumerate(skeleton.HIGH_RES_JOINTS) if name.endswith("_R")}


def _bone_colour(child: int) -> str:
    return "tab:blue" if child in _LEFT else "tab:red" if child in _RIGHT else "0.25"


def save_png(path, image: np.ndarray) -> None:
    """Write an (H, W, 3) uint8 image as PNG."""
    plt.imsave(path, image)


def draw_sequences(rows: dict[str, np.ndarray], frames: int = 6) -> np.ndarray:
    """One row per named sequence (T, 21, 2) in pixels (image y down), ``frames`` evenly spaced frames
    per row; left limbs blue, right limbs red. Returns (H, W, 3) uint8."""
    names = list(rows)
    fig, axes = plt.subplots(len(names), frames, figsize=(1.6 * frames, 2.0 * len(names)), squeeze=False)
    for r, name in enumerate(names):
        seq = np.asarray(rows[name], dtype=np.float32)
        picks = np.linspace(0, len(seq) - 1, frames).round().astype(int)
        lo, hi = np.nanmin(seq.reshape(-1, 2), 0), np.nanmax(seq.reshape(-1, 2), 0)
        pad = 0.05 * float((hi - lo).max() + 1e-6)
        for c, t in enumerate(picks):
            ax = axes[r, c]
            for parent, child in skeleton.BONES:
                ax.plot(seq[t, [parent, child], 0], seq[t, [parent, child], 1], color=_bone_colour(child), lw=1.5)
            ax.set_xlim(lo[0] - pad, hi[0] + pad)
            ax.set_ylim(hi[1] + pad, lo[1] - pad)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(name, fontsize=8)
            ax.set_title(f"t={t}", fontsize=7)
    fig.tight_layout()
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return image


def plot_pckh_curves(curves: dict[str, list[float]], title: str) -> np.ndarray:
    """PCKh against threshold a = 0, 0.01, ..., 1, one line per method; (H, W, 3) uint8."""
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
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
    fig.tight_layout()
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return image
