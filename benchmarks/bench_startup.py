"""How fast commands start: `jumps --version`, `--help`, an argument error, and `jumps upsample`'s start-up
(imports and model load) against `python -c "import torch"`, plus `python -X importtime`'s heaviest imports.

    python benchmarks/bench_startup.py [--runs 5] [--before PATH]

``--before PATH``: a checkout of another commit, whose `import jumps_pl.cli` is timed the same way.
Each figure is the median of ``--runs`` fresh processes (wall clock, this machine's load included).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
UPSAMPLE_START = """
import time; started = time.perf_counter()
import jumps_pl
up = jumps_pl.Upsampler(fps=30)
print(time.perf_counter() - started)
"""


def _wall(argv: list[str], runs: int, cwd: Path = REPO, env: dict | None = None) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, capture_output=True, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _importtime(module: str, cwd: Path, env: dict | None = None, top: int = 5) -> tuple[float, list[str]]:
    """Cumulative seconds of ``import module`` and its heaviest direct imports, from ``-X importtime``."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], cwd=cwd,
                            capture_output=True, text=True, env=env)
    rows = []
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|(\s*)(\S+)", line)
        if match:
            rows.append((int(match.group(1)) / 1e6, len(match.group(2)), match.group(3)))
    total = next((cumulative for cumulative, _, name in rows if name == module), float("nan"))
    heaviest = sorted((r for r in rows if r[1] <= 3 and r[2] != module), reverse=True)[:top]
    return total, [f"{name} {cumulative:.2f} s" for cumulative, _, name in heaviest]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", type=Path, help="a checkout of another commit to compare imports with")
    args = parser.parse_args()
    jumps = [sys.executable, "-m", "jumps_pl.cli"]
    print(f"median of {args.runs} fresh processes, {os.cpu_count()} CPUs")
    print(f"python -c 'import torch':         {_wall([sys.executable, '-c', 'import torch'], args.runs):.2f} s")
    print(f"jumps --version:                  {_wall([*jumps, '--version'], args.runs):.2f} s")
    print(f"jumps --help:                     {_wall([*jumps, '--help'], args.runs):.2f} s")
    print(f"jumps upsample (argument error):  {_wall([*jumps, 'upsample'], args.runs):.2f} s")
    starts = [float(subprocess.run([sys.executable, "-c", UPSAMPLE_START], cwd=REPO, capture_output=True,
                                   text=True).stdout) for _ in range(args.runs)]
    print(f"Upsampler start-up (imports + default method's models): {statistics.median(starts):.2f} s")
    for label, cwd in (("this tree", REPO), *((("before", args.before),) if args.before else ())):
        env = {**os.environ, "PYTHONPATH": str(cwd)}
        total, heaviest = _importtime("jumps_pl.cli", cwd, env)
        print(f"-X importtime, import jumps_pl.cli ({label}): {total:.2f} s; heaviest: {', '.join(heaviest)}")


if __name__ == "__main__":
    main()
