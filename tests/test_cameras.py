import numpy as np
import torch

from jumps_pl.data.cameras import CameraRanges, head_size_px, look_at, project, sample_cameras, to_camera_frame

PROTOCOL = CameraRanges(yaw_deg=(0, 360), pitch_deg=(-5, 25), distance_m=(4, 8), focal_px=1000.0,
                        principal_px=(960.0, 540.0))


def _cameras(n: int, seed: int = 0) -> tuple[dict, np.ndarray]:
    targets = np.random.default_rng(99).normal(size=(n, 3)) + [0, 1, 0]
    arrays = sample_cameras(np.random.default_rng(seed), targets, PROTOCOL)
    return {k: torch.from_numpy(v) for k, v in arrays.items()}, targets


def test_a_point_on_the_optical_axis_lands_on_the_principal_point():
    camera, targets = _cameras(8)
    # The camera aims at the target, so the target and any point behind it on the axis project to (960, 540).
    centre = -np.einsum("bji,bj->bi", camera["R"].double().numpy(), camera["t"].double().numpy())
    behind = targets + 2.0 * (targets - centre) / np.linalg.norm(targets - centre, axis=1, keepdims=True)
    points = torch.from_numpy(np.stack([targets, behind], 1)).float()
    pixels = project(points, camera)
    assert torch.allclose(pixels, torch.tensor([960.0, 540.0]).expand_as(pixels), atol=1e-2)


def test_sampled_cameras_follow_the_protocol_ranges_and_the_seed():
    camera, targets = _cameras(500)
    depth = to_camera_frame(torch.from_numpy(targets).float()[:, None], camera)[:, 0, 2]
    assert depth.min() >= 4.0 - 1e-4 and depth.max() <= 8.0 + 1e-4
    forward = camera["R"][:, 2]  # the viewing direction in world coordinates
    pitch = torch.rad2deg(torch.asin(-forward[:, 1]))
    assert pitch.min() >= -5.0 - 1e-3 and pitch.max() <= 25.0 + 1e-3 and pitch.max() > 20
    assert torch.allclose(camera["R"][:, 0, 1], torch.zeros(500), atol=1e-6)  # no roll: x axis stays level
    again, _ = _cameras(500)
    assert all(torch.equal(camera[k], again[k]) for k in camera)


def test_positive_pitch_looks_down_so_higher_points_are_higher_in_the_image():
    rotation, translation = look_at(np.array([30.0]), np.array([20.0]), np.array([5.0]), np.array([[0.0, 1.0, 0.0]]))
    camera = {"R": torch.tensor(rotation).float(), "t": torch.tensor(translation).float(),
              "focal_px": torch.tensor([1000.0]), "principal_px": torch.tensor([[960.0, 540.0]])}
    head, feet = project(torch.tensor([[[0.0, 1.8, 0.0], [0.0, 0.0, 0.0]]]), camera)[0]
    assert head[1] < 540 < feet[1]  # image rows grow downwards
    centre = -rotation[0].T @ translation[0]
    assert centre[1] > 1.0  # looking down means the camera stands above the target


def test_head_size_is_focal_times_head_length_over_neck_depth():
    camera, targets = _cameras(4)
    neck = torch.from_numpy(targets).float()[:, None].repeat(1, 3, 1)
    neck[:, 1] += 0.5
    length = torch.tensor([0.2, 0.21, 0.19, 0.2])
    h = head_size_px(neck, length, camera)
    depth = to_camera_frame(neck, camera)[..., 2]
    assert h.shape == (4, 3)
    assert torch.allclose(h, 1000.0 * length[:, None] / depth)
    assert 20 < h.min() and h.max() < 60  # 0.2 m at 4-8 m with f = 1000 px
