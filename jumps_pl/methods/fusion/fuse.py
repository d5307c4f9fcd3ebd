"""Fusing the prior's fit with the observations by how noisy they are (the ``JUMPS + fusion`` design change).

The latent fit G(z*) is a plausible motion but only as precise as the generator; the observations are
as precise as the detector. Per window and input joint, on the residual r = x - G(z*) in torso lengths:

1. **How noisy**: the rms second difference of r over frames where three in a row are observed. A fit
   to exact inputs leaves a smooth residual (the generator's own error); a detector's jitter leaves a
   rough one. Above ``noise_threshold`` the joint counts as noisy.
2. **Residual**: noisy joints' residuals are smoothed along time (a Gaussian of ``smoothing`` frames,
   weighted by confidence), once more with entries far from the smoothed residual down-weighted
   (``robust``). Exact joints keep r as it is: the output goes through the given joints.
   **Gaps** (missing or set-aside entries) take a curve through the fused observations of that joint
   (``gap_curve``: one kind for exact joints, one for noisy ones: ``linear``, ``cubic`` (a natural
   cubic spline) or ``pchip`` (monotone, no overshoot); edges held) plus ``gap_prior`` times the
   prior's own bend away from the same curve through its values there: 1 follows the prior's motion
   through the gap, 0 the curve alone.
3. **Input joints**: G(z*) + r, i.e. the observation where it is trusted, the prior's high frequencies
   where the observation is smoothed.
4. **Added joints**: the per-frame linear map from the fused input joints (ridge), plus ``transfer``
   (per added joint, in [0, 1]) times what the prior says beyond that map: G's added joints minus the
   map of G's own input joints. 0 is ridge on the fused inputs; 1 is the prior's structure kept whole.
   Windows given as ``own_added`` keep the prior's added joints as they are (``fusion.noisy_added:
   reading``: a real detector's joints sit off the mocap's, and a map from them carries the offset).

Shapes: poses (N, T, 21, 2) px; weights (N, T, 21), 0 where an entry is missing or set aside.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from jumps_pl import skeleton
from jumps_pl.schema import GAP_CURVES

_INPUTS, _ADDED = skeleton.INPUT_INDICES, skeleton.ADDED_INDICES
_GAP_WEIGHT = 1e-3  # weight of an interpolated (unobserved) residual in the smoothing

# poses (N, T, 21, 2) px, every entry present -> the per-frame map's (N, T, 21, 2) px (the ridge)
AddedMap = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class FusionSettings:
    """``fusion.*`` in the config (see the module docstring)."""

    noise_threshold: float
    smoothing: float
    robust: float
    gap_prior: float
    transfer: tuple[float, ...]
    gap_curve: tuple[str, str] = ("linear", "linear")  # exact joints, noisy joints

    @classmethod
    def from_config(cls, section: dict) -> FusionSettings:
        """The settings from the config's ``fusion`` section, checked (one ``transfer`` per added joint)."""
        transfer = tuple(float(b) for b in section["transfer"])
        if len(transfer) != len(_ADDED):
            raise ValueError(f"fusion.transfer needs {len(_ADDED)} numbers (one per added joint: "
                             f"{', '.join(skeleton.ADDED_JOINTS)}), got {len(transfer)}")
        curve = section.get("gap_curve") or {"exact": "linear", "noisy": "linear"}
        for kind in curve.values():
            if kind not in GAP_CURVES:
                raise ValueError(f"fusion.gap_curve: {kind!r} is not one of {', '.join(GAP_CURVES)}")
        return cls(float(section["noise_threshold"]), float(section["smoothing"]), float(section["robust"]),
                   float(section["gap_prior"]), transfer, (str(curve["exact"]), str(curve["noisy"])))


def fuse(keypoints_px: np.ndarray, weights: np.ndarray, fit_px: np.ndarray, added_map: AddedMap,
         settings: FusionSettings, own_added: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The fused poses (N, T, 21, 2) px and each input joint's noise estimate (N, 12) in torso lengths.

    ``own_added`` (N,) bool: windows whose added joints are ``fit_px``'s own, not the map's (step 4).
    """
    fit, scale, observed, residual, noise = _residual(keypoints_px, weights, fit_px)
    w = np.where(observed, np.asarray(weights)[:, :, _INPUTS], 0.0).astype(np.float64)
    sigma = np.where(noise > settings.noise_threshold, settings.smoothing, 0.0)
    smoothed = _smooth(_fill(residual, observed), np.where(observed, w, _GAP_WEIGHT), sigma)
    if settings.robust > 0:
        far = np.linalg.norm(residual - smoothed, axis=-1) / (settings.robust * np.maximum(noise, 1e-3)[:, None])
        w = np.where(observed & (sigma[:, None] > 0), w / (1.0 + far ** 2), w)
        smoothed = _smooth(_fill(residual, w > 0), np.where(w > 0, w, _GAP_WEIGHT), sigma)
    out = fit.copy()
    out[:, :, _INPUTS] = fit[:, :, _INPUTS] + smoothed * scale
    # in gaps: a curve through the joint's fused observations plus ``gap_prior`` times the prior's own bend
    # away from the same curve through its values (1: the prior's motion through the gap; 0: the curve)
    kept = w > 0
    noisy = sigma > 0  # (N, 12)
    fused = out[:, :, _INPUTS]
    for kind, rows in ((settings.gap_curve[0], ~noisy), (settings.gap_curve[1], noisy)):
        known = kept & rows[:, None, :]
        through = _curve(fused, known, kind)
        if settings.gap_prior:
            through = through + settings.gap_prior * (fit[:, :, _INPUTS] - _curve(fit[:, :, _INPUTS], known, kind))
        fused = np.where((~kept & rows[:, None, :])[..., None], through, fused)
    out[:, :, _INPUTS] = fused
    beyond = fit[:, :, _ADDED] - added_map(fit)[:, :, _ADDED]
    transfer = np.asarray(settings.transfer)[None, None, :, None]
    out[:, :, _ADDED] = added_map(out)[:, :, _ADDED] + transfer * beyond
    if own_added is not None:  # those windows' added joints: the fit's own
        out[:, :, _ADDED] = np.where(np.asarray(own_added)[:, None, None, None], fit[:, :, _ADDED], out[:, :, _ADDED])
    return out.astype(np.float32), noise.astype(np.float32)


def window_noise(keypoints_px: np.ndarray, weights: np.ndarray, fit_px: np.ndarray) -> np.ndarray:
    """(N,) how noisy each window's observations are, in torso lengths.

    The median over its input joints of the rms second difference of the residual to ``fit_px`` (as
    ``fuse`` reads each joint).
    """
    noise = _residual(keypoints_px, weights, fit_px)[-1]
    return np.median(np.where(np.isfinite(noise), noise, 1e9), axis=1)


def _residual(keypoints_px: np.ndarray, weights: np.ndarray, fit_px: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The residual x - fit on the input joints, in torso lengths, with what ``fuse`` needs around it.

    The fit (float64), its torso scale (N, 1, 1, 1), the observed input entries (N, T, 12), the
    residual there (N, T, 12, 2) and each input joint's noise (N, 12).
    """
    fit = np.asarray(fit_px, dtype=np.float64)
    scale = np.maximum(_torso_px(fit), 1e-6)[:, None, None, None]
    observed = np.asarray(weights)[:, :, _INPUTS] > 0
    residual = np.where(observed[..., None], (keypoints_px[:, :, _INPUTS] - fit[:, :, _INPUTS]) / scale, 0.0)
    return fit, scale, observed, residual, _roughness(residual, observed)


def _torso_px(poses: np.ndarray) -> np.ndarray:
    """(N, T, 21, 2) -> (N,) the mean distance between the shoulder and hip midpoints."""
    shoulders = poses[:, :, list(skeleton.SHOULDER_JOINTS)].mean(2)
    hips = poses[:, :, list(skeleton.HIP_JOINTS)].mean(2)
    return np.linalg.norm(shoulders - hips, axis=-1).mean(1)


def _roughness(residual: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """(N, T, J, 2), (N, T, J) -> (N, J): rms second difference over observed triples of frames.

    A joint with no such triple takes its window's median, a window with none counts as noisy (inf).
    """
    second = residual[:, 2:] - 2 * residual[:, 1:-1] + residual[:, :-2]
    triple = observed[:, 2:] & observed[:, 1:-1] & observed[:, :-2]
    count = triple.sum(1)
    energy = (np.square(second).sum(-1) * triple).sum(1)
    rough = np.where(count > 0, np.sqrt(energy / np.maximum(count, 1)), np.nan)
    known = np.isfinite(rough)
    median = np.array([np.median(row[ok]) if ok.any() else np.inf for row, ok in zip(rough, known, strict=True)])
    return np.where(known, rough, median[:, None])


def _fill(residual: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Linear interpolation of (N, T, J, 2) along T over unobserved entries, edges held.

    A joint never observed in its window gets 0 (the prior alone).
    """
    out = np.where(observed[..., None], residual, 0.0)
    frames = np.arange(residual.shape[1])
    for n, j in zip(*np.nonzero(observed.any(1) & ~observed.all(1)), strict=True):
        known = observed[n, :, j]
        for c in range(residual.shape[-1]):
            out[n, :, j, c] = np.interp(frames, frames[known], residual[n, known, j, c])
    return out


def _curve(values: np.ndarray, observed: np.ndarray, kind: str) -> np.ndarray:
    """(N, T, J, 2) values through their ``observed`` entries (N, T, J) over the others, by ``kind``.

    ``kind`` is one of ``GAP_CURVES``; outside the first and last observation the edge value is held; joints
    observed in fewer than 4 frames (or ``linear``) take the straight line (``_fill``).
    """
    out = _fill(values, observed)
    if kind == "linear":
        return out
    from scipy.interpolate import CubicSpline, PchipInterpolator

    frames = np.arange(values.shape[1])
    for n, j in zip(*np.nonzero((observed.sum(1) >= 4) & ~observed.all(1)), strict=True):
        known = observed[n, :, j]
        inside = ~known & (frames > frames[known][0]) & (frames < frames[known][-1])
        if inside.any():
            x, y = frames[known], values[n, known, j]
            curve = CubicSpline(x, y, axis=0, bc_type="natural") if kind == "cubic" else PchipInterpolator(x, y, axis=0)
            out[n, inside, j] = curve(frames[inside])
    return out


def _smooth(residual: np.ndarray, weights: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Weighted Gaussian smoothing along T of (N, T, J, 2) with weights (N, T, J).

    ``sigma`` (N, J) in frames, 0 leaving that joint as it is.
    """
    from scipy.ndimage import gaussian_filter1d

    out = residual.copy()
    for s in np.unique(sigma[sigma > 0]):
        n, j = np.nonzero(sigma == s)
        numerator = gaussian_filter1d(residual[n, :, j] * weights[n, :, j, None], s, axis=1, mode="nearest")
        denominator = gaussian_filter1d(weights[n, :, j], s, axis=1, mode="nearest")[..., None]
        out[n, :, j] = numerator / np.maximum(denominator, 1e-12)
    return out
