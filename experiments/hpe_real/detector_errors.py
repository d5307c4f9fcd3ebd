"""The real detector's errors beside the simulated detector's, per input joint (docs/evaluation.md, hpe-real).

    python experiments/hpe_real/detector_errors.py [--splits val test-bench ood-test] [--out FILE.md] [key=value ...]

For each set: MediaPipe on the rendered windows (the shipped detections), raw (visibility gated at
``upsample.min_confidence``) and as `jumps upsample` reads it (score map, joint-centre map), and the
protocol's simulated detector on the same windows (the ``hpe`` and ``hpe-confident`` inputs), through
``jumps_pl.evaluation.detector_errors``.
"""
from __future__ import annotations

import argparse

import numpy as np
from corpus import config_and_corpus

from jumps_pl.evaluation.detector_errors import detector_errors, errors_table
from jumps_pl.evaluation.real_detector import real_task, shipped_for, split_truth
from jumps_pl.evaluation.tasks import make_task
from jumps_pl.files import write_json, write_text
from jumps_pl.joint_centres import load_centre_maps
from jumps_pl.scores import load_score_maps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", nargs="+", default=["val", "test-bench", "ood-test"])
    parser.add_argument("--out", help="Markdown tables (and the numbers as .json beside it)")
    parser.add_argument("settings", nargs="*", help="key=value config overrides")
    args = parser.parse_args()
    config, datamodule = config_and_corpus(args.settings)
    text, numbers = [], {}
    for split in args.splits:
        detections = shipped_for(datamodule, split)
        count = len(detections["clip"])
        target, head = split_truth(datamodule, split, count)
        gate = config["upsample"]["min_confidence"]
        raw = real_task(detections, gate)
        read = real_task(detections, gate, score_map=load_score_maps().get("mediapipe"),
                         centre_map=load_centre_maps().get("mediapipe"))
        columns = {name: detector_errors(np.where(given.mask[..., None], given.keypoints_px, np.nan), target, head)
                   for name, given in (("MediaPipe raw", raw), ("MediaPipe as read", read))}
        for task in ("hpe", "hpe-confident"):
            given = make_task(task, target, head, config["data"]["bench_seed"])
            columns[f"simulated {task}"] = detector_errors(np.where(given.mask[..., None], given.keypoints_px,
                                                                    np.nan), target, head)
        numbers[split] = columns
        text += [f"### {split} ({count} windows)", "", errors_table(columns)]
        print(text[-3], flush=True)
        print(text[-1], flush=True)
    if args.out:
        write_text(args.out, "\n".join(text))
        write_json(args.out.rsplit(".", 1)[0] + ".json", numbers)


if __name__ == "__main__":
    main()
