"""Fit MediaPipe's joint-centre map on rendered training windows; choose its penalty on hpe-real val.

    python experiments/hpe_real/fit_centres.py --train train.npz [more.npz ...] \
        [--out jumps_pl/pretrained/joint-centres.npz]

``--train``: `jumps detect-windows train --windows N [--seed S]` outputs, pooled. The map
(jumps_pl/joint_centres.py) moves the 12 detected joints to where the mocap puts them; each penalty in
``--alphas`` is scored on the val windows (AUC of PCKh of the detector's own input joints, before and
after), and the best is written. The file's other maps (the shipped ones where ``--out`` does not exist
yet) are kept; the landmark map's shares were chosen against the joint-centre map it was fitted beside
(``fit_landmarks.py``), so refit them after this one.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from corpus import config_and_corpus, pooled_detections, train_truth

from jumps_pl import skeleton
from jumps_pl.evaluation.real_detector import input_joints, shipped_for, split_truth
from jumps_pl.joint_centres import fit_centre_map, load_centre_maps, load_landmark_maps, save_centre_maps
from jumps_pl.metrics import pckh_auc

COLUMNS = list(skeleton.INPUT_INDICES)


def _auc(pred: np.ndarray, target: np.ndarray, head: np.ndarray, present: np.ndarray) -> float:
    mask = np.zeros(pred.shape[:3], bool)
    mask[..., COLUMNS] = True
    pred = np.where(present[..., None], pred, np.nan)
    return float(pckh_auc(*(torch.as_tensor(a, dtype=torch.float64) for a in (pred, target, head)),
                          torch.as_tensor(mask)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True, nargs="+")
    parser.add_argument("--out", default="jumps_pl/pretrained/joint-centres.npz")
    parser.add_argument("--alphas", type=float, nargs="+",
                        default=[1.0, 100.0, 3000.0, 10000.0, 30000.0, 100000.0, 1000000.0])
    parser.add_argument("settings", nargs="*")
    args = parser.parse_args()
    _, datamodule = config_and_corpus(args.settings)
    train = pooled_detections(args.train)
    keypoints, found, _, _ = input_joints(train)
    target = train_truth(datamodule, train)[0]
    present = found[..., COLUMNS]
    fit_x, fit_present, fit_target = (a.reshape(-1, *a.shape[2:]) for a in (keypoints[..., COLUMNS, :], present,
                                                                             target[..., COLUMNS, :]))
    val = shipped_for(datamodule, "val")
    val_target, val_head = split_truth(datamodule, "val")
    val_keypoints, val_found, _, _ = input_joints(val)
    print(f"val, the detector as it is: input AUC {_auc(val_keypoints, val_target, val_head, val_found):.4f}")
    best = None
    for alpha in args.alphas:
        centre_map = fit_centre_map("mediapipe", fit_x, fit_present, fit_target, alpha,
                                    f"{len(train['clip'])} rendered training windows ({train['detector']}), "
                                    f"ridge alpha {alpha:g} chosen on hpe-real val")
        moved = val_keypoints.copy()
        moved[..., COLUMNS, :] = centre_map(val_keypoints[..., COLUMNS, :], val_found[..., COLUMNS])
        auc = _auc(moved, val_target, val_head, val_found)
        print(f"alpha {alpha:g}: val input AUC {auc:.4f}")
        if best is None or auc > best[0]:
            best = (auc, centre_map)
    existing = args.out if Path(args.out).is_file() else None   # else the shipped maps are kept
    save_centre_maps(args.out, {**load_centre_maps(existing), "mediapipe": best[1]}, load_landmark_maps(existing))
    print(f"wrote {args.out}: {best[1].fitted_on} (val input AUC {best[0]:.4f})")


if __name__ == "__main__":
    main()
