"""A shaded mannequin: mocap joint positions to video frames, with numpy only.

The figure is made of capsules and spheres ray-cast per pixel, inside each shape's screen box: a torso,
limbs in a shirt and trousers, skin-coloured forearms, hands and head, eyes and a nose on the face, hair on
the back of the head, shoes. It stands on a checker floor under a sky gradient, lit by one directional
light. A :class:`Look` (colours, floor, light) is drawn from a seed, so a seed reproduces a video.

Cameras are the protocol's (``jumps_pl.data.cameras``: world Y up in metres, OpenCV camera frame) seen
through a crop: :class:`View` zooms a ``size`` image onto the figure's box over the whole window, as a
top-down pose pipeline crops a person box, so the figure fills the image at any camera distance.
:meth:`View.to_full_frame` maps the crop's pixels back to the full frame the protocol scores in.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jumps_pl import skeleton

_J = skeleton.joint_index
# (from joint, to joint, radius in metres, part); "hand" and "head" shapes are placed from the joints below
_CAPSULES = (
    ("Hips", "Spine", 0.125, "shirt"), ("Spine", "Chest", 0.13, "shirt"), ("Chest", "Neck", 0.11, "shirt"),
    ("UpperArm_L", "UpperArm_R", 0.07, "shirt"), ("UpperLeg_L", "UpperLeg_R", 0.095, "trousers"),
    ("Neck", "Head", 0.05, "skin"),
    ("UpperArm_L", "LowerArm_L", 0.05, "shirt"), ("UpperArm_R", "LowerArm_R", 0.05, "shirt"),
    ("LowerArm_L", "Hand_L", 0.04, "skin"), ("LowerArm_R", "Hand_R", 0.04, "skin"),
    ("UpperLeg_L", "LowerLeg_L", 0.075, "trousers"), ("UpperLeg_R", "LowerLeg_R", 0.075, "trousers"),
    ("LowerLeg_L", "Foot_L", 0.055, "trousers"), ("LowerLeg_R", "Foot_R", 0.055, "trousers"),
    ("Foot_L", "Toes_L", 0.045, "shoes"), ("Foot_R", "Toes_R", 0.045, "shoes"),
)
_HEAD_RADIUS_M, _HAND_LENGTH_M, _HAND_RADIUS_M = 0.105, 0.08, 0.035
_PARTS = ("skin", "shirt", "trousers", "shoes", "hair", "eyes")


@dataclass(frozen=True)
class Look:
    """What the scene looks like: RGB colours in [0, 1] per part, the floor, the sky and the light."""

    colours: dict[str, np.ndarray]
    floor: tuple[np.ndarray, np.ndarray]
    checker_m: float
    sky: tuple[np.ndarray, np.ndarray]
    light: np.ndarray   # unit vector towards the light, world frame
    ambient: float

    @classmethod
    def draw(cls, rng: np.random.Generator) -> Look:
        """A random look: clothing, skin and floor colours, checker size, light direction and strength."""
        skin = np.array([0.93, 0.78, 0.65]) * rng.uniform(0.45, 1.0)
        colours = {
            "skin": skin,
            "shirt": rng.uniform(0.05, 0.95, 3),
            "trousers": rng.uniform(0.05, 0.8, 3),
            "shoes": rng.uniform(0.02, 0.5, 3),
            "hair": np.array([0.25, 0.17, 0.1]) * rng.uniform(0.2, 1.6),
            "eyes": np.array([0.08, 0.06, 0.06]),
        }
        base = rng.uniform(0.25, 0.85, 3)
        floor = (base, base * rng.uniform(0.55, 0.85))
        sky_top = rng.uniform(0.45, 0.95, 3)
        sky = (sky_top, np.clip(sky_top * rng.uniform(0.7, 1.2), 0, 1))
        elevation, azimuth = rng.uniform(np.deg2rad(25), np.deg2rad(80)), rng.uniform(0, 2 * np.pi)
        light = np.array([np.cos(elevation) * np.sin(azimuth), np.sin(elevation), np.cos(elevation) * np.cos(azimuth)])
        return cls(colours, floor, float(rng.uniform(0.4, 1.0)), sky, light, float(rng.uniform(0.25, 0.5)))


@dataclass(frozen=True)
class View:
    """A protocol camera (``R`` (3, 3), ``t`` (3,), ``focal_px``, ``principal_px`` (2,)) seen through a zoomed crop.

    The crop is ``size`` = (width, height) pixels centred on ``centre_px`` of the full frame, magnified by
    ``zoom``: crop pixel = zoom * (full-frame pixel - centre) + size / 2.
    """

    R: np.ndarray
    t: np.ndarray
    focal_px: float
    principal_px: np.ndarray
    size: tuple[int, int] = (640, 480)
    zoom: float = 1.0
    centre_px: np.ndarray | None = None   # the crop's centre in the full frame; None: the principal point

    @property
    def _centre(self) -> np.ndarray:
        return self.principal_px if self.centre_px is None else np.asarray(self.centre_px, np.float64)

    @property
    def crop_principal_px(self) -> np.ndarray:
        """Where the optical axis meets the crop, in crop pixels."""
        return self.zoom * (self.principal_px - self._centre) + np.array(self.size) / 2

    @classmethod
    def framing(cls, camera: dict[str, np.ndarray], points_m: np.ndarray, size: tuple[int, int] = (640, 480),
                fill: float = 0.6, margin: float = 0.05) -> View:
        """The crop of ``camera`` that frames the figure over all of ``points_m`` (T, J, 3).

        Its median height is ``fill`` of the image unless the figure then leaves the image at some frame:
        the crop then widens so that every point stays ``margin`` of the image inside it.
        """
        R, t = np.asarray(camera["R"], np.float64), np.asarray(camera["t"], np.float64)
        focal, principal = float(camera["focal_px"]), np.asarray(camera["principal_px"], np.float64)
        cam = points_m @ R.T + t
        pixels = focal * cam[..., :2] / cam[..., 2:3] + principal
        height = np.median(pixels[..., 1].max(-1) - pixels[..., 1].min(-1))
        low, high = pixels.reshape(-1, 2).min(0), pixels.reshape(-1, 2).max(0)
        pad = 0.25 * height   # the head above the Head joint, hands and feet beyond theirs
        low, high = low - pad, high + pad
        fits = (1 - 2 * margin) * np.array(size) / np.maximum(high - low, 1.0)
        zoom = min(fill * size[1] / max(height, 1.0), *fits)
        return cls(R, t, focal, principal, size, float(zoom), (low + high) / 2)

    def to_full_frame(self, crop_px: np.ndarray) -> np.ndarray:
        """Crop pixels (..., 2) to the full frame's."""
        return (np.asarray(crop_px, np.float64) - np.array(self.size) / 2) / self.zoom + self._centre

    def project(self, points_m: np.ndarray) -> np.ndarray:
        """World points (..., 3) to crop pixels (..., 2)."""
        cam = np.asarray(points_m, np.float64) @ self.R.T + self.t
        return self.zoom * self.focal_px * cam[..., :2] / cam[..., 2:3] + self.crop_principal_px


class Mannequin:
    """Renders frames of one view and look; the background (floor and sky) is drawn once.

    Args:
        view: the camera and crop.
        look: colours, floor and light.
        floor_y_m: the floor's height in the world frame (for a clip, its lowest foot).
    """

    def __init__(self, view: View, look: Look, floor_y_m: float = 0.0):
        self.view, self.look = view, look
        width, height = view.size
        f = view.zoom * view.focal_px
        cx, cy = view.crop_principal_px
        u, v = np.meshgrid(np.arange(width) + 0.5 - cx, np.arange(height) + 0.5 - cy)
        rays = np.stack([u / f, v / f, np.ones_like(u)], -1)
        self._rays = (rays / np.linalg.norm(rays, axis=-1, keepdims=True)).astype(np.float32)  # camera frame
        self._light = (view.R @ look.light).astype(np.float32)   # towards the light, camera frame
        self._background = self._draw_background(floor_y_m)

    def _draw_background(self, floor_y_m: float) -> np.ndarray:
        R, t = self.view.R, self.view.t
        origin = -R.T @ t
        rays = self._rays @ R.astype(np.float32)   # world frame
        down = rays[..., 1] < -1e-4
        distance = np.where(down, (floor_y_m - origin[1]) / np.where(down, rays[..., 1], -1.0), np.inf)
        hit = origin + np.where(down, distance, 0.0)[..., None] * rays
        checker = (np.floor(hit[..., 0] / self.look.checker_m) + np.floor(hit[..., 2] / self.look.checker_m)) % 2
        floor = np.where(checker[..., None] > 0, self.look.floor[0], self.look.floor[1])
        fade = np.exp(-np.where(down, distance, 0.0) / 40.0)[..., None]   # haze towards the horizon
        up = np.clip(rays[..., 1:2] * 3 + 0.5, 0, 1)
        sky = up * self.look.sky[0] + (1 - up) * self.look.sky[1]
        image = np.where(down[..., None], fade * floor + (1 - fade) * self.look.sky[1], sky)
        return image.astype(np.float32)

    def render(self, joints_m: np.ndarray) -> np.ndarray:
        """One frame (H, W, 3) uint8 RGB of the figure at ``joints_m`` (21, 3), world frame."""
        cam = (np.asarray(joints_m, np.float64) @ self.view.R.T + self.view.t).astype(np.float32)
        image = self._background.copy()
        depth = np.full(image.shape[:2], np.inf, np.float32)
        for a, b, radius, part in _CAPSULES:
            self._capsule(image, depth, cam[_J(a)], cam[_J(b)], radius, self.look.colours[part])
        for side in ("L", "R"):
            wrist, elbow = cam[_J(f"Hand_{side}")], cam[_J(f"LowerArm_{side}")]
            direction = (wrist - elbow) / max(float(np.linalg.norm(wrist - elbow)), 1e-6)
            self._capsule(image, depth, wrist, wrist + _HAND_LENGTH_M * direction, _HAND_RADIUS_M,
                          self.look.colours["skin"])
        self._head(image, depth, cam)
        return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)

    def _head(self, image: np.ndarray, depth: np.ndarray, cam: np.ndarray) -> None:
        neck, head = cam[_J("Neck")], cam[_J("Head")]
        up = (head - neck) / max(float(np.linalg.norm(head - neck)), 1e-6)
        left = cam[_J("UpperArm_L")] - cam[_J("UpperArm_R")]
        forward = np.cross(left, up)
        forward /= max(float(np.linalg.norm(forward)), 1e-6)
        side = np.cross(up, forward)
        centre = head + 0.09 * up
        r = _HEAD_RADIUS_M
        colours = self.look.colours
        self._sphere(image, depth, centre - 0.025 * forward + 0.02 * up, r * 0.98, colours["hair"])
        self._sphere(image, depth, centre, r, colours["skin"])
        for s in (-1, 1):
            self._sphere(image, depth, centre + r * (0.88 * forward + 0.28 * up + s * 0.36 * side), 0.018,
                         colours["eyes"])
            self._sphere(image, depth, centre + r * (0.05 * forward + s * 0.98 * side), 0.025, colours["skin"])  # ears
        self._sphere(image, depth, centre + r * (1.0 * forward - 0.05 * up), 0.022, colours["skin"])  # nose
        self._capsule(image, depth, centre + r * (0.86 * forward - 0.45 * up - 0.25 * side),
                      centre + r * (0.86 * forward - 0.45 * up + 0.25 * side), 0.01, colours["eyes"] * 2)  # mouth

    # --- ray casting --------------------------------------------------------------------------------
    def _box(self, centre_a: np.ndarray, centre_b: np.ndarray, radius: float) -> tuple[slice, slice] | None:
        """The pixel box that holds a capsule, or None when it is behind the camera or off the image."""
        if min(centre_a[2], centre_b[2]) - radius < 0.05:
            return None
        f = self.view.zoom * self.view.focal_px
        width, height = self.view.size
        ends = np.stack([centre_a, centre_b])
        pixels = f * ends[:, :2] / ends[:, 2:3] + self.view.crop_principal_px
        pad = f * radius / (min(centre_a[2], centre_b[2]) - radius) + 1
        x0, y0 = np.floor(pixels.min(0) - pad).astype(int)
        x1, y1 = np.ceil(pixels.max(0) + pad).astype(int)
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
        if x0 >= x1 or y0 >= y1:
            return None
        return slice(y0, y1), slice(x0, x1)

    def _capsule(self, image: np.ndarray, depth: np.ndarray, a: np.ndarray, b: np.ndarray, radius: float,
                 colour: np.ndarray) -> None:
        box = self._box(a, b, radius)
        if box is None:
            return
        rd = self._rays[box]
        ba, oa = b - a, -a
        baba, baoa, oaoa = float(ba @ ba), float(ba @ oa), float(oa @ oa)
        if baba < 1e-10:
            self._sphere(image, depth, a, radius, colour)
            return
        bard, rdoa = rd @ ba, rd @ oa
        k2 = baba - bard * bard
        k1 = baba * rdoa - baoa * bard
        k0 = baba * oaoa - baoa * baoa - radius * radius * baba
        h = k1 * k1 - k2 * k0
        t = np.full(h.shape, np.inf, np.float32)
        body = h >= 0
        t_body = (-k1 - np.sqrt(np.where(body, h, 0))) / np.where(k2 > 1e-12, k2, 1e-12)
        y = baoa + t_body * bard
        inside = body & (y > 0) & (y < baba)
        t[inside] = t_body[inside]
        for end in (a, b):   # the caps
            oc = -end
            bb, cc = rd @ oc, float(oc @ oc) - radius * radius
            hh = bb * bb - cc
            t_cap = np.where(hh > 0, -bb - np.sqrt(np.maximum(hh, 0)), np.inf)
            t = np.where(~inside & (t_cap > 0) & (t_cap < t), t_cap, t)
        points = rd * np.where(np.isfinite(t), t, 0.0)[..., None]
        along = np.clip(((points - a) @ ba) / baba, 0, 1)
        normals = (points - (a + along[..., None] * ba)) / radius
        self._shade(image, depth, box, t, normals, colour)

    def _sphere(self, image: np.ndarray, depth: np.ndarray, centre: np.ndarray, radius: float,
                colour: np.ndarray) -> None:
        box = self._box(centre, centre, radius)
        if box is None:
            return
        rd = self._rays[box]
        b = rd @ -centre
        h = b * b - (float(centre @ centre) - radius * radius)
        t = np.where(h > 0, -b - np.sqrt(np.maximum(h, 0)), np.inf).astype(np.float32)
        normals = (rd * np.where(np.isfinite(t), t, 0.0)[..., None] - centre) / radius
        self._shade(image, depth, box, t, normals, colour)

    def _shade(self, image: np.ndarray, depth: np.ndarray, box: tuple[slice, slice], t: np.ndarray,
               normals: np.ndarray, colour: np.ndarray) -> None:
        front = np.isfinite(t) & (t > 0) & (t < depth[box])
        if not front.any():
            return
        diffuse = np.clip(np.nan_to_num(normals[front]) @ self._light, 0, 1)
        light = self.look.ambient + (1 - self.look.ambient) * diffuse
        depth[box][front] = t[front]
        image[box][front] = light[:, None] * colour


def floor_height(positions_m: np.ndarray) -> float:
    """The floor under a clip or window (T, 21, 3): its lowest foot or toe, less the shoe's radius."""
    feet = [_J(name) for name in ("Foot_L", "Foot_R", "Toes_L", "Toes_R")]
    return float(np.min(positions_m[:, feet, 1]) - 0.045)
