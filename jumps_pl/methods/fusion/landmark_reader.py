"""The landmark reader: all of a detector's landmarks over time, read as the 21 mocap joints.

A format that gives more than the 12 joints (MediaPipe: 33 landmarks with the face, hands and feet) says
more about where the mocap's joints are than its 12 joints do: the heel and foot index place the toes,
the face the head and neck. A per-frame linear map of them (``joint_centres.LandmarkMap``) is part of
reading such a file, for every method alike. The landmark reader is the learned, temporal reading of
the same landmarks, and a part of the default only (``fusion.landmark_reader``): a 1D convolutional net
(dilated residual blocks, a receptive field of about +-33 frames) from a window's landmarks, with their
visibility and whether the frame has a detection, to the 21 joints. The window is centred on its mean
torso centre and scaled by its median torso length (shoulders' midpoint to hips'), so it holds at any image
position and scale; its output is in the same units.

It is trained on a real detector's output on rendered training windows against the mocap
(``experiments/hpe_real/train_landmark_reader.py``); the shipped one, ``jumps_pl/pretrained/landmark-reader``,
reads MediaPipe Pose. A track longer than a window is read in windows of ``window`` frames, half
overlapping, blended with triangular weights.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from jumps_pl import skeleton
from jumps_pl.joint_centres import across_gaps
from jumps_pl.model_folders import load_module_folder, read_model_config
from jumps_pl.resampling import frame_times, resample, times_at

CLIP = 6.0   # torso lengths from the window's centre at which a landmark's coordinates are cut off


def window_frame(landmarks: np.ndarray, torso: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Each window's centre (..., 2) px and torso length (...,) px from its landmarks (..., T, L, 3).

    ``torso``: the left and right shoulder and hip landmarks. NaN landmarks (frames without a detection)
    are skipped; a window with no usable frame is centred at 0 with a length of 100 px.
    """
    xy = landmarks[..., :2]
    with warnings.catch_warnings():   # all-NaN slices: frames or windows without a detection
        warnings.simplefilter("ignore", RuntimeWarning)
        centre = np.nanmean(np.nanmean(xy[..., list(torso), :], axis=-2), axis=-2)
        shoulders = np.nanmean(xy[..., list(torso[:2]), :], axis=-2)
        hips = np.nanmean(xy[..., list(torso[2:]), :], axis=-2)
        length = np.nanmedian(np.linalg.norm(shoulders - hips, axis=-1), axis=-1)
    length = np.where(np.isfinite(length) & (length > 1.0), length, 100.0)
    return np.where(np.isfinite(centre), centre, 0.0), length


def features(landmarks: np.ndarray, torso: tuple[int, int, int, int]
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reader's input (..., T, L, 4) float32 from landmarks (..., T, L, 3) px with visibility.

    Per landmark: x and y in the window's torso units (cut at ``CLIP``), its visibility, and whether the
    frame has a detection (NaN landmarks: all four 0). Also the window's centre and torso length.
    """
    centre, length = window_frame(landmarks, torso)
    found = np.isfinite(landmarks[..., :2]).all(-1).all(-1)   # (..., T)
    xy = (landmarks[..., :2] - centre[..., None, None, :]) / length[..., None, None, None]
    xy = np.clip(np.nan_to_num(xy), -CLIP, CLIP)
    visibility = np.nan_to_num(landmarks[..., 2:3])
    flag = np.broadcast_to(found[..., None, None], (*landmarks.shape[:-1], 1))
    out = np.concatenate([xy, visibility, flag], -1) * flag
    return out.astype(np.float32), centre, length


class LandmarkReaderNet(nn.Module):
    """Landmark features (B, T, L, 4) -> the 21 joints (B, T, 21, 2) in the window's torso units."""

    def __init__(self, landmarks: int, torso: list[int], width: int = 256, dilations: list[int] = (1, 2, 4, 8, 1),
                 kernel: int = 5):
        super().__init__()
        self.landmarks = int(landmarks)
        self.torso = tuple(int(i) for i in torso)
        self.inp = nn.Conv1d(4 * self.landmarks, width, 3, padding=1)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LeakyReLU(0.2), nn.Conv1d(width, width, kernel, padding=(kernel // 2) * d, dilation=d),
                          nn.LeakyReLU(0.2), nn.Conv1d(width, width, 1))
            for d in dilations)
        self.out = nn.Conv1d(width, 2 * skeleton.NUM_JOINTS, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Features (B, T, L, 4) -> joints (B, T, 21, 2), in the window's torso units."""
        b, t = x.shape[:2]
        h = self.inp(x.reshape(b, t, -1).transpose(1, 2))
        for block in self.blocks:
            h = h + block(h)
        return self.out(h).transpose(1, 2).reshape(b, t, skeleton.NUM_JOINTS, 2)


class LandmarkReader:
    """A trained ``LandmarkReaderNet`` and the windows it reads: landmarks (F, L, 3) px -> joints (F, 21, 2) px."""

    def __init__(self, net: LandmarkReaderNet, window: int, fps: float):
        self.net, self.window, self.fps = net.eval(), int(window), float(fps)

    @property
    def landmarks(self) -> int:
        """How many landmarks a frame must have."""
        return self.net.landmarks

    @torch.no_grad()
    def read_windows(self, landmarks: np.ndarray) -> np.ndarray:
        """Windows of landmarks (N, T, L, 3) px -> the 21 joints (N, T, 21, 2) px."""
        x, centre, length = features(np.asarray(landmarks, dtype=np.float64), self.net.torso)
        device = next(self.net.parameters()).device
        out = self.net(torch.as_tensor(x, device=device)).cpu().numpy().astype(np.float64)
        return out * length[:, None, None, None] + centre[:, None, None, :]

    def read(self, landmarks: np.ndarray) -> np.ndarray:
        """A track's landmarks (F, L, 3) px (NaN in frames without a detection) -> its 21 joints (F, 21, 2) px."""
        frames = len(landmarks)
        if frames <= self.window:
            return self.read_windows(landmarks[None])[0]
        hop = self.window // 2
        starts = list(range(0, frames - self.window + 1, hop))
        if starts[-1] != frames - self.window:
            starts.append(frames - self.window)
        read = self.read_windows(np.stack([landmarks[s:s + self.window] for s in starts]))
        ramp = np.minimum(np.arange(1, self.window + 1), np.arange(self.window, 0, -1)).astype(np.float64)
        total = np.zeros((frames, skeleton.NUM_JOINTS, 2))
        weight = np.zeros(frames)
        for start, joints in zip(starts, read, strict=True):
            total[start:start + self.window] += ramp[:, None, None] * joints
            weight[start:start + self.window] += ramp
        return total / weight[:, None, None]

    def blend(self, positions: np.ndarray, landmarks: np.ndarray, share: float, fps: float | None = None
              ) -> np.ndarray:
        """A method's joints moved ``share`` of the way to the reader's: of windows or of a track.

        ``positions`` (N, T, 21, 2) px windows at the reader's rate, or (F, 21, 2) a track at ``fps`` (read
        at the reader's rate and brought back); ``landmarks`` (..., T, L, 3) px, NaN in frames without a
        detection. Those frames move as the detected frames around them (``joint_centres.across_gaps``), so
        a detector's gap leaves no step; a window or track without a detection is left as it is.
        """
        landmarks = np.asarray(landmarks, dtype=np.float64)
        if landmarks.shape[-2] != self.landmarks:
            raise ValueError(f"the landmark reader reads {self.landmarks} landmarks a frame, got "
                             f"{landmarks.shape[-2]}")
        found = np.isfinite(landmarks[..., :2]).all(-1).all(-1)
        if positions.ndim == 4:
            read = self.read_windows(landmarks)
        else:
            read = self._read_track(landmarks, found, fps or self.fps)
        move = share * (read - positions)
        return (positions + across_gaps(move, found)).astype(positions.dtype)

    def _read_track(self, landmarks: np.ndarray, found: np.ndarray, fps: float) -> np.ndarray:
        """A track's joints (F, 21, 2) at ``fps``, read at the reader's rate where that differs."""
        if abs(fps - self.fps) <= 1e-3 * self.fps or len(landmarks) < 2:
            return self.read(landmarks)
        given = frame_times(len(landmarks), fps)
        times = times_at(len(landmarks), fps, self.fps)
        at_rate, ok = resample(np.nan_to_num(landmarks), found, given, times)
        at_rate[~ok] = np.nan
        read = self.read(at_rate)
        return resample(read, np.ones(len(read), dtype=bool), times, given)[0]


def load_landmark_reader(folder: str | Path) -> LandmarkReader:
    """The landmark reader of a model folder (``experiments/hpe_real/train_landmark_reader.py``)."""
    net = load_module_folder(folder, "landmark-reader", "landmark_reader", LandmarkReaderNet)
    data = read_model_config(folder, "landmark-reader")["data"]
    return LandmarkReader(net, data["window"], data["fps"])

