"""The README's headline table and merging `jumps evaluate` runs split by rows (to use more cores)."""
from __future__ import annotations

import json

import pytest

from jumps_pl.cli import main
from jumps_pl.evaluation.report import STYLE_MIN_FLIPS, headline_table, merge_documents, style_flips


@pytest.fixture(scope="module")
def split_runs(clip_archive, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    common = [f"data.root={clip_archive}", f"data.cache_dir={folder / 'cache'}", "data.bench_windows=4",
              "evaluate.tasks=[upsampling,hpe]"]
    for name, rows in (("a", "[ridge]"), ("b", "[ridge+savgol]")):
        assert main(["evaluate", "--out", str(folder / f"{name}.json"), f"evaluate.rows={rows}", *common]) == 0
    return [json.loads((folder / f"{name}.json").read_text()) for name in ("a", "b")]


def test_split_runs_merge_into_one_with_every_row(split_runs):
    merged = merge_documents(split_runs)
    assert merged["windows"] == 4 and merged["split"] == "test-bench"
    for task in ("upsampling", "hpe"):
        assert list(merged["results"][task]) == ["ridge", "ridge+savgol"]
        assert merged["results"][task]["ridge"] == split_runs[0]["results"][task]["ridge"]


def test_runs_of_other_windows_do_not_merge(split_runs):
    other = {**split_runs[1], "windows": 8}
    with pytest.raises(ValueError, match="8 test-bench windows"):
        merge_documents([split_runs[0], other])


def test_the_headline_puts_every_set_in_one_cell(split_runs):
    merged = merge_documents(split_runs)["results"]
    only_ridge = {task: {"ridge": rows["ridge"]} for task, rows in merged.items()}
    text = headline_table({"test-bench": merged, "ood-test": only_ridge})
    lines = text.splitlines()
    assert lines[0] == "AUC, test-bench / ood-test"
    assert lines[2].startswith("| method | upsampling added | upsampling input | hpe added")
    ridge = next(line for line in lines if line.startswith("| ridge |")).split(" | ")
    auc = merged["upsampling"]["ridge"]["added"]["auc"]
    assert ridge[1] == f"{auc:.3f} / {auc:.3f}"
    savgol = next(line for line in lines if line.startswith("| ridge+savgol |")).split(" | ")
    assert savgol[1].endswith(" / ")  # the row ood-test lacks stays blank there


def test_confident_failures_are_scored_per_motion_style_and_add_up_to_the_whole(clip_archive, tmp_path):
    out, table = tmp_path / "styles.json", tmp_path / "styles.md"
    assert main(["evaluate", "--out", str(out), "--table", str(table), "--quiet", f"data.root={clip_archive}",
                 f"data.cache_dir={tmp_path / 'cache'}", "data.split=all", "evaluate.rows=[ridge+savgol]",
                 "evaluate.tasks=[upsampling,hpe-confident]"]) == 0
    document = json.loads(out.read_text())
    results = document["results"]
    assert "by_style" not in results["upsampling"]["ridge+savgol"]  # only the tasks evaluate.by_style names
    scores = results["hpe-confident"]["ridge+savgol"]
    by_style = scores["by_style"]
    assert len(by_style) > 1 and all(style.startswith("dataset-1/") for style in by_style)
    assert sum(v["windows"] for v in by_style.values()) == document["windows"]
    # the styles' flipped entries are the whole's, and their repaired shares weigh up to the whole's
    flipped = {style: v for style, v in by_style.items() if "flips_correct" in v}
    entries = sum(v["flipped_entries"] for v in flipped.values())
    repaired = sum(v["flips_correct"] * v["flipped_entries"] for v in flipped.values()) / entries
    assert repaired == pytest.approx(scores["repair"]["flips_correct"])
    mean, worst, name = style_flips(by_style)
    counted = [v["flips_correct"] for v in flipped.values() if v["flipped_entries"] >= STYLE_MIN_FLIPS]
    assert worst == min(counted) and by_style[name]["flips_correct"] == worst and min(counted) <= mean
    assert "### hpe-confident: per motion style" in table.read_text()
    # where the pair's sides are apart: a part of the flipped entries, weighing up to the whole's the same way
    apart = {style: v for style, v in flipped.items() if "flips_correct_apart" in v}
    assert apart and all(v["flipped_apart"] <= v["flipped_entries"] for v in apart.values())
    entries = sum(v["flipped_apart"] for v in apart.values())
    repaired = sum(v["flips_correct_apart"] * v["flipped_apart"] for v in apart.values()) / entries
    assert repaired == pytest.approx(scores["repair"]["flips_correct_apart"])
    assert "where the sides are apart" in table.read_text()


def test_a_swap_counts_among_the_pairs_apart_only_where_its_sides_are_half_a_head_apart():
    import numpy as np

    from jumps_pl import skeleton
    from jumps_pl.evaluation.scoring import flips_correct, sides_apart

    target = np.zeros((1, 2, skeleton.NUM_JOINTS, 2))
    left, right = skeleton.INPUT_PAIRS[2]          # the wrists
    target[0, :, right, 0] = [10.0, 40.0]          # 10 px apart in frame 0, 40 px in frame 1
    head = np.full((1, 2), 60.0)                   # half a head: 30 px
    apart = sides_apart(target, head)
    assert apart.shape == (1, 2, len(skeleton.INPUT_PAIRS))
    assert not apart[0, 0, 2] and apart[0, 1, 2]
    flipped = np.zeros(apart.shape, bool)
    flipped[0, :, 2] = True
    pred = target.copy()
    pred[0, 0, left], pred[0, 0, right] = target[0, 0, right], target[0, 0, left]   # frame 0 left swapped
    assert flips_correct(pred, target, flipped) == 0.5
    assert flips_correct(pred, target, flipped & apart) == 1.0
