"""Live compute on a long stream: time per pushed frame at each latency, a detector's input and exact input.

``jumps_pl.StreamingUpsampler`` (the default method unless ``--method``) is fed ``--seconds`` of 30 fps
input one frame at a time, as a camera would feed it: the street detections repeated forwards and
backwards (``bench_upsample.py``'s detector input, 12 body joints with their scores) and the 12
ground-truth joints of the longest test-split clip, forwards and backwards, under one protocol camera
(exact input). Every push is timed; the
pushes while the stream fills its first window are left out. Prints the mean, the median and the 95th
percentile per latency, against the 33.3 ms a frame of 30 fps; each figure is the median over ``--runs``
streams, every row once a round (this machine's speed moves between runs), with the lowest and highest
95th percentile beside it.
How accuracy moves with latency: ``bench_streaming.py``, which streams each protocol window alone.

    python benchmarks/bench_live.py [key=value ...] [--seconds 30] [--latency 0 8 16] [--threads 1] [--runs 3]
        [--method M]

(config overrides first: ``--latency`` takes every number after it).
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from bench_upsample import detector_input


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0, help="input length at 30 fps")
    parser.add_argument("--latency", type=int, nargs="*", default=[0, 8, 16])
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--method", default=None, help="default: upsample.method")
    parser.add_argument("--runs", type=int, default=3, help="streams per row, the median reported")
    parser.add_argument("settings", nargs="*", help="config overrides, key=value")
    args = parser.parse_args()
    import torch

    import jumps_pl

    torch.set_num_threads(args.threads)
    frames = int(round(args.seconds * 30))
    detections = detector_input(frames)  # (F, 17, 3) COCO-17 with scores
    inputs = {"detector": (detections[:, 5:17, :2], detections[:, 5:17, 2]),
              "exact": (clips_input(frames), None)}
    probe = jumps_pl.StreamingUpsampler(args.method, latency=0, overrides=args.settings)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s); method {probe.upsampler.name!r}; {frames} frames at 30 fps, "
          f"the first {probe.stream.window} pushes of each stream left out; the median of {args.runs} runs")
    print("| input | latency (frames) | hop / spread | ms / frame, mean | median | 95th percentile | lowest / highest "
          "95th percentile | within 33.3 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    runs: dict[tuple[int, str], list] = {(latency, name): [] for latency in args.latency for name in inputs}
    hops = {}
    for _ in range(args.runs):  # every row once a round, so that a slow spell of the machine is shared
        for latency, name in runs:
            poses, scores = inputs[name]
            stream = jumps_pl.StreamingUpsampler(args.method, latency=latency, overrides=args.settings)
            seconds = []
            for k in range(frames):
                started = time.perf_counter()
                stream.push(poses[k], None if scores is None else scores[k])
                seconds.append(time.perf_counter() - started)
            stream.flush()
            ms = 1000 * np.array(seconds[stream.stream.window:])
            runs[latency, name].append((ms.mean(), np.median(ms), np.percentile(ms, 95)))
            hops[latency] = f"{stream.hop} / {stream.spread}"
    for (latency, name), figures in runs.items():
        mean, median, p95 = np.median(figures, axis=0)
        low, high = min(f[2] for f in figures), max(f[2] for f in figures)
        print(f"| {name} | {latency} | {hops[latency]} | {mean:.1f} | {median:.1f} | {p95:.1f} | "
              f"{low:.1f} / {high:.1f} | {'yes' if p95 <= 1000 / 30 else 'no'} |", flush=True)


def clips_input(frames: int) -> np.ndarray:
    """(frames, 12, 2) px: the input joints of the longest test-split clip, forwards and backwards, as
    one protocol camera sees it (moved back where the subject comes nearer than its nearest distance)."""
    import torch

    from jumps_pl.config import load_config
    from jumps_pl.data.cameras import project, sample_cameras
    from jumps_pl.data.datamodule import MocapDataModule
    from jumps_pl.skeleton import INPUT_INDICES, ROOT

    datamodule = MocapDataModule(**load_config().data)
    datamodule.setup()
    clip = max((c for c in datamodule.clips if c.split == "test"), key=lambda c: len(c.positions_m))
    positions = torch.as_tensor(clip.positions_m, dtype=torch.float32)[None]  # (1, F, 21, 3)
    ranges = datamodule.eval_camera
    camera = sample_cameras(np.random.default_rng(0), positions[0, :, ROOT].mean(0).double().numpy()[None], ranges,
                            points_m=positions.numpy(), min_depth_m=float(ranges.distance_m[0]))
    pixels = project(positions, {k: torch.from_numpy(v) for k, v in camera.items()})[0, :, INPUT_INDICES].numpy()
    loop = np.concatenate([pixels, pixels[::-1]])
    return np.resize(loop, (frames, *pixels.shape[1:])).astype(np.float64)


if __name__ == "__main__":
    main()
