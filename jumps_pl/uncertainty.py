"""How sure each output joint is: a predicted 90% error radius in pixels, calibrated on validation data.

For every output joint the radius is

    r90 = k90 * h * sqrt(b_j^2 + (c_s * spread / h)^2 + (c_r * residual / h)^2 + (c_f * frame_residual / h)^2
                         + (c_g * gap / 10)^2 + (c_v * speed / h)^2)

with h the person's head size in pixels (half the Neck-Hips distance of the output, the protocol's
head length seen from the side), and five signals of how well the output is supported:

- ``spread``: how far the best latent starts disagree on the joint (JUMPS rows; 0 for the others): a
  joint that equally good fits put in different places is not pinned down by the input;
- ``residual``: for a joint with an observation, how far the output is from it (a detection the
  method did not follow is an outlier, or the method failed there);
- ``frame_residual``: the mean residual of the frame's observed joints (a frame the method fits badly
  is bad for its inferred joints too);
- ``gap``: for a joint the detector gives but missed here, the frames to its nearest observation (a
  joint bridged over a long gap is less sure than one seen a frame ago; 0 for observed and added joints);
- ``speed``: how fast the output joint moves (px per frame): fast motion is where smoothing and
  detectors err most;

and ``b_j`` the typical error of joint j (head sizes). ``b``, ``c_*`` and ``k90`` are fitted per method
and per role of the joint (``added``: one of the 9 the input lacks; ``observed``: given by the
detector in this frame; ``missing``: a detector joint missed or too unsure here), because the three
err for different reasons (an added joint by the prior's guess, an observed one by the detector's
noise, a missing one by how far the method bridged), on the validation split's HPE task
(``jumps calibrate``), so that 90% of validation errors of each role fall within r90; the shipped fit
is ``pretrained/calibration.yaml``. Why this and not an ensemble: it costs nothing
at run time (the starts are already run), and it works for every method, the filters included.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from jumps_pl import skeleton
from jumps_pl.files import write_text
from jumps_pl.model_folders import pretrained_dir

CALIBRATION_FILE = "calibration.yaml"
ROLES = ("added", "observed", "missing")


def head_size_px(keypoints_px: np.ndarray) -> np.ndarray:
    """(..., 21, 2) -> (...) half the Neck-Hips distance, floored at 1 px."""
    neck, hips = keypoints_px[..., skeleton.NECK, :], keypoints_px[..., skeleton.ROOT, :]
    return np.maximum(0.5 * np.linalg.norm(neck - hips, axis=-1), 1.0)


def signals(pred_px: np.ndarray, given_px: np.ndarray, weight: np.ndarray, spread_px: np.ndarray | None
            ) -> dict[str, np.ndarray]:
    """The signals above, each (..., 21).

    ``spread``, ``residual``, ``frame_residual`` and ``speed`` (per frame) are in head sizes, ``gap`` in frames.
    """
    head = head_size_px(pred_px)[..., None]
    observed = weight > 0
    residual = np.where(observed, np.linalg.norm(pred_px - given_px, axis=-1), 0.0) / head
    count = observed.sum(-1, keepdims=True)
    frame = np.where(count > 0, residual.sum(-1, keepdims=True) / np.maximum(count, 1), 0.0)
    spread = np.zeros_like(residual) if spread_px is None else spread_px / head
    speed = np.linalg.norm(np.gradient(pred_px, axis=-3), axis=-1) / head if pred_px.shape[-3] > 1 else \
        np.zeros_like(residual)
    return {"spread": spread, "residual": residual, "frame_residual": np.broadcast_to(frame, residual.shape),
            "gap": _gap(observed), "speed": speed}


def _gap(observed: np.ndarray) -> np.ndarray:
    """(..., T, 21) frames to the nearest observation of the same joint along T.

    0 where observed and for joints never observed in the sequence (the added ones).
    """
    frames = observed.shape[-2]
    t = np.arange(frames)[:, None]
    big = 10 * frames
    last = np.where(observed, t, -big)
    last = np.maximum.accumulate(last, axis=-2)
    following = np.where(observed, t, 2 * big)
    following = np.flip(np.minimum.accumulate(np.flip(following, axis=-2), axis=-2), axis=-2)
    gap = np.minimum(t - last, following - t).astype(np.float64)
    seen = observed.any(axis=-2, keepdims=True)
    return np.where(seen & (gap < big), gap, 0.0)


@dataclass
class Calibration:
    """One role's fitted radius: ``b_j`` per joint (head sizes), the ``c_*`` weights and ``k90``."""

    base: np.ndarray            # (21,) head sizes
    spread: float
    residual: float
    frame_residual: float
    gap: float
    speed: float
    k90: float
    note: str = ""

    def scale(self, sig: dict[str, np.ndarray]) -> np.ndarray:
        """The unscaled uncertainty (..., 21), head sizes."""
        return np.sqrt(self.base ** 2 + (self.spread * sig["spread"]) ** 2 + (self.residual * sig["residual"]) ** 2
                       + (self.frame_residual * sig["frame_residual"]) ** 2 + (self.gap * sig["gap"] / 10) ** 2
                       + (self.speed * sig["speed"]) ** 2)

    def to_dict(self) -> dict:
        """The entry as ``calibration.yaml`` holds it (``base`` by joint name)."""
        return {"base": {name: round(float(b), 5) for name, b in zip(skeleton.HIGH_RES_JOINTS, self.base, strict=True)},
                "spread": self.spread, "residual": self.residual, "frame_residual": self.frame_residual,
                "gap": self.gap, "speed": self.speed, "k90": round(float(self.k90), 5), "note": self.note}

    @classmethod
    def from_dict(cls, data: dict, where: str) -> Calibration:
        """An entry of ``calibration.yaml``; a malformed one raises a ``ValueError`` naming ``where``."""
        try:
            base = np.array([float(data["base"][name]) for name in skeleton.HIGH_RES_JOINTS])
            return cls(base, float(data["spread"]), float(data["residual"]), float(data["frame_residual"]),
                       float(data["gap"]), float(data["speed"]), float(data["k90"]), str(data.get("note", "")))
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{where}: not a calibration entry ({err})") from None


def roles(weight: np.ndarray) -> dict[str, np.ndarray]:
    """(..., 21) detector weights (0 where missing) -> each role's mask (..., 21)."""
    added = np.zeros(weight.shape, dtype=bool)
    added[..., skeleton.ADDED_INDICES] = True
    observed = (weight > 0) & ~added
    return {"added": added, "observed": observed, "missing": ~added & ~observed}


@dataclass
class MethodCalibration:
    """One method's calibration: a :class:`Calibration` per role of the joint (``ROLES``)."""
    by_role: dict[str, Calibration]

    def radius_px(self, pred_px: np.ndarray, given_px: np.ndarray, weight: np.ndarray,
                  spread_px: np.ndarray | None) -> np.ndarray:
        """The predicted 90% error radius (..., 21) in pixels."""
        sig = signals(pred_px, given_px, weight, spread_px)
        head = head_size_px(pred_px)[..., None]
        radius = np.zeros(weight.shape, dtype=np.float64)
        for role, chosen in roles(weight).items():
            calibration = self.by_role[role]
            radius = np.where(chosen, calibration.k90 * calibration.scale(sig) * head, radius)
        return radius.astype(np.float32)

    def to_dict(self) -> dict:
        """The entry as ``calibration.yaml`` holds it: one ``Calibration`` per role."""
        return {role: self.by_role[role].to_dict() for role in ROLES}

    @classmethod
    def from_dict(cls, data: dict, where: str) -> MethodCalibration:
        """An entry of ``calibration.yaml``: one fit per role, or one for every role (older files)."""
        if not isinstance(data, dict):
            raise ValueError(f"{where}: not a calibration entry (a mapping of {', '.join(ROLES)})")
        if "base" in data:  # one fit for every role (files written before the roles)
            single = Calibration.from_dict(data, where)
            return cls({role: single for role in ROLES})
        unknown = sorted(set(data) - set(ROLES))
        if unknown or set(data) != set(ROLES):
            raise ValueError(f"{where}: not a calibration entry (expected the roles {', '.join(ROLES)}; "
                             f"got {', '.join(map(str, data)) or 'none'})")
        return cls({role: Calibration.from_dict(data[role], f"{where}: {role}") for role in ROLES})


def calibration_path() -> Path:
    """The shipped calibration file, ``pretrained/calibration.yaml``."""
    return pretrained_dir() / CALIBRATION_FILE


def load_calibrations(path: str | Path | None = None) -> dict[str, MethodCalibration]:
    """Method name -> calibration, from ``path`` (default: the shipped ``pretrained/calibration.yaml``)."""
    if path and not Path(path).is_file():
        raise FileNotFoundError(f"upsample.calibration={path}: no such file (a `jumps calibrate` output; "
                                "null for the shipped one)")
    path = Path(path) if path else calibration_path()
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: not valid YAML ({err})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a calibration file (a mapping of method names)")
    return {name: MethodCalibration.from_dict(entry, f"{path}: {name}") for name, entry in data.items()}


def save_calibrations(path: str | Path, calibrations: dict[str, MethodCalibration]) -> Path:
    """Writes method name -> calibration to ``path`` as YAML, atomically; returns the path."""
    text = yaml.safe_dump({name: c.to_dict() for name, c in calibrations.items()}, sort_keys=False)
    return write_text(path, text)


def fit(errors: np.ndarray, sig: dict[str, np.ndarray], weight: np.ndarray, note: str = "") -> MethodCalibration:
    """Fit on validation errors (N, T, 21) head sizes, their signals and the detector weights.

    One :class:`Calibration` per role (:func:`fit_role`).
    """
    masks = roles(weight)
    return MethodCalibration({role: fit_role(errors, sig, masks[role], f"{note}, {role} joints")
                              for role in ROLES})


def fit_role(errors: np.ndarray, sig: dict[str, np.ndarray], chosen: np.ndarray, note: str = "") -> Calibration:
    """One role's :class:`Calibration`, fitted over the entries ``chosen`` (N, T, 21).

    ``b_j`` the joint's median error (the role's median where the joint never has the role), ``c_*`` on a
    small grid for the best Spearman correlation between the scale and the error, then ``k90`` so that 90%
    of the errors fall within ``k90 * scale``.
    """
    import itertools

    from scipy.stats import spearmanr

    if not chosen.any():  # a role the data never show (no missed detections): the whole fit
        chosen = np.ones(errors.shape, dtype=bool)
    per_joint = chosen.reshape(-1, errors.shape[-1])
    flat_errors = errors.reshape(-1, errors.shape[-1])
    fallback = float(np.median(errors[chosen]))
    base = np.array([np.median(flat_errors[per_joint[:, j], j]) if per_joint[:, j].any() else fallback
                     for j in range(errors.shape[-1])])
    base = np.maximum(base, 1e-3)
    entries = np.flatnonzero(chosen.ravel())
    pick = np.random.default_rng(0).choice(entries, size=min(entries.size, 30_000), replace=False)
    flat_err = errors.ravel()[pick]
    flat_sig = {k: np.broadcast_to(v, errors.shape).ravel()[pick] for k, v in sig.items()}
    joint = np.broadcast_to(np.arange(errors.shape[-1]), errors.shape).ravel()[pick]
    grid = (0.0, 0.5, 1.0, 2.0)
    best, best_rho = (0.0, 0.0, 0.0, 0.0, 0.0), -np.inf
    for values in itertools.product(*(grid if flat_sig[k].any() else (0.0,)
                                      for k in ("spread", "residual", "frame_residual", "gap", "speed"))):
        rho = spearmanr(Calibration(base[joint], *values, 1.0).scale(flat_sig), flat_err).statistic
        if rho > best_rho:
            best, best_rho = values, rho
    calibration = Calibration(base, *best, 1.0, note)
    ratio = (errors / calibration.scale(sig))[chosen]
    calibration.k90 = float(np.quantile(ratio, 0.9))
    return calibration
