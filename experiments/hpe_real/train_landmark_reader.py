"""Train the landmark reader: MediaPipe's 33 landmarks over a window, read as the mocap's 21 joints.

    python experiments/hpe_real/train_landmark_reader.py --train data/hpe-real/train.npz \
        data/hpe-real/train-seed1.npz data/hpe-real/train-seed2.npz \
        --out jumps_pl/pretrained/landmark-reader [--epochs 50] [--width 256] [key=value ...]

``--train``: `jumps detect-windows train` outputs, pooled; each window's landmarks, visibility and
whether the frame has a detection (``methods.fusion.landmark_reader.features``) against the mocap of the
window as `hpe-real` scores it, both in the window's torso units. The loss is the mean distance per joint;
half the windows of each batch are mirrored (landmarks and joints exchanged left for right, x negated).
AdamW with a one-cycle learning rate. Every 5 epochs, and at the end, the reader alone is scored on
`hpe-real` ``val`` and ``ood-val`` (AUC of PCKh, added and input joints); the last epoch is written, with
those scores in its config (``validation``). About 28 s an epoch on a 2-core CPU (1,884 windows).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from corpus import MEDIAPIPE_TORSO, config_and_corpus, joints_auc, pooled_detections, train_truth

from jumps_pl import skeleton
from jumps_pl.evaluation.real_detector import all_landmarks, shipped_for, split_truth
from jumps_pl.io.mediapipe import LANDMARK_NAMES
from jumps_pl.methods.fusion.landmark_reader import LandmarkReader, LandmarkReaderNet, features
from jumps_pl.model_folders import write_model_folder
from jumps_pl.resampling import sample_at


def _swapped(name: str) -> str:
    return name.replace("left", "#").replace("right", "left").replace("#", "right")


LANDMARK_MIRROR = [LANDMARK_NAMES.index(_swapped(n)) for n in LANDMARK_NAMES]
JOINT_MIRROR = list(skeleton.MIRROR_PERMUTATION)


def mirrored(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Windows' features (B, T, 33, 4) and joints (B, T, 21, 2) seen in a mirror (left and right exchanged)."""
    x, y = x[:, :, LANDMARK_MIRROR].clone(), y[:, :, JOINT_MIRROR].clone()
    x[..., 0], y[..., 0] = -x[..., 0], -y[..., 0]
    return x, y


def played_at(x: torch.Tensor, y: torch.Tensor, speed: tuple[float, float], crop: int,
              generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Windows (B, T, ...) resampled in time at a drawn playback speed each, ``crop`` frames from a drawn start.

    Linear interpolation of the features (a frame without a detection blends towards zeros, its flag with
    it) and of the joints; the speed is drawn log-uniformly in ``speed`` and capped where ``crop`` frames
    would need more than the window has.
    """
    count, frames = x.shape[:2]
    low, high = np.log(speed[0]), np.log(min(speed[1], (frames - 1) / (crop - 1)))
    rate = torch.exp(low + (high - low) * torch.rand(count, generator=generator, dtype=torch.float64))
    span = rate * (crop - 1)
    start = torch.rand(count, generator=generator, dtype=torch.float64) * (frames - 1 - span)
    times = (start[:, None] + rate[:, None] * torch.arange(crop, dtype=torch.float64)).numpy()
    return (torch.as_tensor(sample_at(x.numpy(), times), dtype=x.dtype),
            torch.as_tensor(sample_at(y.numpy(), times), dtype=y.dtype))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True, nargs="+")
    parser.add_argument("--out", required=True, help="the model folder to write")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speed", type=float, nargs=2, default=None, metavar=("LOW", "HIGH"),
                        help="playback speed augmentation: each window resampled in time at a speed drawn "
                             "log-uniformly in [LOW, HIGH] and cut to --crop frames (default: none)")
    parser.add_argument("--crop", type=int, default=48, help="frames of each window with --speed")
    parser.add_argument("settings", nargs="*", help="config overrides (key=value)")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    config, datamodule = config_and_corpus(args.settings)
    train = pooled_detections(args.train)
    x, centre, length = features(all_landmarks(train), MEDIAPIPE_TORSO)
    target = train_truth(datamodule, train)[0]
    y = ((target - centre[:, None, None]) / length[:, None, None, None]).astype(np.float32)
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    checks = {split: (all_landmarks(shipped_for(datamodule, split)), *split_truth(datamodule, split))
              for split in ("val", "ood-val")}
    shape = {"landmarks": len(LANDMARK_NAMES), "torso": list(MEDIAPIPE_TORSO), "width": args.width,
             "dilations": [1, 2, 4, 8, 1], "kernel": 5}
    net = LandmarkReaderNet(**shape)
    window, fps = int(datamodule.window), float(config["data"]["fps"])
    optimizer = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = len(x) // args.batch
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, args.lr, total_steps=args.epochs * steps)
    generator = torch.Generator().manual_seed(args.seed)
    started = time.perf_counter()
    scores: dict[str, float] = {}
    for epoch in range(args.epochs):
        net.train()
        order = torch.randperm(len(x), generator=generator)
        for step in range(steps):
            rows = order[step * args.batch:(step + 1) * args.batch]
            xb, yb = x[rows].clone(), y[rows].clone()
            if args.speed is not None:
                xb, yb = played_at(xb, yb, args.speed, args.crop, generator)
            flip = torch.rand(len(rows), generator=generator) < 0.5
            xb[flip], yb[flip] = mirrored(xb[flip], yb[flip])
            loss = (net(xb) - yb).norm(dim=-1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        if epoch % 5 == 4 or epoch == args.epochs - 1:
            reader = LandmarkReader(net.eval(), window, fps)
            scores = {}
            for split, (landmarks, truth, head) in checks.items():
                read = reader.read_windows(landmarks)
                scores[f"{split} added"] = round(joints_auc(read, truth, head, skeleton.ADDED_INDICES), 4)
                scores[f"{split} input"] = round(joints_auc(read, truth, head, skeleton.INPUT_INDICES), 4)
            print(f"epoch {epoch}: loss {loss.item():.4f}, {time.perf_counter() - started:.0f} s; hpe-real, the "
                  f"reader alone: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()), flush=True)
    minutes = (time.perf_counter() - started) / 60
    folder_config = {
        "seed": args.seed, "data": {"fps": fps, "window": window},
        "baselines": {"landmark_reader": shape},
        "trained_on": f"{len(x)} rendered training windows ({train['detector']}): "
                      f"{', '.join(Path(p).name for p in args.train)}; {args.epochs} epochs, batch {args.batch}, "
                      f"lr {args.lr:g}"
                      + (f", playback speed {args.speed[0]:g}-{args.speed[1]:g} ({args.crop} frames)" if args.speed
                         else "") + f", {minutes:.0f} min",
        "validation": {f"hpe-real {k} AUC, the reader alone": v for k, v in scores.items()},
    }
    write_model_folder(args.out, folder_config, "landmark-reader", net.state_dict())
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
