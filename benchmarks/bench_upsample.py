"""`jumps upsample` speed and memory on real detector output (../shared/media/street):

1. the street clip as it is (205 frames at 50 fps, AlphaPose JSON), end to end through the CLI code;
2. a 10-minute 30 fps input built by repeating those real detections (forward, then backward, so the
   motion stays continuous), read from a .npy file, with the peak resident memory of that run.

    python benchmarks/bench_upsample.py [--minutes 10] [key=value ...]

Each part runs in a fresh process so that its peak memory is its own.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
STREET = REPO.parent / "shared" / "media" / "street" / "alphapose-results.json"


def run(args: list[str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of `jumps upsample ARGS` in a child process."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "jumps_pl.cli", "upsample", *args], cwd=REPO, text=True,
                            capture_output=True)
    seconds = time.perf_counter() - started
    if result.returncode:
        sys.exit(result.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("settings", nargs="*")
    args = parser.parse_args()
    import torch

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        seconds, _ = run([str(STREET), "--out", f"{tmp}/street.npz", "--fps", "50", "--quiet", *args.settings])
        print(f"street clip (205 frames, 50 fps, 4.1 s of video): {seconds:.1f} s including start-up")
        entries = json.loads(STREET.read_text())
        clip = np.stack([np.asarray(e["keypoints"], dtype=np.float32).reshape(17, 3) for e in entries])
        frames = int(args.minutes * 60 * 30)
        loop = np.concatenate([clip, clip[::-1]])
        long = np.resize(loop, (frames, 17, 3)) if len(loop) < frames else loop[:frames]
        np.save(f"{tmp}/long.npy", long)
        seconds, peak = run([f"{tmp}/long.npy", "--out", f"{tmp}/long.npz", "--fps", "30", "--quiet",
                             *args.settings])
        print(f"{args.minutes:g}-minute input ({frames} frames at 30 fps, repeated street detections): "
              f"{seconds:.1f} s ({frames / 30 / seconds:.2f}x real time), peak resident memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
