"""Peak resident memory of `jumps upsample` on 1,000, 10,000 and 100,000 frames (windows stream, so it
should stay bounded), and of `jumps evaluate` on test-bench (the README's figures).

    python benchmarks/bench_memory.py [--frames 1000 10000 100000] [--evaluate] [key=value ...]

Inputs are the real street detections (../shared/media/street) repeated forward and backward to the
length asked, as a .npy file at 30 fps. Every command runs in its own child process; its peak is read
from that child's own resource usage (os.wait4), so one run's peak never hides another's.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
STREET = REPO.parent / "shared" / "media" / "street" / "alphapose-results.json"


def peak_of(args: list[str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of `jumps ARGS` in a child process of its own."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "jumps_pl.cli", *args], cwd=REPO, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        sys.exit(f"jumps {' '.join(args)} failed:\n{stderr[-3000:]}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def street_repeated(frames: int) -> np.ndarray:
    entries = json.loads(STREET.read_text())
    clip = np.stack([np.asarray(e["keypoints"], dtype=np.float32).reshape(17, 3) for e in entries])
    loop = np.concatenate([clip, clip[::-1]])
    return np.resize(loop, (frames, 17, 3))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, nargs="*", default=[1000, 10000, 100000])
    parser.add_argument("--evaluate", action="store_true", help="also `jumps evaluate` on test-bench (all rows)")
    parser.add_argument("settings", nargs="*")
    args = parser.parse_args()
    import torch

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        for frames in args.frames:
            np.save(f"{tmp}/in.npy", street_repeated(frames))
            seconds, peak = peak_of(["upsample", f"{tmp}/in.npy", "--out", f"{tmp}/out.npz", "--fps", "30",
                                     "--quiet", "--overwrite", *args.settings])
            print(f"jumps upsample, {frames} frames (30 fps): peak resident memory {peak:.0f} MB, {seconds:.0f} s",
                  flush=True)
        if args.evaluate:
            seconds, peak = peak_of(["evaluate", "--out", f"{tmp}/evaluation.json", *args.settings])
            print(f"jumps evaluate, test-bench, all rows: peak resident memory {peak:.0f} MB, {seconds:.0f} s")


if __name__ == "__main__":
    main()
