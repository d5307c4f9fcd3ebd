"""A detector's scores read for what they mean: per input format, a map from score to trust.

Detectors' scores mean different things. MediaPipe's ``visibility`` says whether a landmark is in view,
not whether its position is good, and its guesses for hidden limbs are often close; AlphaPose's and
OpenPose's scores are heatmap peaks. One ``min_confidence`` gate for all of them throws good guesses away
for one detector and keeps bad ones for another.

A :class:`ScoreMap` turns a format's score into the share of entries at that score within half a head
size of the truth, a monotone curve fitted on a real detector's output on validation windows
(``hpe-real``, ``experiments/hpe_real/fit_scores.py``). `jumps upsample` applies the map of the file's
format before the ``upsample.min_confidence`` gate (``upsample.scores: calibrated``); a format without a
fitted map keeps its scores as they are.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jumps_pl.files import shipped_or_given

SCORE_MAPS = "score-maps.yaml"   # in jumps_pl/pretrained/


@dataclass(frozen=True)
class ScoreMap:
    """Piecewise-linear, non-decreasing: ``trust = interp(score, knots, trust)``, for one input format.

    ``fitted_on``: what it was fitted on, for the record.
    """

    format: str
    knots: tuple[float, ...]
    trust: tuple[float, ...]
    fitted_on: str = ""

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        """Trust for ``scores`` (any shape); a score of 0 (no detection) stays 0."""
        scores = np.asarray(scores, dtype=np.float64)
        out = np.interp(scores, self.knots, self.trust)
        return np.where(scores > 0, out, 0.0).astype(np.float32)


def fit_score_map(format: str, scores: np.ndarray, within: np.ndarray, bins: int = 12,
                  fitted_on: str = "") -> ScoreMap:
    """The map from ``scores`` (N,) to the share ``within`` (N,) bool of entries near the truth.

    Scores are cut into ``bins`` quantile bins; each bin's share, made non-decreasing by isotonic
    regression (weighted by the bin's size), is placed at the bin's mean score.
    """
    from scipy.optimize import isotonic_regression

    scores, within = np.asarray(scores, np.float64), np.asarray(within, bool)
    if scores.shape != within.shape or scores.ndim != 1 or len(scores) < bins:
        raise ValueError(f"need as many scores as outcomes, at least {bins}; got {scores.shape} and {within.shape}")
    edges = np.unique(np.quantile(scores, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, len(edges) - 2)
    counts = np.bincount(which, minlength=len(edges) - 1)
    used = counts > 0
    share = np.bincount(which, weights=within, minlength=len(edges) - 1)[used] / counts[used]
    centre = np.bincount(which, weights=scores, minlength=len(edges) - 1)[used] / counts[used]
    trust = isotonic_regression(share, weights=counts[used].astype(np.float64)).x
    return ScoreMap(format, tuple(round(float(v), 4) for v in centre), tuple(round(float(v), 4) for v in trust),
                    fitted_on)


def load_score_maps(path: str | Path | None = None) -> dict[str, ScoreMap]:
    """The score maps by format: the package's (``pretrained/score-maps.yaml``) or those at ``path``."""
    import yaml

    source = shipped_or_given(SCORE_MAPS, path, "score maps")
    if source is None:
        return {}
    data = yaml.safe_load(source.read_text()) or {}
    maps = {}
    for format, entry in data.items():
        try:
            knots, trust = tuple(float(v) for v in entry["knots"]), tuple(float(v) for v in entry["trust"])
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{source}: {format}: needs numeric 'knots' and 'trust' lists ({err})") from None
        if len(knots) != len(trust) or not knots or any(b < a for a, b in zip(knots, knots[1:], strict=False)):
            raise ValueError(f"{source}: {format}: 'knots' must be increasing and as many as 'trust'")
        maps[format] = ScoreMap(format, knots, trust, str(entry.get("fitted_on", "")))
    return maps


def save_score_maps(path: str | Path, maps: dict[str, ScoreMap]) -> None:
    """Write score maps as YAML (atomically)."""
    import yaml

    from jumps_pl.files import write_text

    write_text(path, yaml.safe_dump({m.format: {"knots": list(m.knots), "trust": list(m.trust),
                                                "fitted_on": m.fitted_on} for m in maps.values()}, sort_keys=False))
