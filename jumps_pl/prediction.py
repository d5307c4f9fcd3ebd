"""What a method returns: 21-joint positions and named per-joint extras, never packed into channels.

Every method maps windows (N, T, 21, 2) or a whole track (F, 21, 2) to a ``Prediction`` of the same
leading shape. Besides the positions it may carry, per joint:

- ``spread_px``: how much equally good readings disagree (the latent fit's best starts), in pixels, a
  signal the uncertainty calibration reads (``uncertainty.py``);
- ``radius_px``: the predicted 90% error radius in pixels, once calibrated;
- ``repair``: what a repair did with each input entry, a ``RepairCode`` (int8).

Where predictions are combined (overlapping windows, resampling in time), each kind of extra is
combined in its own way: positions and radii as weighted means, repair codes by weighted vote
(``combine``).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, fields, replace

import numpy as np


class RepairCode(enum.IntEnum):
    """What a repair did with one input entry."""

    KEPT = 0
    RELABELLED = 1  # left and right exchanged
    SET_ASIDE = 2   # an outlier or another person's joint, not used

    @property
    def label(self) -> str:
        """The code's name as writers spell it (``set aside``)."""
        return self.name.lower().replace("_", " ")


REPAIR_LABELS: tuple[str, ...] = tuple(code.label for code in RepairCode)


@dataclass
class Prediction:
    """Positions (..., 21, 2) px and optional per-joint extras (..., 21) aligned with them."""

    positions: np.ndarray
    spread_px: np.ndarray | None = None
    radius_px: np.ndarray | None = None
    repair: np.ndarray | None = None  # RepairCode values, int8

    def extras(self) -> dict[str, np.ndarray]:
        """The extras that are present, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name != "positions" and getattr(self, f.name) is not None}

    def select(self, index) -> Prediction:
        """The prediction of ``index`` along the leading axis (windows or frames), every field alike."""
        return replace(self, **{name: getattr(self, name)[index] for name in ("positions", *self.extras())})


class Blend:
    """Accumulates predictions of overlapping pieces into one sequence, each extra by its kind.

    ``add(prediction, at, weights)`` adds the rows of ``prediction`` (K, 21[, 2]) at the distinct output
    rows ``at`` (K,) with weights (K,); ``result()`` divides by the total weight per row.
    """

    def __init__(self, rows: int):
        self.rows = rows
        self.weight = np.zeros(rows)
        self.sums: dict[str, np.ndarray] = {}

    def add(self, prediction: Prediction, at: np.ndarray, weights: np.ndarray) -> None:
        """Add each row of ``prediction`` at output row ``at[k]`` with weight ``weights[k]``."""
        for name, values in _channels(prediction).items():
            if name not in self.sums:
                self.sums[name] = np.zeros((self.rows, *values.shape[1:]))
            self.sums[name][at] += _expand(weights, values) * values
        self.weight[at] += weights

    def result(self) -> Prediction:
        """The blended prediction (float32 positions and radii; int8 repair codes)."""
        mean = {name: (total / _expand(self.weight, total)).astype(np.float32) for name, total in self.sums.items()}
        repair = None
        if "relabelled" in mean:
            relabelled, aside = mean.pop("relabelled") > 0.5, mean.pop("set_aside") > 0.5
            repair = np.where(relabelled, RepairCode.RELABELLED,
                              np.where(aside, RepairCode.SET_ASIDE, RepairCode.KEPT)).astype(np.int8)
        return Prediction(mean.pop("positions"), repair=repair, **mean)


def _channels(prediction: Prediction) -> dict[str, np.ndarray]:
    """The prediction as float arrays to average: a repair code as two indicators."""
    out = {"positions": np.asarray(prediction.positions)}
    for name, values in prediction.extras().items():
        if name == "repair":
            out["relabelled"] = (values == RepairCode.RELABELLED).astype(np.float32)
            out["set_aside"] = (values == RepairCode.SET_ASIDE).astype(np.float32)
        else:
            out[name] = np.asarray(values)
    return out


def _expand(weights: np.ndarray, like: np.ndarray) -> np.ndarray:
    return weights.reshape(weights.shape + (1,) * (like.ndim - weights.ndim))
