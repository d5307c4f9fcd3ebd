"""Data pipeline figures: cold (no cache) and warm loads of the whole corpus, and batch throughput.

    python benchmarks/bench_data.py [key=value ...]     # e.g. data.root=DIR data.load_workers=2
"""
from __future__ import annotations

import os
import platform
import sys
import tempfile
import time

import torch

from jumps_pl.config import load_config, to_container
from jumps_pl.data.datamodule import MocapDataModule


def main(overrides: list[str]) -> None:
    with tempfile.TemporaryDirectory() as cache:
        cfg = to_container(load_config(overrides=[f"data.cache_dir={cache}", *overrides]))["data"]
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}")
        print(f"data root: {cfg['root']}, load_workers={cfg['load_workers']}")
        for label in ("cold cache", "warm cache"):
            started = time.perf_counter()
            dm = MocapDataModule(**cfg)
            dm.setup()
            seconds = time.perf_counter() - started
            total = dm.stats()["total"]
            print(f"{label}: {seconds:6.1f} s for {total['clips']} clips, {total['frames']} frames, "
                  f"{total['windows']} windows")
        loader = dm.train_dataloader()
        started, windows = time.perf_counter(), 0
        for i, batch in enumerate(loader):
            windows += len(dm.to_2d(batch, augment=True)["keypoints_px"])
            if i == 50:
                break
        print(f"training batches (load + mirror + camera + projection): "
              f"{windows / (time.perf_counter() - started):,.0f} windows/s")


if __name__ == "__main__":
    main(sys.argv[1:])
