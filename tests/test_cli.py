import os
import subprocess
import sys

from conftest import REPO


def _jumps(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "jumps_pl.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def test_data_stats_end_to_end(clip_archive, tmp_path):
    result = _jumps("data-stats", f"data.root={clip_archive}", f"data.cache_dir={tmp_path}", "data.bench_windows=4")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[3:]}
    assert int(rows["total"][0]) == 40
    assert sum(int(rows[s][0]) for s in ("train", "val", "test")) == 40
    assert int(rows["test-bench"][2]) == 4


def test_data_root_from_the_environment(clip_folder, tmp_path):
    result = _jumps("data-stats", f"data.cache_dir={tmp_path}", "data.bench_windows=1",
                    env_extra={"JUMPS_DATA_ROOT": str(clip_folder)})
    assert result.returncode == 0, result.stderr
    assert f"data root: {clip_folder}" in result.stdout


def test_bad_settings_exit_non_zero_with_the_key_named(tmp_path):
    unknown = _jumps("data-stats", "data.no_such_key=3")
    assert unknown.returncode == 2 and "data.no_such_key" in unknown.stderr
    missing = _jumps("data-stats", f"data.root={tmp_path / 'nowhere'}")
    assert missing.returncode == 2 and "nowhere does not exist" in missing.stderr
    assert "Traceback" not in unknown.stderr + missing.stderr
