"""Fit MediaPipe's score map on hpe-real's validation windows (jumps_pl/scores.py).

    python experiments/hpe_real/fit_scores.py [--split val] [--out jumps_pl/pretrained/score-maps.yaml] [key=value ...]

Each detected input joint's ``visibility`` against whether it lies within half a head size of the mocap's
joint; the map is the share within, per score bin, made non-decreasing. Prints the share of entries the
``upsample.min_confidence`` gate drops with raw scores and with mapped ones, and how good the dropped ones were.
"""
from __future__ import annotations

import argparse

import numpy as np
from corpus import config_and_corpus

from jumps_pl import skeleton
from jumps_pl.evaluation.real_detector import input_joints, shipped_for, split_truth
from jumps_pl.scores import fit_score_map, load_score_maps, save_score_maps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="val", choices=("val", "ood-val"))
    parser.add_argument("--out", default="jumps_pl/pretrained/score-maps.yaml")
    parser.add_argument("settings", nargs="*", help="key=value config overrides")
    args = parser.parse_args()
    config, datamodule = config_and_corpus(args.settings)
    detections = shipped_for(datamodule, args.split)
    count = len(detections["clip"])
    target, head = split_truth(datamodule, args.split, count)
    keypoints, found, visibility, _ = input_joints(detections)
    columns = list(skeleton.INPUT_INDICES)
    error = np.linalg.norm(keypoints - target, axis=-1) / head[..., None]
    given = found[..., columns]
    scores, within = visibility[..., columns][given], (error[..., columns] <= 0.5)[given]
    score_map = fit_score_map("mediapipe", scores, within,
                              fitted_on=f"hpe-real {args.split}, {count} windows, {detections['detector']}")
    maps = load_score_maps(args.out) if __import__("os").path.exists(args.out) else {}
    maps["mediapipe"] = score_map
    save_score_maps(args.out, maps)
    gate = config["upsample"]["min_confidence"]
    mapped = score_map(scores)
    for name, values in (("raw visibility", scores), ("mapped", mapped)):
        dropped = values < gate
        print(f"{name}: the gate at {gate} drops {dropped.mean():.1%} of detected entries, of which "
              f"{within[dropped].mean() if dropped.any() else float('nan'):.1%} were within half a head size "
              f"(kept: {within[~dropped].mean():.1%})")
    print(f"wrote {args.out}: knots {score_map.knots}, trust {score_map.trust}")


if __name__ == "__main__":
    main()
