"""Where a detector puts a joint against where motion capture does: a per-format correction.

A detector's landmarks are not the mocap's joint centres: MediaPipe puts the hips lower and wider than the
skeleton's hip joints, the shoulders on the outline of the shoulder, and so on (``hpe-real``'s detector
errors, docs/evaluation.md). A :class:`CentreMap` moves each of the 12 input joints by an offset predicted
linearly from the frame's 12 joints, in the frame's own body units (centred on the torso, scaled by its
size), so it holds at any image position and scale. It is fitted by ridge regression on a detector's
output on rendered training windows against the mocap (``experiments/hpe_real/fit_centres.py``).

`jumps upsample` applies the map of the file's format (``upsample.joint_centres``) before anything else;
a frame without both shoulders and both hips, or a format without a fitted map, is left as it is.

A format that gives more than the 12 joints (MediaPipe: 33 landmarks, the face and the feet among them) has
a :class:`LandmarkMap` too: the added joints predicted linearly from all of a frame's landmarks, in the same
body units. After the method, each added joint is blended with it by a share per joint chosen on `hpe-real`
val (``upsample.landmarks``; the head and neck gain most from the face landmarks, the toes are left to the
method). It is fitted by ``experiments/hpe_real/fit_landmarks.py``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jumps_pl import skeleton
from jumps_pl.files import shipped_or_given

CENTRE_MAPS = "joint-centres.npz"   # in jumps_pl/pretrained/
REACH = 4.0   # torso lengths from the torso's centre beyond which a landmark map does not trust a frame
_TORSO = (0, 1, 6, 7)   # shoulders and hips among the 12 input joints (COCO body order)


def body_frame(keypoints: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame of (..., 12, 2) keypoints: the torso centre (..., 2), its size (...,) and where both exist."""
    torso = keypoints[..., list(_TORSO), :]
    ok = present[..., list(_TORSO)].all(-1)
    centre = torso.mean(-2)
    shoulders, hips = torso[..., :2, :].mean(-2), torso[..., 2:, :].mean(-2)
    size = np.linalg.norm(shoulders - hips, axis=-1)
    ok &= size > 1e-3
    return centre, np.where(ok, size, 1.0), ok


def _features(keypoints: np.ndarray, present: np.ndarray, centre: np.ndarray, size: np.ndarray) -> np.ndarray:
    local = (keypoints - centre[..., None, :]) / size[..., None, None]
    local = np.where(present[..., None], local, 0.0)
    flat = np.concatenate([local.reshape(*local.shape[:-2], -1), present.astype(np.float64)], -1)
    return np.concatenate([flat, np.ones((*flat.shape[:-1], 1))], -1)   # (..., 12*2 + 12 + 1)


@dataclass(frozen=True)
class CentreMap:
    """The linear map (37, 24) from a frame's body-frame features to its 12 joints' offsets, in body units."""

    format: str
    weights: np.ndarray
    fitted_on: str = ""

    def __call__(self, keypoints: np.ndarray, present: np.ndarray) -> np.ndarray:
        """The 12 joints (..., 12, 2) px moved to where the mocap's joint centres would be; absent ones kept."""
        keypoints = np.asarray(keypoints, np.float64)
        centre, size, ok = body_frame(keypoints, present)
        offsets = (_features(keypoints, present, centre, size) @ self.weights).reshape(keypoints.shape)
        moved = keypoints + offsets * size[..., None, None]
        return np.where((ok[..., None] & present)[..., None], moved, keypoints)


def fit_centre_map(format: str, keypoints: np.ndarray, present: np.ndarray, target: np.ndarray,
                   alpha: float = 1.0, fitted_on: str = "") -> CentreMap:
    """Ridge regression of the offsets ``target - keypoints`` (N, 12, 2) px, in body units, on the features.

    Only entries ``present`` (N, 12) in frames with the whole torso count; ``alpha`` is the ridge penalty.
    """
    keypoints, target = np.asarray(keypoints, np.float64), np.asarray(target, np.float64)
    centre, size, ok = body_frame(keypoints, present)
    x = _features(keypoints[ok], present[ok], centre[ok], size[ok])
    offsets = ((target[ok] - keypoints[ok]) / size[ok][:, None, None])
    weight = np.repeat(present[ok].astype(np.float64), 2, axis=-1)   # absent entries teach nothing
    weights = np.zeros((x.shape[1], offsets.shape[1] * 2))
    y = offsets.reshape(len(x), -1)
    penalty = alpha * np.eye(x.shape[1])
    penalty[-1, -1] = 0.0   # the intercept is not shrunk
    for column in range(y.shape[1]):
        w = weight[:, column]
        weights[:, column] = np.linalg.solve(x.T @ (x * w[:, None]) + penalty, x.T @ (w * y[:, column]))
    return CentreMap(format, weights, fitted_on)


@dataclass(frozen=True)
class LandmarkMap:
    """The added joints from every landmark of a frame: a linear map (L x 3 + 1, 18) in body units.

    ``torso``: the landmarks of the left and right shoulder and hip, which set the body frame. ``share``
    (9,): how much of each added joint (``skeleton.ADDED_INDICES``) ``blend`` takes from the map, the rest
    staying the method's.
    """

    format: str
    weights: np.ndarray
    share: np.ndarray
    torso: tuple[int, int, int, int]
    fitted_on: str = ""

    def features(self, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per frame of (..., L, 3) landmarks (x, y px, visibility): features, body centre, size, where usable.

        A frame is usable where every value is a number and every landmark lies within ``REACH`` torso
        lengths of the torso's centre (a body's landmarks lie within about 2.5).
        """
        landmarks = np.asarray(landmarks, np.float64)
        ok = np.isfinite(landmarks).all((-1, -2))
        points = np.nan_to_num(landmarks[..., :2])
        torso = points[..., list(self.torso), :]
        centre = torso.mean(-2)
        size = np.linalg.norm(torso[..., :2, :].mean(-2) - torso[..., 2:, :].mean(-2), axis=-1)
        ok &= size > 1e-3
        size = np.where(ok, size, 1.0)
        local = (points - centre[..., None, :]) / size[..., None, None]
        ok &= (np.linalg.norm(local, axis=-1) <= REACH).all(-1)
        x = np.concatenate([local.reshape(*local.shape[:-2], -1), np.nan_to_num(landmarks[..., 2]),
                            np.ones((*local.shape[:-2], 1))], -1)
        return x, centre, size, ok

    def __call__(self, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The added joints (..., 9, 2) px of (..., L, 3) landmarks, and the frames (...) where they hold."""
        x, centre, size, ok = self.features(landmarks)
        local = (x @ self.weights).reshape(*x.shape[:-1], len(skeleton.ADDED_INDICES), 2)
        return local * size[..., None, None] + centre[..., None, :], ok

    def blend(self, positions: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """A method's joints (..., T, 21, 2) px over time with each added joint moved ``share`` of the way to the map's.

        ``landmarks`` (..., T, L, 3). In frames whose landmarks are missing (NaN), lack a torso or stray
        (``features``) the move is the one of the usable frames around them, interpolated in time (held
        before the first and after the last), so that a detector's gap leaves no step; a sequence without a
        usable frame is left as it is.
        """
        added, ok = self(landmarks)
        columns = list(skeleton.ADDED_INDICES)
        out = np.array(positions, copy=True)
        move = self.share[:, None] * (added - out[..., columns, :])   # (..., T, 9, 2)
        out[..., columns, :] = (out[..., columns, :] + across_gaps(move, ok)).astype(out.dtype)
        return out


def across_gaps(values: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """``values`` (..., T, A, B) where ``ok`` (..., T); every other frame's from its neighbours.

    Linear between the nearest ``ok`` frames before and after, the nearest one's at the ends, 0 where no
    frame is ``ok``.
    """
    frames = ok.shape[-1]
    index = np.broadcast_to(np.arange(frames), ok.shape)
    before = np.maximum.accumulate(np.where(ok, index, -1), axis=-1)
    after = np.flip(np.minimum.accumulate(np.flip(np.where(ok, index, frames), -1), axis=-1), -1)
    has_before, has_after = before >= 0, after < frames
    before, after = np.clip(before, 0, frames - 1), np.clip(after, 0, frames - 1)
    span = np.maximum(after - before, 1)
    weight = np.where(has_before & has_after, (index - before) / span, np.where(has_after, 1.0, 0.0))

    def at(frame: np.ndarray) -> np.ndarray:
        return np.take_along_axis(values, frame[..., None, None], axis=-3)

    filled = (1.0 - weight[..., None, None]) * at(before) + weight[..., None, None] * at(after)
    return np.where((has_before | has_after)[..., None, None], filled, 0.0)


def fit_landmark_map(format: str, landmarks: np.ndarray, target: np.ndarray, torso: tuple[int, int, int, int],
                     alpha: float = 1.0, fitted_on: str = "") -> LandmarkMap:
    """Ridge regression of the added joints of ``target`` (N, 21, 2) px on the landmarks (N, L, 3), in body units.

    Frames whose landmarks are missing or lack a torso are left out. The share is 1 for every joint: set it
    with ``dataclasses.replace`` once chosen.
    """
    empty = LandmarkMap(format, np.zeros((landmarks.shape[-2] * 3 + 1, 2 * len(skeleton.ADDED_INDICES))),
                        np.ones(len(skeleton.ADDED_INDICES)), tuple(int(i) for i in torso), fitted_on)
    x, centre, size, ok = empty.features(landmarks)
    x, centre, size = x[ok], centre[ok], size[ok]
    added = np.asarray(target, np.float64)[ok][:, list(skeleton.ADDED_INDICES)]
    y = ((added - centre[:, None, :]) / size[:, None, None]).reshape(len(x), -1)
    penalty = alpha * np.eye(x.shape[1])
    penalty[-1, -1] = 0.0   # the intercept is not shrunk
    weights = np.linalg.solve(x.T @ x + penalty, x.T @ y)
    return LandmarkMap(format, weights, empty.share, empty.torso, fitted_on)


def _read_maps(path: str | Path | None, weights_key: str, build: Callable) -> dict:
    """The maps of one kind by format, from the package's file (``pretrained/joint-centres.npz``) or ``path``.

    Every key ``FORMAT/{weights_key}`` names one; ``build(source, format, data)`` checks and makes it.
    """
    source = shipped_or_given(CENTRE_MAPS, path, "joint-centre maps")
    if source is None:
        return {}
    with np.load(source) as data:
        formats = [key[:-len(weights_key) - 1] for key in data.files if key.endswith(f"/{weights_key}")]
        return {format: build(source, format, data) for format in formats}


def load_centre_maps(path: str | Path | None = None) -> dict[str, CentreMap]:
    """The fitted maps by format: the package's (``pretrained/joint-centres.npz``) or those at ``path``."""
    def build(source: Path, format: str, data) -> CentreMap:
        weights = data[f"{format}/weights"]
        if weights.shape != (37, 24):
            raise ValueError(f"{source}: {format}/weights has shape {weights.shape}, not (37, 24)")
        return CentreMap(format, weights, str(data.get(f"{format}/fitted_on", "")))

    return _read_maps(path, "weights", build)


def load_landmark_maps(path: str | Path | None = None) -> dict[str, LandmarkMap]:
    """The fitted landmark maps by format, from the same file as :func:`load_centre_maps`."""
    def build(source: Path, format: str, data) -> LandmarkMap:
        lacking = [name for name in ("share", "torso") if f"{format}/landmark_{name}" not in data.files]
        if lacking:
            raise ValueError(f"{source}: {format}'s landmark map lacks {', '.join(lacking)}")
        weights, share, torso = (data[f"{format}/landmark_{name}"] for name in ("weights", "share", "torso"))
        added = len(skeleton.ADDED_INDICES)
        if weights.ndim != 2 or weights.shape[1] != 2 * added or (weights.shape[0] - 1) % 3 \
                or share.shape != (added,) or torso.shape != (4,):
            raise ValueError(f"{source}: {format}'s landmark map has shapes {weights.shape}, {share.shape}, "
                             f"{torso.shape}; expected (L x 3 + 1, {2 * added}), ({added},), (4,)")
        if not ((torso >= 0) & (torso < (weights.shape[0] - 1) // 3)).all():
            raise ValueError(f"{source}: {format}'s landmark map names torso landmarks {torso.tolist()}, "
                             f"not among its {(weights.shape[0] - 1) // 3}")
        return LandmarkMap(format, weights, share, tuple(int(i) for i in torso),
                           str(data.get(f"{format}/landmark_fitted_on", "")))

    return _read_maps(path, "landmark_weights", build)


def save_centre_maps(path: str | Path, maps: dict[str, CentreMap],
                     landmark_maps: dict[str, LandmarkMap] | None = None) -> None:
    """Write fitted maps (.npz, atomically): the joint-centre maps and any landmark maps."""
    from jumps_pl.files import write_npz

    arrays = {}
    for m in maps.values():
        arrays[f"{m.format}/weights"] = m.weights
        arrays[f"{m.format}/fitted_on"] = np.array(m.fitted_on)
    for m in (landmark_maps or {}).values():
        arrays[f"{m.format}/landmark_weights"] = m.weights
        arrays[f"{m.format}/landmark_share"] = np.asarray(m.share, np.float64)
        arrays[f"{m.format}/landmark_torso"] = np.asarray(m.torso, np.int64)
        arrays[f"{m.format}/landmark_fitted_on"] = np.array(m.fitted_on)
    write_npz(path, arrays)
