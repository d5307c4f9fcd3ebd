"""The mannequin renderer: the figure where its joints project, a seed that fixes the look, crops that map back."""
from __future__ import annotations

import numpy as np
import torch

from jumps_pl import skeleton
from jumps_pl.data.cameras import project
from jumps_pl.mannequin import Look, Mannequin, View, floor_height

SAMPLE_TRUTH = "data/sample/walk-ground-truth.npz"


def _walk_window(frames: int = 16) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A standing figure 1.7 m tall walking 1 m along x, and a protocol camera 5 m away looking along +Z."""
    from jumps_pl.data.cameras import look_at

    rest = np.zeros((skeleton.NUM_JOINTS, 3))
    heights = {"Hips": 0.95, "Spine": 1.1, "Chest": 1.3, "Neck": 1.5, "Head": 1.6, "UpperLeg_L": 0.9,
               "UpperLeg_R": 0.9, "LowerLeg_L": 0.5, "LowerLeg_R": 0.5, "Foot_L": 0.08, "Foot_R": 0.08,
               "Toes_L": 0.03, "Toes_R": 0.03, "Shoulder_L": 1.42, "Shoulder_R": 1.42, "UpperArm_L": 1.42,
               "UpperArm_R": 1.42, "LowerArm_L": 1.15, "LowerArm_R": 1.15, "Hand_L": 0.9, "Hand_R": 0.9}
    for name, y in heights.items():
        side = 0.0 if not name.endswith(("_L", "_R")) else (1 if name.endswith("_L") else -1)
        width = 0.2 if name.startswith(("Upper", "Lower", "Hand", "Shoulder")) and "Leg" not in name else 0.1
        rest[skeleton.joint_index(name)] = (side * width, y, 0.1 if name.startswith("Toes") else 0.0)
    window = rest[None] + np.linspace(0, 1, frames)[:, None, None] * np.array([1.0, 0, 0])
    rotation, translation = look_at(np.array([180.0]), np.array([10.0]), np.array([5.0]),
                                    window[:, skeleton.ROOT].mean(0)[None])
    camera = {"R": rotation[0], "t": translation[0], "focal_px": np.float64(1000.0),
              "principal_px": np.array([960.0, 540.0])}
    return window, camera


def test_crop_maps_back_to_the_protocol_frame():
    window, camera = _walk_window()
    view = View.framing(camera, window)
    full = project(torch.as_tensor(window)[None], {k: torch.as_tensor(np.asarray(v))[None] for k, v in camera.items()})
    np.testing.assert_allclose(view.to_full_frame(view.project(window)), full[0].numpy(), atol=1e-6)
    crop = view.project(window)
    assert (crop >= 0).all() and (crop[..., 0] < 640).all() and (crop[..., 1] < 480).all()  # framed at every frame


def test_the_figure_is_drawn_where_its_joints_project_and_a_seed_fixes_the_look():
    window, camera = _walk_window()
    view = View.framing(camera, window)
    look = Look.draw(np.random.default_rng(3))
    figure = Mannequin(view, look, floor_height(window))
    frame = figure.render(window[5])
    empty = Mannequin(view, look, floor_height(window))._background
    assert frame.shape == (480, 640, 3) and frame.dtype == np.uint8
    changed = np.abs(frame.astype(float) / 255 - empty).max(-1) > 0.02
    for joint in ("Hips", "Chest", "Head", "LowerLeg_L", "LowerArm_R"):
        x, y = np.round(view.project(window[5, skeleton.joint_index(joint)])).astype(int)
        assert changed[y, x], joint
    assert changed.mean() < 0.3   # a figure, not the whole image
    np.testing.assert_array_equal(frame, Mannequin(view, Look.draw(np.random.default_rng(3)),
                                                   floor_height(window)).render(window[5]))
    other = Mannequin(view, Look.draw(np.random.default_rng(4)), floor_height(window)).render(window[5])
    assert np.abs(other.astype(int) - frame).mean() > 5


def test_a_joint_behind_the_camera_draws_nothing_and_does_not_fail():
    window, camera = _walk_window()
    view = View.framing(camera, window)
    figure = Mannequin(view, Look.draw(np.random.default_rng(0)))
    behind = window[0] - 20 * np.asarray(camera["R"])[2]   # 20 m back along the optical axis
    frame = figure.render(behind)
    np.testing.assert_array_equal(frame, (np.clip(figure._background, 0, 1) * 255 + 0.5).astype(np.uint8))
