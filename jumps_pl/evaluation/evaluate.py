"""`jumps evaluate`: the protocol's tasks on a set of windows, a row per method, Markdown and JSON."""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from jumps_pl import skeleton
from jumps_pl.evaluation.tasks import TASKS, TaskInput, make_task
from jumps_pl.metrics import pckh, pckh_auc
from jumps_pl.metrics.pckh import AUC_THRESHOLDS

THRESHOLDS = (0.1, 0.5, 1.0)
# A method maps a task input to predictions (N, T, 21, 2) px.
Method = Callable[[TaskInput], np.ndarray]


def score(pred_px: np.ndarray, target_px: np.ndarray, head_size_px: np.ndarray, task: TaskInput) -> dict:
    """PCKh@0.1/0.5/1.0 and AUC per joint set (added, input, all; missing where the task hides any),
    and per added joint."""
    pred, target, head = (torch.as_tensor(a, dtype=torch.float64) for a in (pred_px, target_px, head_size_px))
    n, t, j = pred.shape[:3]
    sets: dict[str, torch.Tensor] = {}
    for name in ("added", "input", "all"):
        mask = torch.zeros(n, t, j, dtype=torch.bool)
        mask[..., torch.as_tensor(skeleton.joint_set_indices(name))] = True
        sets[name] = mask
    if task.missing.any():
        sets["missing"] = torch.as_tensor(task.missing)
    out: dict = {}
    for name, mask in sets.items():
        values = pckh(pred, target, head, mask, THRESHOLDS).tolist()
        out[name] = {f"pckh@{a}": v for a, v in zip(THRESHOLDS, values, strict=True)}
        out[name]["auc"] = pckh_auc(pred, target, head, mask).item()
        if name == "added":  # PCKh at a = 0, 0.01, ..., 1, for plots
            out[name]["curve"] = [round(v, 5) for v in pckh(pred, target, head, mask, AUC_THRESHOLDS).tolist()]
    out["per_joint"] = {}
    for joint in skeleton.ADDED_INDICES.tolist():
        mask = torch.zeros(n, t, j, dtype=torch.bool)
        mask[..., joint] = True
        out["per_joint"][skeleton.HIGH_RES_JOINTS[joint]] = {
            "pckh@0.1": pckh(pred, target, head, mask, (0.1,)).item(), "auc": pckh_auc(pred, target, head, mask).item()}
    return out


def run_evaluation(methods: dict[str, Method], target_px: np.ndarray, head_size_px: np.ndarray, seed: int,
                   tasks: tuple[str, ...] = TASKS, progress: Callable[[str], None] | None = None
                   ) -> tuple[dict, dict[str, np.ndarray]]:
    """Results ``{task: {method: scores}}`` and arrays to save (predictions, ground truth, masks)."""
    results: dict = {}
    arrays: dict[str, np.ndarray] = {"target_px": target_px, "head_size_px": head_size_px}
    for task in tasks:
        given = make_task(task, target_px, head_size_px, seed)
        arrays[f"{task}/input_px"] = given.keypoints_px
        arrays[f"{task}/mask"] = given.mask
        arrays[f"{task}/missing"] = given.missing
        results[task] = {}
        for name, method in methods.items():
            if progress:
                progress(f"{task}: {name}")
            predictions = method(given)
            arrays[f"{task}/{name}/pred_px"] = predictions.astype(np.float32)
            results[task][name] = score(predictions, target_px, head_size_px, given)
    return results, arrays


def markdown_table(results: dict) -> str:
    """One table per task: rows are methods, columns PCKh@0.1/0.5/1.0 and AUC per joint set."""
    lines: list[str] = []
    for task, rows in results.items():
        sets = [s for s in ("added", "input", "all", "missing") if any(s in r for r in rows.values())]
        header = [f"{s} {m}" for s in sets for m in ("@0.1", "@0.5", "@1.0", "AUC")]
        lines += [f"### {task}", "", "| method | " + " | ".join(header) + " |",
                  "|---|" + "---:|" * len(header)]
        for method, scores in rows.items():
            cells = [f"{scores[s][k]:.4f}" if s in scores else "" for s in sets
                     for k in ("pckh@0.1", "pckh@0.5", "pckh@1.0", "auc")]
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += per_joint_table(results)
    return "\n".join(lines)


def per_joint_table(results: dict) -> list[str]:
    """Per added joint, AUC / PCKh@0.1 of every row, one table per task."""
    lines: list[str] = []
    for task, rows in results.items():
        joints = list(next(iter(rows.values()))["per_joint"])
        lines += [f"### {task}: added joints, AUC / PCKh@0.1", "", "| method | " + " | ".join(joints) + " |",
                  "|---|" + "---:|" * len(joints)]
        for method, scores in rows.items():
            cells = [f"{scores['per_joint'][j]['auc']:.3f} / {scores['per_joint'][j]['pckh@0.1']:.3f}" for j in joints]
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def write_atomically(path: str | Path, write: Callable[[Path], None]) -> None:
    """Write via a temporary file in the same folder, then rename: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(handle)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_json(path: str | Path, results: dict) -> None:
    write_atomically(path, lambda tmp: tmp.write_text(json.dumps(results, indent=2)))


def save_npz(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    write_atomically(path, lambda tmp: np.savez_compressed(tmp, **arrays))


def evaluate_config(config: dict, out: str | Path | None = None, table: str | Path | None = None,
                    plot: str | Path | None = None, render: str | Path | None = None,
                    predictions: str | Path | None = None, rows: list[str] | None = None,
                    log: Callable[[str], None] | None = None, quiet: bool = False, wandb_run=None) -> dict:
    """Run the rows of a resolved config on ``data.split``; write what is asked; return the results."""
    import sys
    import time

    from jumps_pl.data.datamodule import MocapDataModule
    from jumps_pl.evaluation.rows import build_rows

    log = log or (lambda message: print(message, file=sys.stderr))
    evaluate = config["evaluate"]
    unknown = [t for t in evaluate["tasks"] if t not in TASKS]
    if unknown:
        raise ValueError(f"evaluate.tasks: unknown task {unknown[0]!r}; known: {', '.join(TASKS)}")
    methods = build_rows(config, rows, log)
    datamodule = MocapDataModule(**config["data"])
    datamodule.setup()
    batches = [datamodule.to_2d(b) for b in datamodule.dataloader(config["data"]["split"])]
    target = torch.cat([b["keypoints_px"] for b in batches]).numpy()
    head = torch.cat([b["head_size_px"] for b in batches]).numpy()
    if evaluate["windows"]:
        target, head = target[: evaluate["windows"]], head[: evaluate["windows"]]
    log(f"evaluating {len(target)} windows of {config['data']['split']} under {config['data']['root']}: "
        f"{', '.join(methods)}")
    started = time.perf_counter()
    results, arrays = run_evaluation(methods, target, head, seed=config["data"]["bench_seed"],
                                     tasks=tuple(evaluate["tasks"]), progress=lambda s: log(f"  {s}"))
    seconds = time.perf_counter() - started
    text = markdown_table(results)
    if not quiet:
        print(text)
    if wandb_run is not None:
        wandb_run.log(flatten_results(results))
    log(f"evaluated in {seconds:.0f} s")
    if out:
        save_json(out, {"windows": len(target), "split": config["data"]["split"], "seconds": round(seconds, 1),
                        "results": results})
        log(f"results: {out}")
    if table:
        write_atomically(table, lambda tmp: tmp.write_text(text))
    if plot and "upsampling" in results:
        from jumps_pl.render import plot_pckh_curves, save_png

        curves = {name: scores["added"]["curve"] for name, scores in results["upsampling"].items()}
        image = plot_pckh_curves(curves, f"upsampling, added joints ({len(target)} windows, "
                                         f"{config['data']['split']})")
        write_atomically(plot, lambda tmp: save_png(tmp, image))
        log(f"plot: {plot}")
    if render:
        from jumps_pl.render import draw_sequences, save_png

        task = evaluate["tasks"][0]
        k = min(evaluate["example"], len(target) - 1)
        shown = {f"{task} input": np.where(arrays[f"{task}/mask"][k][..., None], arrays[f"{task}/input_px"][k],
                                           np.nan)}
        shown.update({name: arrays[f"{task}/{name}/pred_px"][k] for name in methods if name.startswith("JUMPS")})
        shown["ground truth"] = target[k]
        image = draw_sequences(shown)
        write_atomically(render, lambda tmp: save_png(tmp, image))
        log(f"example: {render}")
    if predictions:
        save_npz(predictions, arrays)
        log(f"predictions: {predictions}")
    return results


def flatten_results(results: dict) -> dict[str, float]:
    """``{task/row/set/metric: value}`` for loggers (per-joint scores as ``task/row/joint/metric``)."""
    flat: dict[str, float] = {}
    for task, rows in results.items():
        for row, scores in rows.items():
            groups = {**{k: v for k, v in scores.items() if k != "per_joint"}, **scores.get("per_joint", {})}
            for group, values in groups.items():
                flat.update({f"{task}/{row}/{group}/{m}": v for m, v in values.items() if m != "curve"})
    return flat
