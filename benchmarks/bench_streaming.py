"""Live use: how accuracy falls with latency, and whether the stream keeps up with 30 fps.

On the protocol's HPE task (test-bench unless --split, the first --windows windows), every window is
streamed frame by frame through ``jumps_pl.stream.Stream`` (what ``jumps_pl.StreamingUpsampler`` and
``jumps upsample --latency`` run) at each latency, and scored like `jumps evaluate`; the offline row is
the method on the whole window. Compute is the method's own time per pushed frame on this machine: the
mean and the 95th percentile over pushed frames (each push pays for the share of a window it runs), each
the median over ``--runs`` runs, every latency once a round (this machine's speed moves between runs).
``--task upsampling`` streams exact input (the 12 ground-truth joints) instead of the simulated detector's.

    python benchmarks/bench_streaming.py [key=value ...] [--method JUMPS] [--task hpe|upsampling]
        [--windows 16] [--latency 0 8 16 32] [--threads N] [--hop N] [--spread N] [--runs 3]

(config overrides first: ``--latency`` takes every number after it).
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from jumps_pl.config import load_config, to_container
from jumps_pl.evaluation.scoring import score
from jumps_pl.evaluation.tasks import make_task
from jumps_pl.methods import build_methods
from jumps_pl.stream import Stream


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--method", default=None, help="default: upsample.method")
    parser.add_argument("--windows", type=int, default=16)
    parser.add_argument("--latency", type=int, nargs="*", default=[0, 8, 16, 32])
    parser.add_argument("--task", choices=("hpe", "upsampling"), default="hpe")
    parser.add_argument("--split", default="test-bench", help="the protocol split whose windows are streamed "
                        "(val to choose settings)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    parser.add_argument("--hop", type=int,
                        help="pushes between windows (default: the stream's, ceil((latency + 2) / 4))")
    parser.add_argument("--spread", type=int, help="pushes a window's computation is spread over (default: the "
                        "stream's, as many as latency and hop allow; 1: all at the push that starts it)")
    parser.add_argument("--runs", type=int, default=3, help="runs of every stream, the median time reported")
    parser.add_argument("settings", nargs="*")
    args = parser.parse_args()
    import torch

    from jumps_pl.data.datamodule import MocapDataModule

    if args.threads:
        torch.set_num_threads(args.threads)
    config = to_container(load_config(overrides=args.settings))
    name = args.method or config["upsample"]["method"]
    method = build_methods(config, [name])[name]
    datamodule = MocapDataModule(**config["data"])
    datamodule.setup()
    batches = [datamodule.to_2d(b) for b in datamodule.dataloader(args.split)]
    target = torch.cat([b["keypoints_px"] for b in batches]).numpy()[: args.windows]
    head = torch.cat([b["head_size_px"] for b in batches]).numpy()[: args.windows]
    given = make_task(args.task, target, head, config["data"]["bench_seed"])
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; method {name!r}; {args.task}, first {len(target)} {args.split} windows "
          f"of {target.shape[1]} frames")
    print("| latency (frames) | hop | spread | added AUC | input AUC | missing AUC | compute ms / frame, mean | "
          "95th percentile | keeps up with 30 fps |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    started = time.perf_counter()
    offline = method.predict_windows(given.keypoints_px, given.mask, given.confidence).positions
    per_frame = (time.perf_counter() - started) / target[..., 0, 0].size
    _row("offline (whole window)", "", "", score(offline, target, head, given), [np.array([per_frame])])
    weight = given.mask * given.confidence
    runs: dict[int, list] = {latency: [] for latency in args.latency}  # per latency, each run's timed pushes
    outputs: dict[int, np.ndarray] = {}
    shapes: dict[int, tuple[str, str]] = {}  # per latency, the stream's hop and spread
    for _ in range(args.runs):  # every latency once a round, so that a slow spell of the machine is shared
        for latency in args.latency:
            streamed, seconds = [], []
            for k in range(len(target)):
                stream = Stream(method, latency, args.hop, 0.0, args.spread)
                frames = []
                for f in range(len(given.keypoints_px[k])):  # as Stream.run, each push timed
                    started = time.perf_counter()
                    result = stream.push(given.keypoints_px[k, f], np.where(given.mask[k, f], weight[k, f], 0.0))
                    seconds.append(time.perf_counter() - started)
                    if result is not None:
                        frames.append(result)
                tail = stream.flush()
                streamed.append(np.concatenate([np.stack(frames), tail]) if frames else tail)
            shapes[latency] = (str(stream.hop), str(stream.spread))
            outputs[latency] = np.stack(streamed)  # the same every run: what comes out never hangs on timing
            runs[latency].append(np.array(seconds))
    for latency, seconds in runs.items():
        _row(str(latency), *shapes[latency], score(outputs[latency], target, head, given), seconds)


def _row(label: str, hop: str, spread: str, scores: dict, runs: list[np.ndarray]) -> None:
    """A table row: the scores, and the median over runs of the mean and 95th percentile per pushed frame."""
    mean = float(np.median([seconds.mean() for seconds in runs]))
    p95 = float(np.median([np.percentile(seconds, 95) for seconds in runs]))
    keeps = "yes" if p95 < 1 / 30 else "no"
    missing = f"{scores['missing']['auc']:.4f}" if "missing" in scores else ""
    print(f"| {label} | {hop} | {spread} | {scores['added']['auc']:.4f} | {scores['input']['auc']:.4f} | {missing} | "
          f"{1000 * mean:.1f} | {1000 * p95:.1f} | {keeps} |", flush=True)


if __name__ == "__main__":
    main()
