"""`jumps evaluate`: the protocol's tasks on a set of windows, a row per method.

Orchestration only: tasks in ``tasks.py``, scores in ``scoring.py``, tables in ``report.py``, methods in
``jumps_pl.methods``.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from jumps_pl.evaluation.report import flatten_results, markdown_table
from jumps_pl.evaluation.scoring import run_evaluation, scored_pairs
from jumps_pl.files import write_json, write_npz, write_text
from jumps_pl.methods import DEFAULT_METHOD, build_methods

# hpe-real's row of the default's landmark reader (fusion.landmark_reader) on its own, where the default is a row
LANDMARK_READER_ROW = "landmark reader alone"


def evaluate_config(config: dict, out: str | Path | None = None, table: str | Path | None = None,
                    plot: str | Path | None = None, render: str | Path | None = None,
                    predictions: str | Path | None = None, rows: list[str] | None = None,
                    log: Callable[[str], None] | None = None, quiet: bool = False,
                    start_wandb: Callable[[], object] | None = None) -> dict:
    """Run the rows of a resolved config on ``data.split``; write what is asked; return the results.

    ``start_wandb``: starts a wandb run (called once data and methods have loaded) to log the results to.
    """
    from jumps_pl.data.corpus import check_root, clip_style
    from jumps_pl.data.datamodule import MocapDataModule

    log = log or (lambda message: print(message, file=sys.stderr))
    check_root(config["data"]["root"])  # before the models load
    evaluate = config["evaluate"]
    methods = build_methods(config, list(rows or evaluate["rows"]), log, skip_missing=True)
    datamodule = MocapDataModule(**config["data"])
    datamodule.setup()
    batches = [datamodule.to_2d(b) for b in datamodule.dataloader(config["data"]["split"])]
    target = torch.cat([b["keypoints_px"] for b in batches]).numpy()
    head = torch.cat([b["head_size_px"] for b in batches]).numpy()
    if evaluate["windows"]:
        target, head = target[: evaluate["windows"]], head[: evaluate["windows"]]
    clip_ids = datamodule.datasets[config["data"]["split"]].windows.clip_id[:len(target)]
    styles = np.asarray([clip_style(datamodule.clip_names[i]) for i in clip_ids])
    tasks = tuple(evaluate["tasks"])
    inputs, as_given = {}, {}
    if "hpe-real" in tasks:
        detections = _real_detections(datamodule, config["data"]["split"], len(target), log)
        if detections is None:
            tasks = tuple(t for t in tasks if t != "hpe-real")
        else:
            from jumps_pl.evaluation.detector_errors import flipped_pairs
            from jumps_pl.evaluation.real_detector import detector_row, real_task
            from jumps_pl.joint_centres import load_centre_maps, load_landmark_maps
            from jumps_pl.scores import load_score_maps

            reading = config["upsample"]
            score_map = load_score_maps().get("mediapipe") if reading["scores"] == "calibrated" else None
            centre_map = load_centre_maps().get("mediapipe") if reading["joint_centres"] else None
            landmark_map = load_landmark_maps().get("mediapipe") if reading["landmarks"] else None
            given = real_task(detections, reading["min_confidence"], evaluate["real_scores"], score_map, centre_map,
                              landmark_map)
            # the detector's own left/right swaps, found against the mocap: scored as flips repaired
            given.flipped = flipped_pairs(given.keypoints_px, target, head, given.mask)
            inputs["hpe-real"] = given
            as_given["hpe-real"] = {"MediaPipe as detected": detector_row(detections)}
            reader = getattr(methods.get(DEFAULT_METHOD), "landmark_reader", None)
            if reader is not None:   # the default's reading of the landmarks, alone: what the method adds to it
                as_given["hpe-real"][LANDMARK_READER_ROW] = reader.read_windows(given.landmarks)
    wandb_run = start_wandb() if start_wandb else None
    log(f"evaluating {len(target)} windows of {config['data']['split']} under {config['data']['root']}: "
        f"{', '.join(methods)}")
    started = time.perf_counter()
    # rows x tasks, from the first row on (the latent fit reports every iteration), in a terminal only
    bar = tqdm(total=len(scored_pairs(methods, tasks)), unit="row", file=sys.stderr,
               disable=quiet or not sys.stderr.isatty(), bar_format="{l_bar}{bar}| {n:.1f}/{total} rows x tasks "
                                                                     "[{elapsed}<{remaining}] {postfix}")

    def progress(step: float, label: str) -> None:
        bar.set_postfix_str(label, refresh=False)
        bar.update(step)

    results, arrays = run_evaluation(methods, target, head, seed=config["data"]["bench_seed"], tasks=tasks,
                                     progress=progress, inputs=inputs, as_given=as_given, groups=styles,
                                     grouped=tuple(evaluate["by_style"]))
    bar.close()
    seconds = time.perf_counter() - started
    text = markdown_table(results)
    if not quiet:
        print(text)
    if wandb_run is not None:
        wandb_run.log(flatten_results(results))
    log(f"evaluated in {seconds:.0f} s")
    if out:
        write_json(out, {"windows": len(target), "split": config["data"]["split"], "seconds": round(seconds, 1),
                        "results": results})
        log(f"results: {out}")
    if table:
        write_text(table, text)
    if plot and "upsampling" in results:
        from jumps_pl.render import plot_pckh_curves, save_png

        curves = {name: scores["added"]["curve"] for name, scores in results["upsampling"].items()}
        image = plot_pckh_curves(curves, f"upsampling, added joints ({len(target)} windows, "
                                         f"{config['data']['split']})")
        save_png(plot, image)
        log(f"plot: {plot}")
    if render:
        from jumps_pl.render import draw_sequences, save_png

        task = evaluate["tasks"][0]
        k = min(evaluate["example"], len(target) - 1)
        shown = {f"{task} input": np.where(arrays[f"{task}/mask"][k][..., None], arrays[f"{task}/input_px"][k],
                                           np.nan)}
        drawn = [name for name in methods if name in (DEFAULT_METHOD, "JUMPS")]
        shown.update({name: arrays[f"{task}/{name}/pred_px"][k] for name in drawn})
        shown["ground truth"] = target[k]
        image = draw_sequences(shown, fps=config["data"]["fps"])
        save_png(render, image)
        log(f"example: {render}")
    if predictions:
        write_npz(predictions, arrays)
        log(f"predictions: {predictions}")
    return results


def _real_detections(datamodule, split: str, windows: int, log: Callable[[str], None]) -> dict | None:
    """The shipped real-detector file of ``split``, cut to its first ``windows``; None (said) where there is none."""
    from jumps_pl.evaluation.real_detector import SETS, load_detections, shipped_path

    path = shipped_path(split)
    if split not in SETS or not path.is_file():
        log(f"notice: hpe-real left out: no real-detector file for {split} (there are for {', '.join(SETS)})")
        return None
    dataset = datamodule.datasets[split]
    clips = [datamodule.clip_names[i] for i in dataset.windows.clip_id]
    try:
        detections = load_detections(path, clips, dataset.windows.start)
    except ValueError as err:   # another corpus, or a subset of it: the shipped windows are not these
        log(f"notice: hpe-real left out: {err}")
        return None
    if len(detections["clip"]) < windows:
        raise ValueError(f"{path} holds {len(detections['clip'])} windows of {split}, fewer than the {windows} "
                         "evaluated; set evaluate.windows or make it again with `jumps detect-windows`")
    return {k: v[:windows] if np.ndim(v) and len(v) == len(detections["clip"]) else v for k, v in detections.items()}
