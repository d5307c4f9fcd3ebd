"""`jumps sweep`: the wandb sweep file's grid, run locally into one table."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REPO
from jumps_pl.config import ConfigError, load_config
from jumps_pl.evaluation.sweep import _override, read_sweep

ABLATIONS = REPO / "experiments" / "sweeps" / "ablations.yaml"


def test_the_ablation_sweep_is_a_grid_over_valid_config_keys():
    names, grid = read_sweep(ABLATIONS)
    assert {"models.jumps", "infer.align", "infer.starts", "infer.prior_weight", "seed"} <= set(names)
    assert len(grid) == 32
    for values in grid[:3] + grid[-3:]:
        cfg = load_config(None, [_override(n, v) for n, v in zip(names, values, strict=True)])
        assert cfg.evaluate.rows == ["JUMPS"] and isinstance(cfg.infer.align, bool)


def test_non_grid_sweeps_and_bad_parameters_are_refused(tmp_path):
    bad = tmp_path / "s.yaml"
    bad.write_text("method: bayes\nparameters:\n  seed: {values: [0, 1]}\n")
    with pytest.raises(ConfigError, match="only runs grids"):
        read_sweep(bad)
    bad.write_text("method: grid\nparameters:\n  seed: {min: 0, max: 3}\n")
    with pytest.raises(ConfigError, match="parameters.seed needs 'values'"):
        read_sweep(bad)


def test_local_sweep_runs_every_point_into_one_table(tiny_checkpoint, tiny_checkpoint_no_encoder, clip_archive,
                                                     tmp_path):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(f"""program: jumps
method: grid
parameters:
  models.jumps: {{values: ["{tiny_checkpoint}", "{tiny_checkpoint_no_encoder}"]}}
  infer.align: {{values: [true, false]}}
  evaluate.rows: {{value: "[JUMPS]"}}
  evaluate.tasks: {{value: "[upsampling]"}}
""")
    out = tmp_path / "sweep.json"
    result = subprocess.run(
        [sys.executable, "-m", "jumps_pl.cli", "sweep", str(sweep), "--out", str(out), f"data.root={clip_archive}",
         f"data.cache_dir={tmp_path / 'c'}", "data.bench_windows=2", "infer.iterations=2", "infer.starts=2"],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = json.loads(out.read_text())
    assert len(runs) == 4 and all("results" in r for r in runs)
    assert {r["parameters"]["infer.align"] for r in runs} == {True, False}
    table = out.with_suffix(".md").read_text()
    assert table.count("| JUMPS |") == 4 and "upsampling added AUC" in table
    # alignment changes the result: the ablation is really run
    aucs = [r["results"]["upsampling"]["JUMPS"]["added"]["auc"] for r in runs]
    assert aucs[0] != aucs[1]


def test_results_flatten_to_the_keys_a_sweep_metric_names():
    from jumps_pl.evaluation.report import flatten_results

    results = json.loads((REPO / "docs" / "results" / "evaluation.json").read_text())["results"]
    flat = flatten_results(results)
    assert flat["upsampling/JUMPS/added/auc"] == results["upsampling"]["JUMPS"]["added"]["auc"]
    assert flat["hpe/ridge/Toes_L/pckh@0.1"] == results["hpe"]["ridge"]["per_joint"]["Toes_L"]["pckh@0.1"]
    assert not any(key.endswith("/curve") for key in flat)
