"""Latent-optimization speed: windows/s at the default settings, and seconds for one minute of video.

    python benchmarks/bench_infer.py [--ckpt MODEL] [key=value ...]
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import time

import numpy as np
import torch

from jumps_pl import skeleton
from jumps_pl.config import load_config, to_container
from jumps_pl.data.datamodule import MocapDataModule
from jumps_pl.methods.jumps.latent_opt import LatentOptimizer
from jumps_pl.methods.jumps.method import load_jumps
from jumps_pl.model_folders import model_path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", default=None, help="model folder or checkpoint (default: models.jumps)")
    parser.add_argument("--frames", type=int, default=1800, help="sequence length (1800 = 1 min at 30 fps)")
    parser.add_argument("settings", nargs="*")
    args = parser.parse_args()
    config = to_container(load_config(overrides=args.settings))
    model, _ = load_jumps(args.ckpt or model_path(config["models"], "jumps"))
    optimizer = LatentOptimizer(model, **config["infer"])
    dm = MocapDataModule(**config["data"])
    dm.setup()
    batch = dm.to_2d(next(iter(dm.dataloader("test-bench"))))
    keypoints = batch["keypoints_px"]
    mask = torch.zeros(keypoints.shape[:3], dtype=torch.bool)
    mask[..., torch.as_tensor(skeleton.INPUT_INDICES)] = True
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    print(f"settings: {config['infer']}")
    started = time.perf_counter()
    optimizer.optimize_windows(keypoints, mask)
    seconds = time.perf_counter() - started
    print(f"windows: {len(keypoints) / seconds:.2f} windows/s ({len(keypoints)} windows in {seconds:.1f} s)")

    # One minute of video: real test windows end to end, the 12 input joints given.
    repeats = -(-args.frames // keypoints.shape[1])
    sequence = keypoints.repeat(-(-repeats // len(keypoints)), 1, 1, 1)[:repeats].reshape(-1, 21, 2)
    sequence = sequence[: args.frames].numpy()
    seq_mask = np.zeros(sequence.shape[:2], dtype=bool)
    seq_mask[:, skeleton.INPUT_INDICES] = True
    started = time.perf_counter()
    out = optimizer.predict_track(sequence, seq_mask).positions
    seconds = time.perf_counter() - started
    fps = config["data"]["fps"]
    print(f"sequence: {args.frames} frames ({args.frames / fps:.0f} s of video at {fps:.0f} fps) in {seconds:.1f} s "
          f"({args.frames / fps / seconds:.2f}x real time); output {out.shape}")
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
