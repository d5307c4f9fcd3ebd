"""The per-frame ridge regression from the present input joints to all 21.

The ``ridge`` row, and the map the filter rows, the fusion and the transfer build on.

Per window (N, T, 21, 2) px with a mask of present entries:
1. missing input entries are filled by linear interpolation in time (edges held; a joint missing in
   the whole window takes its mean position relative to the hips from the training data);
2. each frame is root-centred (hip midpoint of that frame) and scale-normalized (the window's mean
   torso length, as ``jumps_pl.models.normalization``);
3. a ridge regression (fitted on the training split) maps the 24 input coordinates to all 42.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from jumps_pl import skeleton
from jumps_pl.gaps import interpolate_missing
from jumps_pl.methods.registry import register_trainable


def _frame_normalization(inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame centre (N, T, 2) and per-window scale (N,) of filled 21-joint windows."""
    (left_hip, right_hip), (left_shoulder, right_shoulder) = skeleton.HIP_JOINTS, skeleton.SHOULDER_JOINTS
    hips = 0.5 * (inputs[:, :, left_hip] + inputs[:, :, right_hip])
    shoulders = 0.5 * (inputs[:, :, left_shoulder] + inputs[:, :, right_shoulder])
    scale = np.linalg.norm(shoulders - hips, axis=-1).mean(axis=1)
    return hips, np.maximum(scale, 1e-6)


class RidgeBaseline:
    """Per-frame linear map from 12 normalized input joints to 21 (``weights`` (25, 42), last row bias)."""

    def __init__(self, alpha: float = 1.0, weights: np.ndarray | None = None,
                 fill_mean: np.ndarray | None = None):
        self.alpha = alpha
        self.weights = weights
        self.fill_mean = fill_mean  # (12, 2) normalized mean position of each input joint

    # --- fitting ---------------------------------------------------------------------------------
    def fit(self, windows_px: list[np.ndarray] | np.ndarray) -> RidgeBaseline:
        """Fit on complete ground-truth windows (N, T, 21, 2) px (or a list of such batches)."""
        xtx = np.zeros((25, 25))
        xty = np.zeros((25, 42))
        sums = np.zeros((12, 2))
        count = 0
        for batch in (windows_px if isinstance(windows_px, list) else [windows_px]):
            batch = np.asarray(batch, dtype=np.float64)
            centre, scale = _frame_normalization(batch)
            normalized = (batch - centre[:, :, None]) / scale[:, None, None, None]
            x = normalized[:, :, skeleton.INPUT_INDICES].reshape(-1, 24)
            y = normalized.reshape(-1, 42)
            x1 = np.concatenate([x, np.ones((len(x), 1))], axis=1)
            xtx += x1.T @ x1
            xty += x1.T @ y
            sums += x.reshape(-1, 12, 2).sum(0)
            count += len(x)
        if count == 0:
            raise ValueError("ridge: no training windows")
        penalty = self.alpha * np.eye(25)
        penalty[-1, -1] = 0.0  # the bias is not shrunk
        self.weights = np.linalg.solve(xtx + penalty, xty)
        self.fill_mean = sums / count
        return self

    # --- prediction ------------------------------------------------------------------------------
    def predict(self, keypoints_px: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """(N, T, 21, 2) px from the present input entries of ``keypoints_px`` (mask (N, T, 21))."""
        if self.weights is None:
            raise RuntimeError("ridge baseline is not fitted")
        inputs = np.asarray(keypoints_px, dtype=np.float64)[:, :, skeleton.INPUT_INDICES]
        present = np.asarray(mask, dtype=bool)[:, :, skeleton.INPUT_INDICES]
        filled, absent = interpolate_missing(inputs, present)
        full = np.zeros(keypoints_px.shape[:2] + (skeleton.NUM_JOINTS, 2))
        full[:, :, skeleton.INPUT_INDICES] = filled
        if absent.any():  # a joint never seen in the window: the training mean relative to the hips
            centre, scale = self._fallback_frame(filled, absent)
            for n, j in zip(*np.nonzero(absent), strict=True):
                full[n, :, skeleton.INPUT_INDICES[j]] = centre[n] + scale[n] * self.fill_mean[j]
        centre, scale = _frame_normalization(full)
        x = ((full[:, :, skeleton.INPUT_INDICES] - centre[:, :, None]) / scale[:, None, None, None])
        n, t = x.shape[:2]
        y = np.concatenate([x.reshape(n * t, 24), np.ones((n * t, 1))], axis=1) @ self.weights
        return (y.reshape(n, t, skeleton.NUM_JOINTS, 2) * scale[:, None, None, None] + centre[:, :, None]
                ).astype(np.float32)

    def _fallback_frame(self, filled: np.ndarray, absent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A centre (N, T, 2) and scale (N,) from whatever hips/shoulders exist (else the joints' spread)."""
        ok = ~absent  # columns in COCO order: shoulders 0, 1; hips 6, 7
        centre = np.zeros(filled.shape[:2] + (2,))
        scale = np.ones(filled.shape[0])
        for n in range(len(filled)):
            hips = [c for c in (6, 7) if ok[n, c]]
            seen = np.nonzero(ok[n])[0]
            if len(seen) == 0:
                raise ValueError("ridge: a window has no input joint present at all")
            centre[n] = filled[n][:, hips].mean(1) if hips else filled[n][:, seen].mean(1)
            shoulders = [c for c in (0, 1) if ok[n, c]]
            if hips and shoulders:
                scale[n] = np.linalg.norm(filled[n][:, shoulders].mean(1) - centre[n], axis=-1).mean()
            else:
                spread = np.linalg.norm(filled[n][:, seen] - filled[n][:, seen].mean(1, keepdims=True), axis=-1)
                scale[n] = spread.mean() * 2.0
        return centre, np.maximum(scale, 1e-6)

    # --- storage ---------------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Writes the weights, the fill means and ``alpha`` to an ``.npz`` file (``weights.npz``)."""
        np.savez(path, weights=self.weights, fill_mean=self.fill_mean, alpha=self.alpha)

    @classmethod
    def load(cls, path: str | Path) -> RidgeBaseline:
        """A fitted map from a file ``save`` wrote, its shapes checked."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"ridge weights {path} do not exist")
        with np.load(path) as data:
            if data["weights"].shape != (25, 42) or data["fill_mean"].shape != (12, 2):
                raise ValueError(f"{path}: not ridge weights (shapes {data['weights'].shape}, "
                                 f"{data['fill_mean'].shape})")
            return cls(float(data["alpha"]), data["weights"], data["fill_mean"])


def fit_on_training_split(datamodule, alpha: float, passes: int) -> RidgeBaseline:
    """Fit on the training windows of a set-up ``MocapDataModule``, ``passes`` times over.

    Each pass is under fresh random cameras (and mirroring), as the networks are trained.
    """
    batches = [datamodule.to_2d(batch, augment=True)["keypoints_px"].numpy()
               for _ in range(passes) for batch in datamodule.dataloader("train")]
    return RidgeBaseline(alpha).fit(batches)


@register_trainable("ridge", config_key="ridge")
def fit_ridge(datamodule, config: dict) -> RidgeBaseline:
    """``jumps train-baseline ridge``: the map fitted on the training split (``baselines.ridge``)."""
    datamodule.setup()
    ridge = config["baselines"]["ridge"]
    return fit_on_training_split(datamodule, ridge["alpha"], ridge["passes"])
