"""`jumps sweep FILE`: a wandb sweep definition (grid) run locally, one `jumps evaluate` per point.

Only what a local grid needs is read: ``method`` (grid), ``parameters`` (each with ``values`` or
``value``; the key is a config key, as wandb passes it with ``${args_no_hyphens}``). Results are
written after every run, so an interrupted sweep keeps what it measured.
"""
from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

from jumps_pl.config import ConfigError, load_config, read_yaml_file, to_container
from jumps_pl.evaluation.evaluate import evaluate_config
from jumps_pl.files import check_output, write_json, write_text


def read_sweep(path: str | Path) -> tuple[list[str], list[tuple]]:
    """Parameter names and the grid of their values, from a wandb sweep YAML."""
    path = Path(path)
    spec = read_yaml_file(path, f"sweep file {path} does not exist")
    if not isinstance(spec, dict) or not isinstance(spec.get("parameters"), dict) or not spec["parameters"]:
        raise ConfigError(f"{path}: a sweep needs a 'parameters' mapping")
    if spec.get("method", "grid") != "grid":
        raise ConfigError(f"{path}: method {spec['method']!r}: the local runner only runs grids "
                          "(use `wandb agent` for random or bayes)")
    names, grids = [], []
    for name, entry in spec["parameters"].items():
        if isinstance(entry, dict) and "values" in entry and isinstance(entry["values"], list) and entry["values"]:
            grids.append(entry["values"])
        elif isinstance(entry, dict) and "value" in entry:
            grids.append([entry["value"]])
        else:
            raise ConfigError(f"{path}: parameters.{name} needs 'values' (a non-empty list) or 'value'")
        names.append(name)
    return names, list(itertools.product(*grids))


def _override(name: str, value) -> str:
    if isinstance(value, bool):
        value = str(value).lower()
    return f"{name}={'null' if value is None else value}"


def run_sweep(path: str | Path, settings: list[str], out: str | Path, overwrite: bool = False) -> list[dict]:
    """Run every grid point; write ``out`` (.json) and the Markdown table beside it (.md)."""
    names, grid = read_sweep(path)
    out = Path(out)
    for target in (out, out.with_suffix(".md")):
        check_output(target, overwrite)
    points = []
    for values in grid:  # every point's settings checked before the first run
        overrides = [*settings, *(_override(n, v) for n, v in zip(names, values, strict=True))]
        try:
            points.append((values, overrides, to_container(load_config(None, overrides))))
        except ConfigError as err:
            raise ConfigError(f"{path}: the point {' '.join(overrides[len(settings):])}: {err}") from None
    runs: list[dict] = []
    print(f"sweep {path}: {len(grid)} runs", file=sys.stderr)
    for number, (values, overrides, config) in enumerate(points, 1):
        print(f"[{number}/{len(grid)}] {' '.join(overrides[len(settings):])}", file=sys.stderr)
        started = time.perf_counter()
        run = {"parameters": dict(zip(names, values, strict=True))}
        try:
            run["results"] = evaluate_config(config, log=lambda message: None, quiet=True)
        except (ConfigError, FileNotFoundError, ValueError) as err:
            run["error"] = str(err)
            print(f"  failed: {err}", file=sys.stderr)
        run["seconds"] = round(time.perf_counter() - started, 1)
        runs.append(run)
        write_json(out, runs)
        write_text(out.with_suffix(".md"), sweep_table(runs))
    print(sweep_table(runs))
    return runs


def sweep_table(runs: list[dict]) -> str:
    """One line per run and evaluated row: the parameters that vary, then AUC / PCKh@0.1 per task."""
    varying = [n for n in runs[0]["parameters"] if len({str(r["parameters"][n]) for r in runs}) > 1] if runs else []
    columns: list[tuple[str, str, str]] = []
    for run in runs:
        for task, rows in run.get("results", {}).items():
            for scores in rows.values():
                for subset in ("added", "missing", "input"):
                    if subset in scores and (task, subset, "auc") not in columns:
                        if subset == "input" and task != "hpe":
                            continue
                        columns += [(task, subset, "auc"), (task, subset, "pckh@0.1")]
    header = ["row", *varying, *(f"{t} {s} {'AUC' if m == 'auc' else '@0.1'}" for t, s, m in columns), "s"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(varying + ["row"]) + "---:|" * (len(columns) + 1)]
    for run in runs:
        params = [str(run["parameters"][n]) for n in varying]
        if "error" in run:
            lines.append("| error | " + " | ".join(params) + " | " + run["error"].replace("|", "/") + " |")
            continue
        row_names = list(next(iter(run["results"].values()), {}))
        for row in row_names:
            cells = []
            for task, subset, metric in columns:
                value = run["results"].get(task, {}).get(row, {}).get(subset, {}).get(metric)
                cells.append("" if value is None else f"{value:.4f}")
            lines.append("| " + " | ".join([row, *params, *cells, f"{run['seconds']:.0f}"]) + " |")
    return "\n".join(lines) + "\n"
