"""Many files in one `jumps upsample`: folders and globs, one output each, resuming, a broken file named in
the summary, and two worker processes; on the shipped sample (no corpus needed)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import SAMPLE
from jumps_pl.cli import main


@pytest.fixture
def inputs(tmp_path):
    """Three real files cut from the sample (AlphaPose JSON, .npy, .csv) and one broken JSON, in one folder."""
    folder = tmp_path / "in"
    folder.mkdir()
    entries = json.loads(SAMPLE.read_text())
    (folder / "first.json").write_text(json.dumps(entries[:150]))
    rows = np.array([e["keypoints"] for e in entries[150:]]).reshape(-1, 17, 3)
    rows[rows[..., 2] == 0, :2] = np.nan
    np.save(folder / "second.npy", rows)
    names = ["left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
             "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"]
    header = ",".join(f"{n}_{a}" for n in names for a in "xyc")
    body = "\n".join(",".join("" if np.isnan(v) else f"{v:.2f}" for v in row[5:].ravel()) for row in rows[:80])
    (folder / "third.csv").write_text(header + "\n" + body + "\n")
    (folder / "broken.json").write_text('[{"image_id": "0.jpg", "keypoints": [1, 2')
    return folder


def test_a_folder_upsamples_into_one_output_each_and_names_the_broken_file(inputs, tmp_path, capsys):
    out = tmp_path / "out"
    status = main(["upsample", str(inputs), "--out-dir", str(out), "--fps", "30", "--method", "ridge-savgol",
                   "--workers", "2"])
    printed = capsys.readouterr().out
    assert status == 1  # one file failed, the others were written
    assert sorted(p.name for p in out.iterdir()) == ["first.npz", "second.npz", "third.npz"]
    assert "3 file(s) done, 0 skipped" in printed and "1 failed" in printed
    assert "failed: " in printed and "broken.json" in printed and "malformed JSON" in printed
    assert "380 frames" in printed  # 150 + 150 + 80
    with np.load(out / "second.npz") as second:
        assert second["keypoints"].shape == (1, 150, 21, 2)


def test_an_interrupted_batch_resumes_and_overwrite_redoes_it(inputs, tmp_path, capsys):
    out = tmp_path / "out"
    (inputs / "broken.json").unlink()
    assert main(["upsample", str(inputs / "*.json"), "--out-dir", str(out), "--fps", "30", "--method", "ridge"]) == 0
    assert [p.name for p in out.iterdir()] == ["first.npz"]
    before = (out / "first.npz").stat().st_mtime_ns
    capsys.readouterr()
    assert main(["upsample", str(inputs), "--out-dir", str(out), "--fps", "30", "--method", "ridge"]) == 0
    assert "2 file(s) done, 1 skipped" in capsys.readouterr().out
    assert (out / "first.npz").stat().st_mtime_ns == before
    assert main(["upsample", str(inputs), "--out-dir", str(out), "--fps", "30", "--method", "ridge",
                 "--overwrite"]) == 0
    assert "3 file(s) done, 0 skipped" in capsys.readouterr().out


def test_several_inputs_need_an_output_folder_and_nothing_is_written_otherwise(inputs, tmp_path, capsys):
    out = tmp_path / "one.npz"
    assert main(["upsample", str(inputs / "first.json"), str(inputs / "second.npy"), "--out", str(out)]) == 2
    assert "--out-dir" in capsys.readouterr().err and not out.exists()
    assert main(["upsample", str(inputs / "nothing-*.json"), "--out-dir", str(tmp_path / "o")]) == 2
    assert "no file matches" in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_settings_may_follow_the_inputs_before_the_options(inputs, tmp_path):
    """`jumps upsample IN key=value --out OUT`: argparse hands the setting to the inputs; it is a setting."""
    common = ["--fps", "30", "--method", "ridge", "--quiet"]
    first = str(inputs / "first.json")
    assert main(["upsample", first, "upsample.min_confidence=0.7", "--out", str(tmp_path / "a.npz"), *common]) == 0
    assert main(["upsample", first, "--out", str(tmp_path / "b.npz"), *common, "upsample.min_confidence=0.7"]) == 0
    assert main(["upsample", first, "--out", str(tmp_path / "c.npz"), *common]) == 0
    with np.load(tmp_path / "a.npz") as a, np.load(tmp_path / "b.npz") as b, np.load(tmp_path / "c.npz") as c:
        np.testing.assert_array_equal(a["observed"], b["observed"])
        assert a["observed"].sum() < c["observed"].sum()  # the stricter gate took effect


@pytest.mark.slow
def test_two_cpu_processes_through_lightning_split_the_files_and_one_summary_names_the_broken_one(inputs, tmp_path):
    """`--devices 2`: Trainer.predict with DDP over gloo, each process upsampling its share with the default
    method; rank 0 alone prints the summary, and each output is the one a plain run writes."""
    import subprocess
    import sys

    out = tmp_path / "out"
    command = [sys.executable, "-m", "jumps_pl.cli", "upsample", str(inputs), "--out-dir", str(out), "--fps", "30",
               "--devices", "2"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    printed = result.stdout + result.stderr
    assert result.returncode == 1, printed[-3000:]  # one file failed, the others were written
    assert "distributed_backend=gloo" in printed and "Starting with 2 processes" in printed
    assert result.stdout.count("file(s) done") == 1 and "3 file(s) done, 0 skipped" in result.stdout
    assert "1 failed" in result.stdout and "broken.json" in result.stdout and "380 frames" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["first.npz", "second.npz", "third.npz"]
    assert main(["upsample", str(inputs / "third.csv"), "--out", str(tmp_path / "plain.npz"), "--fps", "30",
                 "--quiet"]) == 0
    with np.load(out / "third.npz") as spread, np.load(tmp_path / "plain.npz") as plain:
        np.testing.assert_allclose(spread["keypoints"], plain["keypoints"], atol=0.05)
