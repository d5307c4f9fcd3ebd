"""The skeleton sheet (``render.draw_sequences``), the PNG writer, the PCKh plot, and that importing the
drawing and plotting modules leaves matplotlib's backend alone."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image
from test_io import street_entries

from conftest import REPO
from jumps_pl import skeleton
from jumps_pl.drawing import COLOURS
from jumps_pl.render import draw_sequences, save_png


def street_poses() -> np.ndarray:
    """(205, 21, 2) px: the street detections' 12 joints, the added ones placed between them."""
    coco = np.stack([np.asarray(e["keypoints"]).reshape(17, 3)[:, :2] for e in street_entries()])
    pose = np.full((len(coco), skeleton.NUM_JOINTS, 2), np.nan)
    pose[:, skeleton.INPUT_INDICES] = coco[:, 5:17]
    hips, neck = coco[:, 11:13].mean(1), coco[:, 5:7].mean(1)
    placed = {"Hips": hips, "Spine": hips + (neck - hips) / 3, "Chest": hips + 2 * (neck - hips) / 3, "Neck": neck,
              "Head": coco[:, 0], "Shoulder_L": (neck + coco[:, 5]) / 2, "Shoulder_R": (neck + coco[:, 6]) / 2,
              "Toes_L": coco[:, 15] + [0.0, 15.0], "Toes_R": coco[:, 16] + [0.0, 15.0]}
    for name, value in placed.items():
        pose[:, skeleton.joint_index(name)] = value
    return pose


def pixels_of(image: np.ndarray, colour: tuple[int, int, int]) -> int:
    return int((image == np.asarray(colour, dtype=np.uint8)).all(axis=-1).sum())


@pytest.mark.street
def test_draw_sequences_is_a_grid_with_left_blue_and_right_red_limbs():
    pose = street_poses()
    missing_hand = pose.copy()
    missing_hand[:, skeleton.joint_index("Hand_L")] = np.nan  # NaN joints are left out, not drawn at (0, 0)
    image = draw_sequences({"ground truth": pose, "no left hand": missing_hand, "empty": np.full_like(pose, np.nan)},
                           frames=4)
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert image.shape[0] > 3 * 200 and image.shape[1] > 4 * 160  # 3 rows and a colour key; 4 cells and a label
    rows = [image[r * 200:(r + 1) * 200] for r in range(3)]
    assert pixels_of(rows[0], COLOURS["left"]) > 200 and pixels_of(rows[0], COLOURS["right"]) > 200
    assert pixels_of(rows[1], COLOURS["left"]) < pixels_of(rows[0], COLOURS["left"])  # one left bone fewer
    assert pixels_of(rows[2], COLOURS["left"]) == pixels_of(rows[2], COLOURS["right"]) == 0
    # the actor's left is blue: seen from behind in frame 0, her left limbs are on the image's left
    label = image.shape[1] - 4 * 160
    cell = image[:200, label:label + 160]
    blue = np.nonzero((cell == COLOURS["left"]).all(axis=-1))[1]
    red = np.nonzero((cell == COLOURS["right"]).all(axis=-1))[1]
    assert blue.mean() < red.mean() - 5


@pytest.mark.street
def test_save_png_writes_the_image_atomically(tmp_path):
    image = draw_sequences({"ground truth": street_poses()}, frames=2)
    path = save_png(tmp_path / "sheet.png", image)
    np.testing.assert_array_equal(np.asarray(Image.open(path).convert("RGB")), image)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sheet.png"]  # no temporary file left


def test_importing_drawing_and_plots_keeps_the_matplotlib_backend(tmp_path):
    curves = json.dumps({"JUMPS": np.linspace(0, 1, 101).tolist(), "ridge": np.linspace(0, 0.8, 101).tolist()})
    script = textwrap.dedent(f"""
        import sys
        import matplotlib
        matplotlib.use("svg")
        import jumps_pl.render, jumps_pl.plots, jumps_pl.drawing, jumps_pl.io.video
        image = jumps_pl.plots.plot_pckh_curves({curves}, "upsampling, added joints")
        assert image.shape[2] == 3 and image.dtype.name == "uint8" and image.std() > 0
        assert jumps_pl.render.plot_pckh_curves is jumps_pl.plots.plot_pckh_curves
        print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["svg", "False"]
