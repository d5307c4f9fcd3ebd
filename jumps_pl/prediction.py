"""What a method returns: 21-joint positions and named per-joint extras, never packed into channels.

Every method maps windows (N, T, 21, 2) or a whole track (F, 21, 2) to a ``Prediction`` of the same
leading shape. Besides the positions it may carry, per joint:

- ``spread_px``: how much equally good readings disagree (the latent fit's best starts), in pixels, a
  signal the uncertainty calibration reads (``uncertainty.py``);
- ``radius_px``: the predicted 90% error radius in pixels, once calibrated;
- ``repair``: what a repair did with each input entry, a ``RepairCode`` (int8);
- ``repair_confidence``: how sure the repair is of each input entry's left/right labelling, as kept or
  as relabelled (its posterior probability, ``methods/jumps/relabel.py``); NaN where nothing was decided.

Where predictions are combined (overlapping windows, resampling in time), each kind of extra is
combined in its own way (``channels``, ``from_channels``): positions and other values as weighted
means of what is finite (NaN where nothing is), repair codes by weighted vote.
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
    UNCERTAIN = 3   # its left/right labelling too unsure (infer.repair.uncertain_below): not relabelled, not used

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
    repair_confidence: np.ndarray | None = None  # posterior probability of each entry's labelling, NaN: none

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
        for name, values in channels(prediction).items():
            if name not in self.sums:
                self.sums[name] = np.zeros((self.rows, *values.shape[1:]))
            self.sums[name][at] += _expand(weights, values) * values
        self.weight[at] += weights

    def result(self) -> Prediction:
        """The blended prediction (float32 positions and values; int8 repair codes)."""
        return from_channels({name: total / _expand(self.weight, total) for name, total in self.sums.items()})


_SEEN = "#seen"  # a channel's suffix: where its values were finite (averaged alongside them)
_CODES = tuple(code for code in RepairCode if code != RepairCode.KEPT)


def channels(prediction: Prediction) -> dict[str, np.ndarray]:
    """The prediction as float arrays whose weighted means ``from_channels`` reads back.

    A repair code becomes one indicator per code; a value that may be NaN, its finite values (0
    elsewhere) and where they are finite.
    """
    out = {"positions": np.asarray(prediction.positions)}
    for name, values in prediction.extras().items():
        if name == "repair":
            out.update({f"repair={code.value}": (values == code).astype(np.float32) for code in _CODES})
            continue
        values = np.asarray(values)
        seen = np.isfinite(values)
        if seen.all():
            out[name] = values
        else:
            out[name], out[name + _SEEN] = np.where(seen, values, 0.0), seen.astype(np.float32)
    return out


def from_channels(means: dict[str, np.ndarray]) -> Prediction:
    """The ``Prediction`` of weighted means of ``channels``: each code where most of the weight had it."""
    means = dict(means)
    repair = None
    if f"repair={_CODES[0].value}" in means:
        repair = np.full(means["positions"].shape[:-1], RepairCode.KEPT, dtype=np.int8)
        for code in _CODES:
            repair[means.pop(f"repair={code.value}") > 0.5] = code
    fields = {}
    for name in [n for n in means if not n.endswith(_SEEN)]:
        values = means[name]
        if name + _SEEN in means:
            seen = means.pop(name + _SEEN)
            with np.errstate(invalid="ignore", divide="ignore"):
                values = np.where(seen > 0, values / np.where(seen > 0, seen, 1.0), np.nan)
        fields[name] = np.asarray(values, dtype=np.float32)
    return Prediction(fields.pop("positions"), repair=repair, **fields)


def _expand(weights: np.ndarray, like: np.ndarray) -> np.ndarray:
    return weights.reshape(weights.shape + (1,) * (like.ndim - weights.ndim))
