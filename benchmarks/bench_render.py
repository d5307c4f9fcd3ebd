"""How fast the mannequin renders and MediaPipe detects, per frame on one thread (hpe-real's cost).

    python benchmarks/bench_render.py [--windows 4] [--split test-bench] [--size 640x480] [key=value ...]

Renders the first ``--windows`` windows of a set through their protocol cameras (as `jumps detect-windows`
does), then runs MediaPipe Pose on the frames; prints frames per second of each and of both, and the
image memory. Needs the corpus; detection needs the ``[detect]`` extra (skipped without it).
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from jumps_pl.config import load_config, to_container  # noqa: E402
from jumps_pl.data.datamodule import MocapDataModule  # noqa: E402
from jumps_pl.mannequin import Look, Mannequin, View, floor_height  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--split", default="test-bench")
    parser.add_argument("--size", default="640x480")
    parser.add_argument("settings", nargs="*")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    config = to_container(load_config(overrides=args.settings))
    datamodule = MocapDataModule(**config["data"])
    datamodule.setup()
    dataset = datamodule.datasets[args.split]
    frames, render_s, setup_s = [], 0.0, 0.0
    for w in range(args.windows):
        item = dataset[w]
        positions = item["positions_m"].numpy().astype(np.float64)
        camera = {k: v.numpy() for k, v in item["camera"].items()}
        started = time.perf_counter()
        figure = Mannequin(View.framing(camera, positions, size), Look.draw(np.random.default_rng(w)),
                           floor_height(positions))
        setup_s += time.perf_counter() - started
        started = time.perf_counter()
        frames += [figure.render(p) for p in positions]
        render_s += time.perf_counter() - started
    count = len(frames)
    print(f"{count} frames of {args.split} at {size[0]}x{size[1]}, one thread")
    print(f"render: {count / render_s:.1f} frames/s ({1000 * render_s / count:.1f} ms a frame), plus "
          f"{1000 * setup_s / args.windows:.0f} ms a window for the background; "
          f"{frames[0].nbytes / 2 ** 20:.2f} MiB a frame")
    from jumps_pl.detect import DetectorMissing, PoseDetector

    try:
        detector = PoseDetector()
    except DetectorMissing:
        print("detect: skipped (pip install 'jumps-pl[detect]')")
        return
    started = time.perf_counter()
    with detector:
        for frame in frames:
            detector(frame)
    detect_s = time.perf_counter() - started
    print(f"detect (MediaPipe Pose, full model, tracking): {count / detect_s:.1f} frames/s "
          f"({1000 * detect_s / count:.1f} ms a frame)")
    print(f"both: {count / (render_s + setup_s + detect_s):.1f} frames/s")


if __name__ == "__main__":
    main()
