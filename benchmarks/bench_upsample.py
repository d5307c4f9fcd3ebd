"""Upsampling speed: one minute of 30 fps input, compute apart from start-up, against `ridge+savgol`.

Two inputs of ``--minutes`` at 30 fps: the real street detections (../shared/media/street) repeated
forwards and backwards (a detector's output: the noisy path), and the 12 ground-truth joints of
consecutive test-split corpus clips, projected by a protocol camera (exact input: the latent fit). For
each of the default method, the paper's `JUMPS` and `ridge+savgol`, the compute (``Upsampler.upsample``
after the method has loaded) is the median of ``--runs`` runs; start-up (imports and model load, in a
fresh process) is printed apart. Peak memory: ``bench_memory.py``.

    python benchmarks/bench_upsample.py [--minutes 1] [--runs 3] [--threads N] [key=value ...]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
STREET = REPO.parent / "shared" / "media" / "street" / "alphapose-results.json"
ROWS = ("JUMPS + fusion", "JUMPS", "ridge+savgol")
START = """
import time; started = time.perf_counter()
import jumps_pl
jumps_pl.Upsampler({method!r}, fps=30)
print(time.perf_counter() - started)
"""


def detector_input(frames: int) -> np.ndarray:
    """The street detections (COCO-17 with scores) repeated forwards and backwards to ``frames``."""
    entries = json.loads(STREET.read_text())
    clip = np.stack([np.asarray(e["keypoints"], dtype=np.float64).reshape(17, 3) for e in entries])
    loop = np.concatenate([clip, clip[::-1]])
    return np.resize(loop, (frames, 17, 3))


def exact_input(frames: int) -> np.ndarray:
    """(frames, 12, 2) px: the input joints of test-bench windows, one after another."""
    from jumps_pl.config import load_config
    from jumps_pl.data.datamodule import MocapDataModule
    from jumps_pl.skeleton import INPUT_INDICES

    datamodule = MocapDataModule(**load_config().data)
    datamodule.setup()
    windows = []
    for batch in datamodule.dataloader("test-bench"):
        windows.append(datamodule.to_2d(batch)["keypoints_px"].numpy()[:, :, INPUT_INDICES])
        if sum(len(w) for w in windows) * windows[0].shape[1] >= frames:
            break
    return np.concatenate(np.concatenate(windows))[:frames].astype(np.float64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own)")
    parser.add_argument("settings", nargs="*", help="key=value overrides of every row")
    args = parser.parse_args()
    import torch

    import jumps_pl

    if args.threads:
        torch.set_num_threads(args.threads)
    frames = int(args.minutes * 60 * 30)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; {frames} frames at 30 fps; median of {args.runs} runs")
    inputs = {"detector": detector_input(frames), "exact": exact_input(frames)}
    for name in ROWS:
        start = float(subprocess.run([sys.executable, "-c", START.format(method=name)], cwd=REPO, text=True,
                                     capture_output=True, check=True).stdout)
        print(f"{name}: start-up {start:.2f} s (imports and models, fresh process)")
    seconds: dict[tuple[str, str], float] = {}
    for name in ROWS:
        for kind, array in inputs.items():
            times = []
            for _ in range(args.runs):  # a fresh object each run: nothing of an earlier run is reused
                upsampler = jumps_pl.Upsampler(name, fps=30, overrides=args.settings)
                started = time.perf_counter()
                upsampler.upsample(array)
                times.append(time.perf_counter() - started)
            seconds[name, kind] = statistics.median(times)
    for kind in inputs:
        ridge = seconds["ridge+savgol", kind]
        for name in ROWS:
            value = seconds[name, kind]
            print(f"{kind:>8} {name:<16} {value:7.2f} s  {frames / 30 / value:6.1f}x real time  "
                  f"{value / ridge:7.0f}x ridge+savgol's {ridge:.3f} s")


if __name__ == "__main__":
    main()
