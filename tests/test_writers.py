"""What `jumps upsample` writes, on the shipped sample: every field by name, in every output kind, and
`jumps render`'s picture of it (no corpus needed)."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PIL import Image

from conftest import SAMPLE
from jumps_pl import skeleton
from jumps_pl.cli import main
from jumps_pl.prediction import REPAIR_LABELS, RepairCode


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The default method's output of the sample as .npz, .json and .csv."""
    folder = tmp_path_factory.mktemp("written")
    for suffix in ("npz", "json", "csv"):
        assert main(["upsample", str(SAMPLE), "--out", str(folder / f"walk.{suffix}"), "--fps", "30", "--quiet"]) == 0
    return folder


def test_npz_names_every_array_and_the_repairs_of_the_confident_failures(written):
    truth = np.load(SAMPLE.parent / "walk-ground-truth.npz")
    with np.load(written / "walk.npz") as out:
        assert str(out["method"]) == "JUMPS + fusion" and list(out["joint_names"]) == list(skeleton.HIGH_RES_JOINTS)
        assert out["keypoints"].shape == (1, 300, 21, 2) and list(out["repair_codes"]) == list(REPAIR_LABELS)
        repair = out["repair"][0]
        # the sample's flips: most flipped entries relabelled, few entries relabelled where nothing flipped
        flipped = np.zeros(repair.shape, dtype=bool)
        for k, (left, right) in enumerate(skeleton.INPUT_PAIRS):
            flipped[:, [left, right]] |= truth["flipped"][:, k, None]
        relabelled = repair == RepairCode.RELABELLED
        assert relabelled[flipped].mean() > 0.5 and relabelled[~flipped].mean() < 0.05
        # an input joint the detector did not give is NaN in input_keypoints, never (0, 0)
        assert np.isnan(out["input_keypoints"][0]).any() and not (out["input_keypoints"][0] == 0).all(-1).any()
        error = np.linalg.norm(out["keypoints"][0] - truth["keypoints_px"], axis=-1) / truth["head_size_px"][:, None]
        assert np.median(error) < 0.5  # within half a head size for most joints


def test_json_extends_each_detector_entry_and_csv_has_a_row_per_frame(written):
    entries = json.loads((written / "walk.json").read_text())
    assert len(entries) == 300 and all(len(e["jumps_keypoints"]) == 63 for e in entries)
    assert {e["jumps_method"] for e in entries} == {"JUMPS + fusion"}
    assert entries[0]["jumps_repair_codes"] == list(REPAIR_LABELS) and len(entries[0]["jumps_repair"]) == 21
    with open(written / "walk.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == 301 and rows[0][:4] == ["frame", "track", "detected", "Hips_x"]
    np.testing.assert_allclose([float(rows[1][3]), float(rows[1][4])],
                               [p[0] for p in np.asarray(entries[0]["jumps_keypoints"]).reshape(21, 3)[:1, :2].T],
                               atol=0.01)


def test_render_draws_a_picture_with_a_key_and_a_video_of_every_frame(written, tmp_path):
    assert main(["render", str(written / "walk.npz"), "--out", str(tmp_path / "walk.png"), "--repairs"]) == 0
    image = np.asarray(Image.open(tmp_path / "walk.png").convert("RGB"))
    assert image.shape[1] == 3 * 320 and (image == (40, 110, 230)).all(-1).any()  # left bones blue
    assert (image == (220, 0, 220)).all(-1).any()  # a relabelled joint's ring, and the key's swatch
    assert main(["render", str(written / "walk.npz"), "--out", str(tmp_path / "walk.gif"), "--width", "200"]) == 0
    with Image.open(tmp_path / "walk.gif") as gif:
        assert gif.n_frames == 300
