"""Model folders: `jumps export` round trip, clear errors for bad folders, no overwriting."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from conftest import REPO
from jumps_pl.methods.jumps.method import load_jumps as load_model


def test_export_round_trip_gives_the_same_generator(tiny_checkpoint, tmp_path):
    out = tmp_path / "model"
    result = subprocess.run([sys.executable, "-m", "jumps_pl.cli", "export", str(tiny_checkpoint), "--out", str(out)],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    original, config = load_model(tiny_checkpoint)
    exported, exported_config = load_model(out)
    z = torch.randn(2, *original.latent_shape)
    with torch.no_grad():
        torch.testing.assert_close(original.generator(z), exported.generator(z))
    assert exported_config["kind"] == "jumps" and exported_config["model"] == config["model"]
    again = subprocess.run([sys.executable, "-m", "jumps_pl.cli", "export", str(tiny_checkpoint), "--out", str(out)],
                           cwd=REPO, capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and "exists" in again.stderr


def test_bad_model_folders_are_named(tiny_checkpoint, tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    with pytest.raises(FileNotFoundError, match="config.yaml"):
        load_model(folder)
    (folder / "config.yaml").write_text("kind: jumps\nmodel: {}\n")
    with pytest.raises(FileNotFoundError, match="weights.pt"):
        load_model(folder)
    (folder / "config.yaml").write_text("kind: tensorflow\n")
    with pytest.raises(ValueError, match="field 'kind'"):
        load_model(folder)
    subprocess.run([sys.executable, "-m", "jumps_pl.cli", "export", str(tiny_checkpoint), "--out", str(tmp_path / "x")],
                   cwd=REPO, check=True, capture_output=True, timeout=300)
    (tmp_path / "x" / "weights.pt").write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="weights.pt: not a readable state_dict"):
        load_model(tmp_path / "x")
