"""Pinhole cameras of the protocol: seeded sampling, projection, head size.

World frame: the BVH's, Y up, metres. Camera frame (OpenCV): x right, y down, z forward, so pixel
rows grow downwards. A camera maps a world point p to ``R @ p + t``; pixels are
``focal * (x, y) / z + principal``. No roll; positive pitch looks down.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

WORLD_UP = np.array([0.0, 1.0, 0.0])


@dataclass(frozen=True)
class CameraRanges:
    """Uniform sampling ranges (degrees, metres) and intrinsics (pixels)."""

    yaw_deg: tuple[float, float]
    pitch_deg: tuple[float, float]
    distance_m: tuple[float, float]
    focal_px: float
    principal_px: tuple[float, float]


def look_at(yaw_deg: np.ndarray, pitch_deg: np.ndarray, distance_m: np.ndarray,
            target_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Extrinsics (R (B, 3, 3), t (B, 3)) of cameras aimed at ``target_m`` (B, 3) from ``distance_m``.

    Yaw turns the viewing direction around the vertical axis (0 looks along +Z); pitch tilts it down.
    """
    yaw, pitch = np.deg2rad(yaw_deg), np.deg2rad(pitch_deg)
    forward = np.stack([np.sin(yaw) * np.cos(pitch), -np.sin(pitch), np.cos(yaw) * np.cos(pitch)], -1)
    right = np.cross(forward, WORLD_UP)
    right /= np.linalg.norm(right, axis=-1, keepdims=True)
    down = np.cross(forward, right)
    rotation = np.stack([right, down, forward], axis=-2)
    centre = target_m - distance_m[:, None] * forward
    translation = -np.einsum("bij,bj->bi", rotation, centre)
    return rotation, translation


def sample_cameras(rng: np.random.Generator, target_m: np.ndarray, ranges: CameraRanges,
                   points_m: np.ndarray | None = None, min_depth_m: float = 0.0) -> dict[str, np.ndarray]:
    """One seeded camera per target (B, 3), as the arrays a batch carries under ``camera``.

    Draws yaw, pitch and distance per camera in that order, so a seed fixes every camera. Given the
    window's ``points_m`` (B, ..., 3), a camera closer than ``min_depth_m`` to any of them (a subject
    walking towards it) is moved back along its axis until it is not: without that, a point near the
    camera plane projects thousands of pixels away.
    """
    n = len(target_m)
    draws = rng.uniform(size=(n, 3))
    yaw = ranges.yaw_deg[0] + draws[:, 0] * (ranges.yaw_deg[1] - ranges.yaw_deg[0])
    pitch = ranges.pitch_deg[0] + draws[:, 1] * (ranges.pitch_deg[1] - ranges.pitch_deg[0])
    distance = ranges.distance_m[0] + draws[:, 2] * (ranges.distance_m[1] - ranges.distance_m[0])
    rotation, translation = look_at(yaw, pitch, distance, target_m)
    if points_m is not None and min_depth_m > 0:
        flat = np.asarray(points_m, dtype=np.float64).reshape(n, -1, 3)
        depth = np.einsum("bj,bpj->bp", rotation[:, 2], flat) + translation[:, 2:3]
        translation[:, 2] += np.maximum(0.0, min_depth_m - depth.min(axis=1))
    return {
        "R": rotation.astype(np.float32),
        "t": translation.astype(np.float32),
        "focal_px": np.full(n, ranges.focal_px, dtype=np.float32),
        "principal_px": np.tile(np.asarray(ranges.principal_px, dtype=np.float32), (n, 1)),
    }


def to_camera_frame(points_m: torch.Tensor, camera: dict[str, torch.Tensor]) -> torch.Tensor:
    """World points (B, ..., 3) to camera coordinates (B, ..., 3)."""
    batch = points_m.shape[0]
    flat = points_m.reshape(batch, -1, 3)
    cam = flat @ camera["R"].transpose(1, 2) + camera["t"][:, None, :]
    return cam.reshape(points_m.shape)


def project(points_m: torch.Tensor, camera: dict[str, torch.Tensor]) -> torch.Tensor:
    """Pinhole projection of world points (B, ..., 3) to pixels (B, ..., 2)."""
    cam = to_camera_frame(points_m, camera)
    shape = (points_m.shape[0],) + (1,) * (points_m.dim() - 2)
    focal = camera["focal_px"].reshape(shape + (1,))
    principal = camera["principal_px"].reshape(shape + (2,))
    return focal * cam[..., :2] / cam[..., 2:3] + principal


def head_size_px(neck_m: torch.Tensor, head_length_m: torch.Tensor, camera: dict[str, torch.Tensor]) -> torch.Tensor:
    """Per-frame head size h(t) = f * L_head / Z_neck(t), pixels (B, T), from the Neck (B, T, 3)."""
    depth = to_camera_frame(neck_m, camera)[..., 2]
    return camera["focal_px"][:, None] * head_length_m[:, None] / depth
