"""hpe-real per view: AUC of the rows' input and added joints by where the camera sees the body from.

    jumps evaluate data.split=SET "evaluate.tasks=[hpe-real]" --save-predictions pred.npz ...
    python experiments/hpe_real/per_view.py pred.npz [--split SET] [--out FILE.md] [key=value ...]

Each frame's view is the angle between the body's facing direction (horizontal, from the hips' left-right
axis) and the direction from the body to the camera: front (0-30 degrees), three-quarter (30-75), side
(75-105), three-quarter back (105-150), back (150-180). The detector as it is (``MediaPipe as detected``)
is scored on its input joints beside every row.
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
from corpus import config_and_corpus

from jumps_pl import skeleton
from jumps_pl.data.datamodule import MocapDataModule
from jumps_pl.evaluation.real_detector import detector_row, shipped_for
from jumps_pl.files import write_text
from jumps_pl.metrics import pckh_auc

VIEWS = (("front", 0, 30), ("three-quarter", 30, 75), ("side", 75, 105), ("three-quarter back", 105, 150),
         ("back", 150, 181))


def view_angles(datamodule: MocapDataModule, split: str, count: int) -> np.ndarray:
    """(W, T) degrees between each frame's facing direction and the direction to the window's camera."""
    dataset = datamodule.datasets[split]
    left, right = skeleton.HIP_JOINTS
    out = []
    for w in range(count):
        item = dataset[w]
        positions = item["positions_m"].numpy().astype(np.float64)
        rotation, translation = item["camera"]["R"].numpy(), item["camera"]["t"].numpy()
        camera_centre = -rotation.T @ translation
        across = positions[:, left] - positions[:, right]
        facing = np.cross(across, [0.0, 1.0, 0.0])
        to_camera = camera_centre - positions[:, skeleton.ROOT]
        facing[:, 1] = to_camera[:, 1] = 0.0
        cos = (facing * to_camera).sum(-1) / (np.linalg.norm(facing, axis=-1) * np.linalg.norm(to_camera, axis=-1))
        out.append(np.degrees(np.arccos(np.clip(cos, -1, 1))))
    return np.stack(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("predictions")
    parser.add_argument("--split", default="test-bench")
    parser.add_argument("--out")
    parser.add_argument("settings", nargs="*")
    args = parser.parse_args()
    _, datamodule = config_and_corpus(args.settings)
    arrays = np.load(args.predictions)
    target, head = arrays["target_px"], arrays["head_size_px"]
    count = len(target)
    detections = shipped_for(datamodule, args.split)
    rows = {key.split("/")[1]: arrays[key] for key in arrays.files
            if key.startswith("hpe-real/") and key.endswith("/pred_px")}
    rows["MediaPipe as detected"] = detector_row({k: v[:count] if np.ndim(v) and len(v) == len(detections["clip"])
                                                  else v for k, v in detections.items()})
    angles = view_angles(datamodule, args.split, count)
    lines = [f"{args.split}, hpe-real, AUC added / input per view (share of frames)", "",
             "| row | " + " | ".join(f"{name} ({((angles >= lo) & (angles < hi)).mean():.0%})"
                                    for name, lo, hi in VIEWS) + " |", "|---|" + "---:|" * len(VIEWS)]
    for row, pred in rows.items():
        cells = []
        for _, lo, hi in VIEWS:
            frames = (angles >= lo) & (angles < hi)
            values = []
            for joint_set in ("added", "input"):
                mask = np.zeros(pred.shape[:3], bool)
                mask[..., skeleton.joint_set_indices(joint_set)] = True
                mask &= frames[..., None]
                if row == "MediaPipe as detected" and joint_set == "added":
                    values.append("")
                    continue
                values.append(f"{float(pckh_auc(*(torch.as_tensor(a, dtype=torch.float64) for a in (pred, target, head)), torch.as_tensor(mask))):.3f}")  # noqa: E501
            cells.append(" / ".join(v for v in values if v) if any(values) else "")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        write_text(args.out, text)


if __name__ == "__main__":
    main()
