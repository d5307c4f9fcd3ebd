"""How sure the repair is, against what it did: choosing ``infer.repair.uncertain_below`` on validation data.

Runs the default row (``JUMPS + fusion``) on a split's windows for the tasks with confident failures and
plain ``hpe``, keeps what the repair did with every given input entry (``RepairCode``) and its confidence
(``prediction.Prediction.repair_confidence``), and compares them with where the task flipped pairs. For
each threshold: the share of entries that were not flipped that would be set aside as uncertain (the
issue's budget: at most 1%), the wrong relabels (relabelled, not flipped) that this avoids, and the
flips it leaves unrepaired (relabelled right, now set aside). Run with the threshold off
(``fusion.uncertain_below=0``) to read every threshold from one pass, and with it on for what it does
as run:

    python experiments/repair_confidence.py data.split=val fusion.uncertain_below=0
    python experiments/repair_confidence.py data.split=ood-val --out sweep-ood-val.json
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from jumps_pl import skeleton
from jumps_pl.config import load_config, to_container
from jumps_pl.evaluation.tasks import make_task
from jumps_pl.methods import build_methods
from jumps_pl.prediction import RepairCode

TASKS = ("hpe-confident", "hpe-confident-wide", "hpe")
THRESHOLDS = (0.0, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def split_windows(config: dict) -> tuple[np.ndarray, np.ndarray]:
    """The ground truth (N, T, 21, 2) px and head sizes (N, T) of ``data.split``'s windows."""
    import torch

    from jumps_pl.data.datamodule import MocapDataModule

    datamodule = MocapDataModule(**config["data"])
    datamodule.setup()
    batches = [datamodule.to_2d(b) for b in datamodule.dataloader(config["data"]["split"])]
    return (torch.cat([b["keypoints_px"] for b in batches]).numpy(),
            torch.cat([b["head_size_px"] for b in batches]).numpy())


def entries(status: np.ndarray, sure: np.ndarray, mask: np.ndarray, flipped: np.ndarray | None) -> dict:
    """Per given input entry (both sides of each left/right pair): code, confidence, whether it was flipped."""
    codes, confidence, truth = [], [], []
    for k, (left, right) in enumerate(skeleton.INPUT_PAIRS):
        for side in (left, right):
            given = mask[..., side]
            codes.append(status[..., side][given])
            confidence.append(sure[..., side][given])
            truth.append(np.zeros(int(given.sum()), bool) if flipped is None else flipped[..., k][given])
    return {"code": np.concatenate(codes), "sure": np.concatenate(confidence), "flipped": np.concatenate(truth)}


def as_run(found: dict) -> dict:
    """What the repair did as configured: entries set aside as uncertain, wrong and right relabels."""
    code, flipped = found["code"], found["flipped"]
    uncertain, relabelled = code == RepairCode.UNCERTAIN, code == RepairCode.RELABELLED
    return {"not_flipped_uncertain": float((uncertain & ~flipped).sum() / max((~flipped).sum(), 1)),
            "wrong_relabels": int((relabelled & ~flipped).sum()), "flipped": int(flipped.sum()),
            "flips_relabelled": int((relabelled & flipped).sum()), "flips_uncertain": int((uncertain & flipped).sum())}


def sweep(found: dict) -> list[dict]:
    """Per threshold, what setting the entries below it aside as uncertain would do."""
    code, sure, flipped = found["code"], found["sure"], found["flipped"]
    relabelled = code == RepairCode.RELABELLED
    rows = []
    for threshold in THRESHOLDS:
        unsure = np.isfinite(sure) & (sure < threshold)
        rows.append({
            "threshold": threshold,
            "not_flipped_set_aside": float((unsure & ~flipped).sum() / max((~flipped).sum(), 1)),
            "wrong_relabels": int((relabelled & ~flipped).sum()),
            "wrong_relabels_avoided": int((relabelled & ~flipped & unsure).sum()),
            "flipped": int(flipped.sum()),
            "flips_relabelled": int((relabelled & flipped).sum()),
            "flips_left_unrepaired": int((relabelled & flipped & unsure).sum()),
            "missed_flips_set_aside": int((~relabelled & flipped & unsure).sum()),
        })
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*", help="config overrides, e.g. data.split=val")
    parser.add_argument("--out", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    config = to_container(load_config(overrides=args.overrides))
    target, head = split_windows(config)
    method = build_methods(config, ["JUMPS + fusion"])["JUMPS + fusion"]
    report = {}
    for task in TASKS:
        given = make_task(task, target, head, config["data"]["bench_seed"])
        prediction = method.predict_windows(given.keypoints_px, given.mask, given.confidence)
        found = entries(prediction.repair, prediction.repair_confidence, given.mask, given.flipped)
        report[task] = {"as_run": as_run(found), "sweep": sweep(found)}
        print(f"{task} ({config['data']['split']}, {len(target)} windows, {len(found['code'])} given entries, "
              f"{int(found['flipped'].sum())} flipped)")
        print("  threshold  not-flipped set aside  wrong relabels avoided  flips relabelled -> unrepaired  "
              "missed flips set aside")
        for row in report[task]["sweep"]:
            print(f"  {row['threshold']:9.2f}  {row['not_flipped_set_aside']:21.4f}  "
                  f"{row['wrong_relabels_avoided']:8d} of {row['wrong_relabels']:<8d}   "
                  f"{row['flips_relabelled']:8d} -> {row['flips_left_unrepaired']:<8d}          "
                  f"{row['missed_flips_set_aside']:8d}")
        run = report[task]["as_run"]
        print(f"  as run (uncertain_below {config['fusion']['uncertain_below']}): {run['not_flipped_uncertain']:.4f} "
              f"of the entries not flipped set aside as uncertain, {run['wrong_relabels']} wrong relabels, "
              f"{run['flips_relabelled']} of {run['flipped']} flipped entries relabelled, "
              f"{run['flips_uncertain']} set aside as uncertain")
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(report, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
