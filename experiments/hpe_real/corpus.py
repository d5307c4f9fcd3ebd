"""What every hpe-real script starts from: the resolved config, the corpus set up, training windows' detections.

The detections of rendered training windows (`jumps detect-windows train`) pooled from several files, and
the mocap of those windows as the protocol scores it: the 21 joints projected by the camera each window
was rendered with, and the head size per frame.
"""
from __future__ import annotations

import argparse
from collections.abc import Iterator

import numpy as np
import torch

from jumps_pl import skeleton
from jumps_pl.config import load_config, to_container
from jumps_pl.data.cameras import head_size_px, project
from jumps_pl.data.datamodule import MocapDataModule

MEDIAPIPE_TORSO = (11, 12, 23, 24)   # MediaPipe's left and right shoulder and hip landmarks


def joints_auc(pred: np.ndarray, target: np.ndarray, head: np.ndarray, joints) -> float:
    """AUC of PCKh (0..1 head sizes) of ``joints`` of windows (W, T, 21, 2) px against the mocap."""
    from jumps_pl.metrics import pckh_auc

    mask = np.zeros(pred.shape[:3], bool)
    mask[..., list(joints)] = True
    return float(pckh_auc(*(torch.as_tensor(a, dtype=torch.float64) for a in (pred, target, head)),
                          torch.as_tensor(mask)))


def finetune_parser(description: str, epochs: int, weights: str) -> argparse.ArgumentParser:
    """The options every fine-tuning script on rendered training windows takes (more may be added).

    ``weights``: what ``--average-from`` averages (for its help).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--train", required=True, nargs="+", help="detections of rendered training windows "
                        "(jumps detect-windows train --out ...), pooled")
    parser.add_argument("--out", required=True, help="the model folder to write")
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--real-share", type=float, default=0.5, help="the share of each batch that is real detections")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--average-from", type=int, default=None,
                        help=f"write {weights} averaged over the ends of this epoch and every later one, instead "
                             "of the best epoch's")
    parser.add_argument("settings", nargs="*", help="config overrides (key=value)")
    return parser


def parse_finetune_args(parser: argparse.ArgumentParser) -> tuple[argparse.Namespace, torch.Generator]:
    """The options parsed and checked, torch seeded: the options and a generator for the script's own draws."""
    args = parser.parse_args()
    if args.average_from is not None and not 0 <= args.average_from < args.epochs:
        parser.error(f"--average-from {args.average_from}: must be an epoch of 0..{args.epochs - 1}")
    torch.manual_seed(args.seed)
    return args, torch.Generator().manual_seed(args.seed)


def batch_split(args: argparse.Namespace, real_windows: int) -> tuple[int, int, int]:
    """Real and simulated windows in each batch (``--batch``, ``--real-share``), and steps a pass over the real ones."""
    n_real = int(round(args.batch * args.real_share))
    return n_real, args.batch - n_real, max(1, real_windows // max(n_real, 1))


def simulated_batches(datamodule: MocapDataModule, count: int) -> Iterator[torch.Tensor]:
    """Without end: the first ``count`` windows of each training batch, 2D keypoints (px) augmented as in training."""
    while True:
        for batch in datamodule.train_dataloader():
            yield datamodule.to_2d(batch, augment=True)["keypoints_px"][:count]


def config_and_corpus(settings: list[str]) -> tuple[dict, MocapDataModule]:
    """The config (``key=value`` overrides applied) and its ``MocapDataModule``, set up."""
    config = to_container(load_config(overrides=settings))
    datamodule = MocapDataModule(**config["data"])
    datamodule.setup()
    return config, datamodule


def pooled_detections(paths: list[str]) -> dict[str, np.ndarray]:
    """Detection files of training windows as one: per-window arrays joined, the rest from the first."""
    files = []
    for path in paths:
        with np.load(path) as data:
            files.append({k: data[k] for k in data.files})
    count = len(files[0]["clip"])
    return {k: np.concatenate([f[k] for f in files]) if np.ndim(v) and len(v) == count else v
            for k, v in files[0].items()}


def train_truth(datamodule: MocapDataModule, detections: dict) -> tuple[np.ndarray, np.ndarray]:
    """The mocap of each rendered training window: joints (W, T, 21, 2) px in the full frame, head sizes (W, T) px."""
    dataset = datamodule.datasets["train"]
    joints, heads = [], []
    for w, index in enumerate(detections["index"]):
        item = dataset[int(index)]
        assert datamodule.clip_names[item["clip_id"]] == str(detections["clip"][w]), "another corpus"
        positions = item["positions_m"][None, :datamodule.window]
        camera = {"R": torch.as_tensor(detections["camera_R"][w], dtype=torch.float32)[None],
                  "t": torch.as_tensor(detections["camera_t"][w], dtype=torch.float32)[None],
                  "focal_px": torch.tensor([datamodule.eval_camera.focal_px]),
                  "principal_px": torch.as_tensor(datamodule.eval_camera.principal_px, dtype=torch.float32)[None]}
        joints.append(project(positions, camera)[0].numpy())
        length = torch.as_tensor(item["head_length_m"], dtype=torch.float32).reshape(1)
        heads.append(head_size_px(positions[:, :, skeleton.NECK], length, camera)[0].numpy())
    return np.stack(joints), np.stack(heads)
