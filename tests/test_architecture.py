"""The package as a library: no side effects at import, one registry of methods, installed-style
resources, and the library object running the same pipeline as the command line."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, STREET_MEDIA

STREET = STREET_MEDIA / "alphapose-results.json"


def test_importing_every_module_keeps_the_plotting_backend_and_leaves_wandb_out():
    code = """
import importlib, pkgutil, sys
import matplotlib
matplotlib.use("svg")
import jumps_pl
names = [m.name for m in pkgutil.walk_packages(jumps_pl.__path__, "jumps_pl.")]
for name in names:
    importlib.import_module(name)
assert matplotlib.get_backend() == "svg", matplotlib.get_backend()
assert "wandb" not in sys.modules, "wandb imported"
print(len(names))
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout) > 30


def test_the_package_draws_with_matplotlibs_object_api_only():
    """torchmetrics may import pyplot; our own code neither imports it nor switches the backend."""
    for path in (REPO / "jumps_pl").rglob("*.py"):
        code = [line for line in path.read_text().splitlines() if line.lstrip().startswith(("import", "from"))]
        assert not any("pyplot" in line for line in code), path
        assert "matplotlib.use(" not in path.read_text(), path


def test_the_registry_is_what_the_command_line_lists_and_validates(capsys):
    from jumps_pl.cli import main
    from jumps_pl.errors import OptionError
    from jumps_pl.methods import all_methods, resolve_method

    assert main(["methods"]) == 0
    listed = capsys.readouterr().out
    registry = all_methods()
    assert all(name in listed and cls.slug in listed for name, cls in registry.items())
    assert {"JUMPS", "ridge", "ridge+savgol", "ridge+one-euro", "ridge+gaussian", "masked-conv-ae"} <= set(registry)
    try:
        resolve_method("ridge+savgl", "upsample.method")
    except OptionError as err:
        assert "did you mean 'ridge+savgol'" in str(err) and err.option == "upsample.method"
    else:
        raise AssertionError("an unknown name passed")


def test_the_light_table_of_names_is_what_the_families_register():
    """``catalog.py`` (read without importing a family) and the classes registered where they are defined."""
    from jumps_pl.methods import CATALOG, all_methods
    from jumps_pl.methods.registry import METHODS

    registry = all_methods()
    assert list(registry) == [entry.name for entry in CATALOG]
    assert set(METHODS) == set(registry)  # no family registers a method the table lacks
    for entry in CATALOG:
        cls = registry[entry.name]
        assert (cls.slug, cls.__module__.split(".")[2]) == (entry.slug, entry.family)


def test_methods_are_found_by_slug_or_name_in_any_case():
    from jumps_pl.methods import all_methods, resolve_method

    assert resolve_method("jumps-fusion") == resolve_method("JUMPS + fusion") == "JUMPS + fusion"
    assert resolve_method("Ridge-SavGol") == resolve_method("RIDGE+SAVGOL") == "ridge+savgol"
    assert resolve_method("jumps") == resolve_method("Jumps") == "JUMPS"
    registry = all_methods()
    assert all(resolve_method(cls.slug) == name for name, cls in registry.items())
    assert len({cls.slug for cls in registry.values()}) == len(registry)


def test_train_baseline_choices_are_the_training_registry():
    from jumps_pl.cli import main
    from jumps_pl.methods import trainable
    from jumps_pl.methods.catalog import TRAINABLES
    from jumps_pl.methods.registry import TRAINABLE

    assert set(TRAINABLES) == {"ridge", "masked-conv-ae", "flip-detector"}
    assert all(trainable(name).name == name for name in TRAINABLES) and set(TRAINABLE) == set(TRAINABLES)
    try:
        main(["train-baseline", "not-a-model"])
    except SystemExit as stop:
        assert stop.code == 2
    else:
        raise AssertionError("an unknown trainable passed")


def test_loading_and_running_a_method_imports_neither_lightning_nor_wandb_nor_matplotlib():
    code = """
import sys
import numpy as np
import jumps_pl
for name in ("JUMPS + fusion", "JUMPS", "masked-conv-ae", "ridge+savgol"):
    up = jumps_pl.Upsampler(method=name, fps=30, iterations=2, starts=2)
    out = up.upsample(np.random.default_rng(0).random((40, 12, 2)) * 100 + 500)
    assert out.shape == (40, 21, 2)
import jumps_pl.cli
heavy = [m for m in ("pytorch_lightning", "lightning", "lightning_fabric", "wandb", "matplotlib") if m in sys.modules]
assert not heavy, heavy
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


def test_version_is_the_package_metadata(capsys):
    from importlib import metadata

    from jumps_pl.cli import main

    try:
        main(["--version"])
    except SystemExit as done:
        assert done.code == 0
    assert capsys.readouterr().out.strip() == f"jumps {metadata.version('jumps-pl')}"


def test_shipped_files_are_package_resources_and_the_environment_overrides_them(tmp_path, monkeypatch):
    from jumps_pl.config import DEFAULT_CONFIG
    from jumps_pl.model_folders import model_path, pretrained_dir

    assert DEFAULT_CONFIG.is_file() and DEFAULT_CONFIG.parent.parent.name == "jumps_pl"
    assert (pretrained_dir() / "jumps-default" / "weights.pt").is_file()
    assert model_path({"jumps": "jumps-no-encoder"}, "jumps") == pretrained_dir() / "jumps-no-encoder"
    # the prior that reads noisy windows is the shipped one beside the shipped default, and one's own prior
    # where models.jumps names one and models.jumps_noisy does not
    assert model_path({}, "jumps_noisy") == pretrained_dir() / "jumps-noisy"
    assert model_path({"jumps": str(tmp_path / "mine")}, "jumps_noisy") == tmp_path / "mine"
    assert model_path({"jumps": str(tmp_path / "mine"), "jumps_noisy": "jumps-default"},
                      "jumps_noisy") == pretrained_dir() / "jumps-default"
    # so for the infill net that reads noisy windows
    assert model_path({}, "masked_conv_ae_noisy") == pretrained_dir() / "masked-conv-ae-noisy"
    assert model_path({"masked_conv_ae": str(tmp_path / "mine")}, "masked_conv_ae_noisy") == tmp_path / "mine"
    monkeypatch.setenv("JUMPS_MODELS_DIR", str(tmp_path))
    assert model_path({}, "ridge") == tmp_path / "ridge"


@pytest.mark.street
def test_the_library_gates_and_resamples_exactly_as_the_command_line(tmp_path):
    """One track of the street detections through `jumps upsample` and through Upsampler.upsample on
    the same array (NaN where not detected, the detector's confidences, 50 fps) give the same joints."""
    import jumps_pl
    from jumps_pl.cli import main
    from jumps_pl.io.formats import read_poses

    out = tmp_path / "cli.npz"
    assert main(["upsample", str(STREET), "--out", str(out), "--method", "ridge+savgol", "--fps", "50",
                 "--quiet"]) == 0
    track = read_poses(STREET).tracks[0]
    first, last = int(track.frames[0]), int(track.frames[-1])
    poses = np.full((last - first + 1, 12, 2), np.nan)
    confidence = np.zeros(poses.shape[:2])
    poses[track.frames - first], confidence[track.frames - first] = track.keypoints, track.confidence
    library = jumps_pl.Upsampler(method="ridge+savgol", fps=50).upsample(poses, confidence=confidence)
    with np.load(out) as data:
        written = data["keypoints"][0][np.isin(data["frames"], np.arange(first, last + 1))]
    np.testing.assert_allclose(library, written, atol=1e-3)
    assert library.shape == (last - first + 1, 21, 2)


def test_a_model_folder_two_settings_name_is_loaded_once():
    """``models.jumps_noisy`` naming the folder ``models.jumps`` names: one model in memory, shared."""
    from jumps_pl.config import load_config, to_container
    from jumps_pl.methods.base import Loader
    from jumps_pl.methods.jumps.method import load_jumps

    loader = Loader(to_container(load_config(overrides=["models.jumps_noisy=jumps-default"])))
    assert loader.model("jumps", load_jumps) is loader.model("jumps_noisy", load_jumps)
    apart = Loader(to_container(load_config()))
    assert apart.model("jumps", load_jumps) is not apart.model("jumps_noisy", load_jumps)
