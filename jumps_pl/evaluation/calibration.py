"""`jumps calibrate`: fit each method's uncertainty (``uncertainty.py``) on the validation split's HPE task.

Then check it on another set: the Spearman correlation between the predicted radius and the actual error
per joint set, and the share of joints within the predicted 90% radius.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from jumps_pl import skeleton
from jumps_pl.evaluation.tasks import make_task
from jumps_pl.methods import build_methods
from jumps_pl.uncertainty import MethodCalibration, fit, head_size_px, signals

SETS = ("added", "input", "missing")


def _windows(config: dict, split: str, windows: int | None) -> tuple[np.ndarray, np.ndarray]:
    import torch

    from jumps_pl.data.datamodule import MocapDataModule

    datamodule = MocapDataModule(**{**config["data"], "split": split})
    datamodule.setup()
    batches = [datamodule.to_2d(b) for b in datamodule.dataloader(split)]
    target = torch.cat([b["keypoints_px"] for b in batches]).numpy()
    head = torch.cat([b["head_size_px"] for b in batches]).numpy()
    return (target[:windows], head[:windows]) if windows else (target, head)


def collect(config: dict, names: list[str], split: str, windows: int | None, task: str = "hpe",
            log: Callable[[str], None] | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Per method: predictions, errors (px), signals and joint-set masks on ``task`` over ``split``."""
    log = log or (lambda message: print(message, file=sys.stderr))
    target, head = _windows(config, split, windows)
    given = make_task(task, target, head, config["data"]["bench_seed"])
    weight = given.mask * (1.0 if given.confidence is None else given.confidence)
    sets = {name: np.zeros(target.shape[:3], dtype=bool) for name in SETS}
    sets["added"][..., skeleton.ADDED_INDICES] = True
    sets["input"][..., skeleton.INPUT_INDICES] = True
    sets["missing"] = np.asarray(given.missing, dtype=bool)
    out = {}
    for name, method in build_methods(config, names, log, skip_missing=True).items():
        log(f"  {task} on {len(target)} windows of {split}: {name}")
        prediction = method.predict_windows(given.keypoints_px, given.mask, given.confidence)
        pred = prediction.positions
        out[name] = {"pred": pred, "error_px": np.linalg.norm(pred - target, axis=-1),
                     "signals": signals(pred, given.keypoints_px, weight, prediction.spread_px),
                     "given": given.keypoints_px, "weight": weight, "spread": prediction.spread_px,
                     **{f"set/{k}": v for k, v in sets.items()}}
    return out


def calibrate(config: dict, names: list[str], split: str, windows: int | None,
              log: Callable[[str], None] | None = None) -> dict[str, MethodCalibration]:
    """Per method: its uncertainty fitted on ``split``'s HPE task, errors in head sizes."""
    calibrations = {}
    for name, data in collect(config, names, split, windows, log=log).items():
        errors = data["error_px"] / head_size_px(data["pred"])[..., None]
        note = f"fitted on {split} hpe, {len(errors)} windows"
        calibrations[name] = fit(errors, data["signals"], data["weight"], note)
    return calibrations


def check(config: dict, names: list[str], calibrations: dict[str, MethodCalibration], split: str, windows: int | None,
          log: Callable[[str], None] | None = None) -> tuple[dict, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """``{method: {set: {spearman, within_r90}}}`` on ``split``'s HPE task, and (radius, error) per method."""
    from scipy.stats import spearmanr

    results, pairs = {}, {}
    for name, data in collect(config, names, split, windows, log=log).items():
        if name not in calibrations:
            continue
        radius = calibrations[name].radius_px(data["pred"], data["given"], data["weight"], data["spread"])
        error = data["error_px"]
        results[name] = {}
        for joint_set in SETS:
            chosen = data[f"set/{joint_set}"]
            if chosen.any():
                results[name][joint_set] = {
                    "spearman": round(float(spearmanr(radius[chosen], error[chosen]).statistic), 4),
                    "within_r90": round(float((error[chosen] <= radius[chosen]).mean()), 4),
                    "entries": int(chosen.sum())}
        everything = np.ones(error.shape, dtype=bool)
        results[name]["all"] = {"spearman": round(float(spearmanr(radius[everything], error[everything]).statistic), 4),
                                "within_r90": round(float((error <= radius).mean()), 4), "entries": int(error.size)}
        pairs[name] = (radius.ravel(), error.ravel())
    return results, pairs


def table(results: dict) -> str:
    """The check's results (:func:`check`) as a Markdown table, a row per method and joint set."""
    lines = ["| method | set | Spearman (radius, error) | share within r90 | entries |", "|---|---|---:|---:|---:|"]
    for name, sets in results.items():
        for joint_set, row in sets.items():
            lines.append(f"| {name} | {joint_set} | {row['spearman']:.3f} | {row['within_r90']:.3f} "
                         f"| {row['entries']} |")
    return "\n".join(lines) + "\n"


def run(config: dict, names: list[str], out: str | Path, split: str, windows: int | None, check_split: str | None,
        check_windows: int | None, report: str | Path | None, plot: str | Path | None) -> dict:
    """`jumps calibrate`: fit, save to ``out`` and, with ``check_split``, check; the check's results ({} without)."""
    from jumps_pl.files import write_json, write_text
    from jumps_pl.uncertainty import save_calibrations

    log = lambda message: print(message, file=sys.stderr)  # noqa: E731
    calibrations = calibrate(config, names, split, windows, log)
    save_calibrations(out, calibrations)
    log(f"calibration: {out}")
    if not check_split:
        return {}
    results, pairs = check(config, list(calibrations), calibrations, check_split, check_windows, log)
    text = table(results)
    print(text)
    if report:
        write_json(Path(report).with_suffix(".json"), {"split": check_split, "fitted_on": split, "results": results})
        write_text(Path(report).with_suffix(".md"), text)
    if plot:
        from jumps_pl.plots import plot_uncertainty
        from jumps_pl.render import save_png

        save_png(plot, plot_uncertainty(pairs, f"HPE, {check_split}: predicted 90% radius against actual error"))
    return results
