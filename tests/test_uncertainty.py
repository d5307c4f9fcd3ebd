"""How sure each joint is: `jumps calibrate` fits a per-method uncertainty, every writer carries it beside
the detector confidence, and `jumps render` draws it and compares two methods."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PIL import Image

from conftest import STREET_MEDIA
from jumps_pl.cli import main
from jumps_pl.uncertainty import _gap, load_calibrations

STREET = STREET_MEDIA / "alphapose-results.json"


@pytest.fixture(scope="module")
def calibration(clip_archive, tmp_path_factory):
    folder = tmp_path_factory.mktemp("calibration")
    out = folder / "calibration.yaml"
    assert main(["calibrate", "--out", str(out), "--windows", "16", "--methods", "ridge+gaussian,ridge",
                 "--check", "val", "--report", str(folder / "check.md"), f"data.root={clip_archive}",
                 f"data.cache_dir={folder / 'cache'}", "data.eval_stride=16"]) == 0
    return out


def test_calibration_is_fitted_per_method_and_checked(calibration):
    fitted = load_calibrations(calibration)
    assert set(fitted) == {"ridge+gaussian", "ridge"}
    for method in fitted.values():  # one fit per role of the joint
        assert set(method.by_role) == {"added", "observed", "missing"}
        for c in method.by_role.values():
            assert c.base.shape == (21,) and (c.base > 0).all() and c.k90 > 0
    report = json.loads(calibration.with_name("check.json").read_text())["results"]
    # fitted and checked on the same windows here: 90% of the errors within the 90% radius, by construction,
    # for every role (the added joints, and the input joints: observed and missing)
    for joint_set in ("all", "added", "input"):
        assert abs(report["ridge"][joint_set]["within_r90"] - 0.9) < 0.02, joint_set
    assert report["ridge"]["all"]["spearman"] > 0.2


def test_gap_counts_frames_to_the_nearest_observation():
    observed = np.zeros((10, 21), dtype=bool)
    observed[[0, 9], 0] = True
    observed[:, 1] = True
    gap = _gap(observed)
    assert gap[:, 0].tolist() == [0, 1, 2, 3, 4, 4, 3, 2, 1, 0]
    assert not gap[:, 1].any() and not gap[:, 5].any()  # always seen; never seen (an added joint)


@pytest.mark.street
@pytest.mark.parametrize("suffix", [".npz", ".json", ".csv"])
def test_every_writer_carries_the_uncertainty_beside_the_confidence(suffix, calibration, tmp_path):
    out = tmp_path / f"out{suffix}"
    assert main(["upsample", str(STREET), "--out", str(out), "--method", "ridge+gaussian", "--fps", "50", "--quiet",
                 f"upsample.calibration={calibration}"]) == 0
    if suffix == ".npz":
        with np.load(out) as data:
            radius, confidence = data["uncertainty_px"][0], data["confidence"][0]
        assert np.isfinite(radius).all() and (radius > 0).all() and confidence.max() > 0
    elif suffix == ".json":
        entry = next(e for e in json.loads(out.read_text()) if "jumps_uncertainty_px" in e)
        assert len(entry["jumps_uncertainty_px"]) == 21 and all(r > 0 for r in entry["jumps_uncertainty_px"])
        assert len(entry["jumps_keypoints"]) == 63  # x, y and the detector's confidence, as before
    else:
        with open(out) as handle:
            row = next(csv.DictReader(handle))
        assert float(row["Toes_L_u"]) > 0 and "Toes_L_c" in row


@pytest.mark.street
def test_render_draws_the_uncertainty_and_compares_two_methods(calibration, tmp_path):
    first, second = tmp_path / "gauss.npz", tmp_path / "ridge.npz"
    for out, method in ((first, "ridge+gaussian"), (second, "ridge")):
        assert main(["upsample", str(STREET), "--out", str(out), "--method", method, "--fps", "50", "--quiet",
                     f"upsample.calibration={calibration}"]) == 0
    plain, circles, both = tmp_path / "plain.gif", tmp_path / "circles.gif", tmp_path / "both.gif"
    assert main(["render", str(first), "--out", str(plain), "--width", "320"]) == 0
    assert main(["render", str(first), "--out", str(circles), "--width", "320", "--uncertainty"]) == 0
    assert main(["render", str(first), "--out", str(both), "--width", "320", "--compare", str(second)]) == 0
    a, b, c = (Image.open(p) for p in (plain, circles, both))
    assert c.size == (2 * a.size[0], a.size[1]) and a.n_frames == c.n_frames == 205
    assert np.asarray(a.convert("RGB")).tolist() != np.asarray(b.convert("RGB")).tolist()  # the circles drew
    no_radius = tmp_path / "none.npz"
    assert main(["upsample", str(STREET), "--out", str(no_radius), "--method", "ridge+savgol", "--fps", "50",
                 "--quiet", f"upsample.calibration={calibration}"]) == 0
    assert main(["render", str(no_radius), "--out", str(tmp_path / "x.gif"), "--uncertainty"]) == 2
