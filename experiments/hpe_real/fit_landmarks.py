"""Fit MediaPipe's landmark map on rendered training windows; choose its penalty and shares on hpe-real val.

    python experiments/hpe_real/fit_landmarks.py --train data/hpe-real/train.npz \
        data/hpe-real/train-seed1.npz data/hpe-real/train-seed2.npz \
        --predictions val-predictions.npz [--row "JUMPS + fusion"] \
        [--out jumps_pl/pretrained/joint-centres.npz]

``--train``: `jumps detect-windows train` outputs, pooled. The map (``jumps_pl/joint_centres.LandmarkMap``)
predicts the 9 added joints from all 33 landmarks of a frame. ``--predictions``: `jumps evaluate
data.split=val evaluate.tasks=[hpe-real] upsample.landmarks=false --save-predictions ...`, whose ``--row``
the shares are chosen against: for each penalty in ``--alphas`` and each added joint, the share of the map's
position in ``--shares`` with the best AUC of PCKh on val. The other maps in ``--out`` (the shipped ones
where it does not exist yet) are kept. The predictions must be made with the joint-centre map the file
will hold: refitting that map changes what the shares were chosen against.
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
from corpus import MEDIAPIPE_TORSO, config_and_corpus, joints_auc, pooled_detections, train_truth

from jumps_pl import skeleton
from jumps_pl.evaluation.real_detector import all_landmarks, shipped_for, split_truth
from jumps_pl.joint_centres import fit_landmark_map, load_centre_maps, load_landmark_maps, save_centre_maps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True, nargs="+")
    parser.add_argument("--predictions", required=True, help="`jumps evaluate --save-predictions` on val, hpe-real")
    parser.add_argument("--row", default="JUMPS + fusion")
    parser.add_argument("--out", default="jumps_pl/pretrained/joint-centres.npz")
    parser.add_argument("--alphas", type=float, nargs="+", default=[0.1, 1.0, 10.0, 100.0])
    parser.add_argument("--shares", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0])
    parser.add_argument("settings", nargs="*")
    args = parser.parse_args()
    key = f"hpe-real/{args.row}/pred_px"
    with np.load(args.predictions) as saved:
        if key not in saved.files:
            parser.error(f"--predictions {args.predictions}: has no {key}")
        rows = saved[key].astype(np.float64)
    _, datamodule = config_and_corpus(args.settings)
    train = pooled_detections(args.train)
    landmarks = all_landmarks(train)
    target = train_truth(datamodule, train)[0]
    val = all_landmarks(shipped_for(datamodule, "val"))
    val_target, val_head = split_truth(datamodule, "val")
    if len(rows) != len(val_target):
        parser.error(f"--predictions {args.predictions}: {len(rows)} windows, val has {len(val_target)}")
    added = list(skeleton.ADDED_INDICES)
    print(f"val, {args.row} as it is: added AUC {joints_auc(rows, val_target, val_head, added):.4f}")
    best = None
    for alpha in args.alphas:
        landmark_map = fit_landmark_map("mediapipe", landmarks.reshape(-1, *landmarks.shape[2:]),
                                        target.reshape(-1, *target.shape[2:]), MEDIAPIPE_TORSO, alpha)
        shares = []
        for k, joint in enumerate(added):
            scores = []
            for share in args.shares:
                one = np.zeros(len(added))
                one[k] = share
                blended = dataclasses.replace(landmark_map, share=one).blend(rows, val)
                scores.append(joints_auc(blended, val_target, val_head, [joint]))
            shares.append(args.shares[int(np.argmax(scores))])
        landmark_map = dataclasses.replace(
            landmark_map, share=np.asarray(shares),
            fitted_on=f"{len(train['clip'])} rendered training windows ({train['detector']}), ridge alpha "
                      f"{alpha:g}; shares chosen on hpe-real val against {args.row}")
        auc = joints_auc(landmark_map.blend(rows, val), val_target, val_head, added)
        named = " ".join(f"{skeleton.HIGH_RES_JOINTS[j]} {s:g}" for j, s in zip(added, shares, strict=True))
        print(f"alpha {alpha:g}: shares {named}; val added AUC {auc:.4f}")
        if best is None or auc > best[0]:
            best = (auc, landmark_map)
    # the joint-centre maps kept: those in --out, else the shipped ones
    centre_maps = load_centre_maps(args.out if Path(args.out).is_file() else None)
    save_centre_maps(args.out, centre_maps, {**load_landmark_maps(args.out if Path(args.out).is_file() else None),
                                             "mediapipe": best[1]})
    print(f"wrote {args.out}: {best[1].fitted_on} (val added AUC {best[0]:.4f})")


if __name__ == "__main__":
    main()
