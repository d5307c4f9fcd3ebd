"""`MocapDataModule`: windows of mocap clips, seen through seeded cameras.

Datasets hold 3D windows (metres); the 2D view is made on the batch in :meth:`MocapDataModule.to_2d`
(Lightning calls it from ``on_after_batch_transfer``): validation and test windows carry fixed seeded
cameras, training windows get a fresh random camera and a random mirror from a generator whose state
is saved in checkpoints. A batch after ``to_2d`` holds:

- ``keypoints_px`` (B, T, 21, 2): the high-resolution 2D sequence, pixels
- ``head_size_px`` (B, T): h(t) = f * L_head / Z_neck(t)
- ``positions_m`` (B, T, 21, 3), ``head_length_m`` (B,), ``clip_id`` (B,), ``start`` (B,)
- ``camera``: ``R`` (B, 3, 3), ``t`` (B, 3), ``focal_px`` (B,), ``principal_px`` (B, 2)
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler

from jumps_pl import skeleton
from jumps_pl.data.cameras import CameraRanges, head_size_px, project, sample_cameras
from jumps_pl.data.corpus import SPLITS, Clip, clip_style, load_corpus
from jumps_pl.resampling import sample_at
from jumps_pl.schema import EVAL_SPLITS

log = logging.getLogger(__name__)
# Training cameras keep every joint of the window at least this far in front of them (the protocol's
# test-bench cameras come no closer than 1.39 m).
TRAIN_MIN_DEPTH_M = 1.0


def mirror_motion(positions_m: torch.Tensor) -> torch.Tensor:
    """Mirror (..., 21, 3) world positions in the vertical YZ plane and swap left and right joints."""
    flip = positions_m.new_tensor([-1.0, 1.0, 1.0])
    return (positions_m * flip)[..., torch.as_tensor(skeleton.MIRROR_PERMUTATION), :]


@dataclass
class Windows:
    """Window starts over a concatenation of clips: ``frame`` indexes the concatenated array."""

    frame: np.ndarray  # (W,) first frame in the concatenated positions
    clip_id: np.ndarray  # (W,) index into MocapDataModule.clip_names
    start: np.ndarray  # (W,) first frame within its clip


class WindowDataset(Dataset):
    """Windows (T, 21, 3) in metres, with their clip's head length and, for evaluation, a fixed camera."""

    def __init__(self, positions_m: np.ndarray, head_length_m: np.ndarray, windows: Windows, window: int,
                 cameras: dict[str, np.ndarray] | None = None):
        self.positions_m = positions_m
        self.head_length_m = head_length_m
        self.windows = windows
        self.window = window
        self.cameras = cameras

    def __len__(self) -> int:
        return len(self.windows.frame)

    def __getitem__(self, index: int) -> dict[str, Any]:
        first = self.windows.frame[index]
        clip_id = int(self.windows.clip_id[index])
        item: dict[str, Any] = {
            "positions_m": torch.from_numpy(self.positions_m[first:first + self.window]),
            "head_length_m": torch.tensor(self.head_length_m[clip_id], dtype=torch.float32),
            "clip_id": clip_id,
            "start": int(self.windows.start[index]),
        }
        if self.cameras is not None:
            item["camera"] = {k: torch.as_tensor(v[index]) for k, v in self.cameras.items()}
        return item


class MocapDataModule(pl.LightningDataModule):
    """Mocap windows split by clip per the protocol; see the module docstring for the batch layout."""

    def __init__(self, root: str, cache_dir: str | None, load_workers: int, max_clips: int | None, fps: float,
                 window: int, train_stride: int, eval_stride: int, batch_size: int, num_workers: int,
                 seed: int, mirror: bool, split: str, bench_windows: int, bench_seed: int,
                 eval_camera: dict, train_camera: dict, ood_sources: list[str] | tuple[str, ...] = (),
                 ood_stride: int = 16, source_balance: float = 0.0,
                 speed: list[float] | tuple[float, float] = (1.0, 1.0), bone_jitter: float = 0.0,
                 balance_by: str = "source", time_warp: float = 0.0):
        super().__init__()
        if split not in EVAL_SPLITS:
            raise ValueError(f"data.split must be one of {', '.join(EVAL_SPLITS)}, got {split!r}")
        for name, value in (("window", window), ("train_stride", train_stride), ("eval_stride", eval_stride),
                            ("batch_size", batch_size)):
            if int(value) < 1:
                raise ValueError(f"data.{name} must be >= 1, got {value}")
        self.root, self.cache_dir, self.load_workers, self.max_clips = root, cache_dir, load_workers, max_clips
        self.fps, self.window, self.train_stride, self.eval_stride = fps, window, train_stride, eval_stride
        self.batch_size, self.num_workers, self.seed, self.mirror = batch_size, num_workers, seed, mirror
        self.split, self.bench_windows, self.bench_seed = split, bench_windows, bench_seed
        self.ood_sources, self.ood_stride = tuple(ood_sources), ood_stride
        self.source_balance, self.speed, self.bone_jitter = float(source_balance), tuple(speed), float(bone_jitter)
        self.balance_by = _balance_pattern(balance_by)
        self.time_warp = float(time_warp)
        if not 0 <= self.time_warp < 1:
            raise ValueError(f"data.time_warp must be in [0, 1) (the local speed stays positive), got {time_warp}")
        if len(self.speed) != 2 or not 0 < self.speed[0] <= self.speed[1]:
            raise ValueError(f"data.speed must be two positive numbers [low, high], got {list(speed)}")
        # training windows carry enough frames to be replayed at the highest speed
        self.train_span = int(np.ceil((window - 1) * max(1.0, self.speed[1]))) + 1
        self.eval_camera = _camera_ranges(eval_camera, "data.eval_camera")
        self.train_camera = _camera_ranges(train_camera, "data.train_camera")
        self.clips: list[Clip] | None = None
        self._train_weights: np.ndarray | None = None
        self.datasets: dict[str, WindowDataset] = {}
        self._rng = np.random.default_rng(seed)

    # --- loading -------------------------------------------------------------------------------
    def prepare_data(self) -> None:
        """Fill the parse cache once (rank 0), so every DDP process then loads from it."""
        if self.cache_dir is None:
            return  # nothing to share: each process parses for itself in setup()
        load_corpus(self.root, self.cache_dir, self.fps, self.load_workers, self.max_clips)

    def setup(self, stage: str | None = None) -> None:
        """Load the corpus and build the datasets (once), then seed this rank's augmentation generator."""
        if self.clips is None:
            self.clips = load_corpus(self.root, self.cache_dir, self.fps, self.load_workers, self.max_clips)
            self._build_datasets()
        rank = self.trainer.global_rank if self.trainer is not None else 0
        self._rng = np.random.default_rng([self.seed, rank])

    @property
    def clip_names(self) -> list[str]:
        """Names of the loaded clips, in corpus order: a window's ``clip_id`` indexes this list."""
        return [clip.name for clip in self._loaded_clips()]

    def _loaded_clips(self) -> list[Clip]:
        if self.clips is None:
            raise RuntimeError("MocapDataModule.setup() has not run yet")
        return self.clips

    def _build_datasets(self) -> None:
        clips = self._loaded_clips()
        self.positions_m = np.ascontiguousarray(np.concatenate([c.positions_m for c in clips]), dtype=np.float32)
        lengths = np.array([len(c.positions_m) for c in clips])
        self._clip_first_frame = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        neck, hips = skeleton.NECK, skeleton.ROOT
        first = self.positions_m[self._clip_first_frame]
        self.head_length_m = 0.5 * np.linalg.norm(first[:, neck] - first[:, hips], axis=-1)
        splits = np.array([c.split for c in clips])
        train = self._windows(splits == "train", self.train_stride, self.train_span)
        self.datasets["train"] = WindowDataset(self.positions_m, self.head_length_m, train, self.train_span)
        self._train_weights = self._balance_weights(train)
        for offset, name in ((1, "val"), (2, "test"), (3, "all")):
            windows = self._windows(splits == name if name != "all" else np.ones(len(clips), bool), self.eval_stride)
            rng = np.random.default_rng([self.seed, offset])
            self.datasets[name] = self._dataset(windows, sample_cameras(rng, self._targets(windows), self.eval_camera))
        self.datasets["test-bench"] = self._bench()
        # Out of distribution: the val / test clips of the sources named in data.ood_sources, denser.
        ood = np.array([any(name in c.source for name in self.ood_sources) for c in clips], dtype=bool)
        for offset, name, split in ((4, "ood-val", "val"), (5, "ood-test", "test")):
            windows = self._windows(ood & (splits == split), self.ood_stride)
            rng = np.random.default_rng([self.seed, offset])
            self.datasets[name] = self._dataset(windows, sample_cameras(rng, self._targets(windows), self.eval_camera))

    def _windows(self, clip_mask: np.ndarray, stride: int, span: int | None = None) -> Windows:
        frame, clip_id, start = [], [], []
        for c in np.flatnonzero(clip_mask):
            n = len(self._loaded_clips()[c].positions_m)
            starts = np.arange(0, n - (span or self.window) + 1, stride)
            frame.append(self._clip_first_frame[c] + starts)
            clip_id.append(np.full(len(starts), c))
            start.append(starts)
        return Windows(_int_concat(frame), _int_concat(clip_id), _int_concat(start))

    def _balance_weights(self, windows: Windows) -> np.ndarray | None:
        """Sampling weight of each training window: (1 / windows of its group)^source_balance.

        A group is a zip archive or a folder of files (``balance_by`` "source"), a motion style (``"style"``:
        dataset and style, ``corpus.clip_style``) or the first group of the ``balance_by`` pattern in the
        clip's name; None when ``source_balance`` is 0 (plain shuffling).
        """
        if self.source_balance == 0 or len(windows.frame) == 0:
            return None
        clips = self._loaded_clips()
        group_of = {c: _balance_group(clips[c], self.balance_by) for c in np.unique(windows.clip_id)}
        names, index = np.unique([group_of[c] for c in windows.clip_id], return_inverse=True)
        counts = np.bincount(index, minlength=len(names)).astype(np.float64)
        share = counts ** (1.0 - self.source_balance)
        log.info("training groups %s: window shares %s", list(names), np.round(share / share.sum(), 3).tolist())
        return (share / counts)[index]

    def _targets(self, windows: Windows) -> np.ndarray:
        """Each window's mean Hips position, where its camera aims."""
        offsets = np.arange(self.window)
        hips = self.positions_m[windows.frame[:, None] + offsets, skeleton.ROOT]
        return hips.mean(axis=1).astype(np.float64)

    def _bench(self) -> WindowDataset:
        """`test-bench`: windows drawn with ``bench_seed`` from the non-overlapping test windows."""
        candidates = self._windows(np.array([c.split == "test" for c in self._loaded_clips()]), self.window)
        rng = np.random.default_rng(self.bench_seed)
        n = len(candidates.frame)
        chosen = np.sort(rng.choice(n, size=min(n, self.bench_windows), replace=False))
        windows = Windows(candidates.frame[chosen], candidates.clip_id[chosen], candidates.start[chosen])
        return self._dataset(windows, sample_cameras(rng, self._targets(windows), self.eval_camera))

    def _dataset(self, windows: Windows, cameras: dict[str, np.ndarray] | None = None) -> WindowDataset:
        return WindowDataset(self.positions_m, self.head_length_m, windows, self.window, cameras)

    # --- loaders -------------------------------------------------------------------------------
    @property
    def train_weights(self) -> np.ndarray | None:
        """Each training window's sampling weight (``data.source_balance``, ``data.balance_by``); None: all alike."""
        return self._train_weights

    def train_dataloader(self) -> DataLoader:
        """Training windows, shuffled, or drawn with the group-balancing weights when ``source_balance`` > 0."""
        if self._train_weights is None:
            return self._loader("train", shuffle=True)
        dataset = self.datasets["train"]
        generator = torch.Generator().manual_seed(int(self._rng.integers(2 ** 62)))
        sampler = WeightedRandomSampler(torch.as_tensor(self._train_weights), len(dataset), replacement=True,
                                        generator=generator)
        return DataLoader(dataset, batch_size=self.batch_size, sampler=sampler, drop_last=True,
                          num_workers=self.num_workers, persistent_workers=self.num_workers > 0)

    def val_dataloader(self) -> DataLoader:
        """Validation windows, in order, each with its fixed seeded camera."""
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        """Windows of the ``split`` dataset (``data.split``), in order, each with its fixed seeded camera."""
        return self._loader(self.split)

    def dataloader(self, name: str, shuffle: bool = False) -> DataLoader:
        """A loader over one named dataset, shuffled only with ``shuffle``.

        The names: ``train``, ``val``, ``test``, ``test-bench``, ``all`` (every clip), ``ood-val`` or
        ``ood-test`` (the val / test clips of ``data.ood_sources``).
        """
        return self._loader(name, shuffle)

    def _loader(self, name: str, shuffle: bool = False) -> DataLoader:
        if name not in self.datasets:
            raise KeyError(f"unknown dataset {name!r}; known: {', '.join(self.datasets) or 'none (call setup())'}")
        dataset = self.datasets[name]
        if name == "test-bench" and len(dataset) < self.bench_windows:  # said only where test-bench is used
            log.warning("test-bench: only %d candidate windows in the test clips under data.root=%s, "
                        "data.bench_windows=%d asked; using all", len(dataset), self.root, self.bench_windows)
        if len(dataset) == 0:
            raise ValueError(f"the {name} split has no windows of {self.window} frames under {self.root}")
        return DataLoader(dataset, batch_size=self.batch_size, shuffle=shuffle, drop_last=shuffle,
                          num_workers=self.num_workers, persistent_workers=self.num_workers > 0)

    # --- the 2D view ---------------------------------------------------------------------------
    def on_after_batch_transfer(self, batch: dict[str, Any], dataloader_idx: int) -> dict[str, Any]:
        """Lightning's hook: the 2D view of a batch on its device (:meth:`to_2d`), augmented while training."""
        training = self.trainer is not None and self.trainer.training
        return self.to_2d(batch, augment=training)

    def to_2d(self, batch: dict[str, Any], augment: bool = False) -> dict[str, Any]:
        """Add ``keypoints_px`` and ``head_size_px``; with ``augment``, first mirror and draw cameras."""
        positions = batch["positions_m"]
        if augment:
            positions = self._random_speed(positions)
            positions = self._random_bone_lengths(positions)
            positions = self._random_mirror(positions)
            targets = positions[:, :, skeleton.ROOT].mean(dim=1).double().cpu().numpy()
            cameras = sample_cameras(self._rng, targets, self.train_camera,
                                     points_m=positions.double().cpu().numpy(), min_depth_m=TRAIN_MIN_DEPTH_M)
            batch["camera"] = {k: torch.from_numpy(v).to(positions.device) for k, v in cameras.items()}
            batch["positions_m"] = positions
        elif "camera" not in batch:
            raise KeyError("a batch without cameras needs augment=True (training windows have no fixed camera)")
        camera = batch["camera"]
        batch["keypoints_px"] = project(positions, camera)
        batch["head_size_px"] = head_size_px(positions[:, :, skeleton.NECK], batch["head_length_m"], camera)
        return batch

    def _random_speed(self, positions: torch.Tensor) -> torch.Tensor:
        """(B, S, 21, 3) training spans -> (B, T, 21, 3) windows replayed at a speed from U[data.speed].

        Linear interpolation between frames, each window from a random start within its span; with
        ``time_warp``, the speed also varies within the window (:meth:`_warped_steps`).
        """
        b, span = positions.shape[:2]
        if self.speed == (1.0, 1.0) and self.time_warp == 0:
            return positions[:, :self.window]
        speed = np.minimum(self._rng.uniform(*self.speed, b), (span - 1) / (self.window - 1))
        first = self._rng.uniform(0.0, 1.0, b) * ((span - 1) - speed * (self.window - 1))
        steps = np.arange(self.window, dtype=np.float64)
        if self.time_warp > 0:
            steps = self._warped_steps(b)
        times = first[:, None] + speed[:, None] * steps  # (B, T) in frames of the span
        return torch.from_numpy(sample_at(positions.cpu().numpy(), times)).to(positions)

    def _warped_steps(self, b: int) -> np.ndarray:
        """(B, T) times 0..T-1 whose local rate is 1 + a cos(2 pi t / (T - 1) + phase), a ~ U[0, time_warp].

        The window speeds up and slows down within itself, one cycle, and ends where an even replay ends
        (the cosine integrates to 0 over the cycle), so it stays inside the span; monotone as a < 1.
        """
        amplitude = self._rng.uniform(0.0, self.time_warp, b)[:, None]
        phase = self._rng.uniform(0.0, 2 * np.pi, b)[:, None]
        last = self.window - 1
        t = np.arange(self.window, dtype=np.float64)[None]
        angle = 2 * np.pi * t / last + phase
        return t + amplitude * last / (2 * np.pi) * (np.sin(angle) - np.sin(phase))

    def _random_bone_lengths(self, positions: torch.Tensor) -> torch.Tensor:
        """Scale every bone by U[1 - bone_jitter, 1 + bone_jitter], left and right bones alike."""
        if self.bone_jitter == 0:
            return positions
        b = len(positions)
        scale = torch.from_numpy(1.0 + self._rng.uniform(-self.bone_jitter, self.bone_jitter,
                                                         (b, skeleton.NUM_JOINTS))).to(positions)
        scale = scale[:, torch.as_tensor(_BONE_SIDE_CANONICAL)]  # a right bone takes its left twin's factor
        out = positions.clone()
        for joint, parent in enumerate(skeleton.PARENTS):  # parents come before their children
            if parent >= 0:
                bone = positions[:, :, joint] - positions[:, :, parent]
                out[:, :, joint] = out[:, :, parent] + scale[:, joint, None, None] * bone
        return out

    def _random_mirror(self, positions: torch.Tensor) -> torch.Tensor:
        if not self.mirror:
            return positions
        flip = torch.from_numpy(self._rng.random(len(positions)) < 0.5).to(positions.device)
        return torch.where(flip[:, None, None, None], mirror_motion(positions), positions)

    def state_dict(self) -> dict[str, Any]:
        """The augmentation generator's state, saved in checkpoints."""
        return {"rng_state": self._rng.bit_generator.state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the augmentation generator's state from a checkpoint."""
        self._rng.bit_generator.state = state_dict["rng_state"]

    # --- reporting -----------------------------------------------------------------------------
    def stats(self) -> dict[str, dict[str, int]]:
        """Clips, frames and windows per split (train windows at ``train_stride``), plus the total."""
        clips = self._loaded_clips()
        out: dict[str, dict[str, int]] = {}
        for split in SPLITS:
            members = [c for c in clips if c.split == split]
            out[split] = {"clips": len(members), "frames": sum(len(c.positions_m) for c in members),
                          "windows": len(self.datasets[split])}
        out["total"] = {key: sum(out[s][key] for s in SPLITS) for key in ("clips", "frames", "windows")}
        for name in ("test-bench", "ood-val", "ood-test"):
            windows = self.datasets[name]
            out[name] = {"clips": len(set(windows.windows.clip_id.tolist())), "frames": len(windows) * self.window,
                         "windows": len(windows)}
        return out


_BONE_SIDE_CANONICAL = np.minimum(np.arange(skeleton.NUM_JOINTS), skeleton.MIRROR_PERMUTATION)


def _balance_pattern(balance_by: str) -> re.Pattern | str | None:
    """None for "source", "style" as it is; else the compiled pattern, with a group naming the clip's group."""
    if balance_by == "source":
        return None
    if balance_by == "style":
        return balance_by
    try:
        pattern = re.compile(balance_by)
    except re.error as err:
        raise ValueError(f"data.balance_by: {balance_by!r} is neither 'source', 'style' nor a regular expression "
                         f"({err})") \
            from None
    if pattern.groups < 1:
        raise ValueError(f"data.balance_by: {balance_by!r} has no group (...) to name a clip's group by")
    return pattern


def _balance_group(clip: Clip, pattern: re.Pattern | str | None) -> str:
    if pattern is None:
        return _source_group(clip.source)
    if pattern == "style":
        return clip_style(clip.name)
    found = pattern.search(clip.name)
    if found is None or found.group(1) is None:
        raise ValueError(f"data.balance_by: {pattern.pattern!r} does not match the clip {clip.name!r} "
                         f"({clip.source})")
    return found.group(1)


def _source_group(source: str) -> str:
    """The source a clip counts toward when balancing: its zip archive, or the folder of its file."""
    return source if source.lower().endswith(".zip") else str(Path(source).parent)


def _int_concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)


def _camera_ranges(values: dict, field: str) -> CameraRanges:
    try:
        ranges = CameraRanges(
            yaw_deg=tuple(values["yaw_deg"]), pitch_deg=tuple(values["pitch_deg"]),
            distance_m=tuple(values["distance_m"]), focal_px=float(values["focal_px"]),
            principal_px=tuple(values["principal_px"]))
    except (KeyError, TypeError) as err:
        raise ValueError(f"{field} needs yaw_deg, pitch_deg, distance_m, focal_px, principal_px ({err})") from None
    for name in ("yaw_deg", "pitch_deg", "distance_m", "principal_px"):
        if len(getattr(ranges, name)) != 2:
            raise ValueError(f"{field}.{name} must be two numbers, got {getattr(ranges, name)}")
    if ranges.distance_m[0] <= 0:
        raise ValueError(f"{field}.distance_m must be positive, got {ranges.distance_m}")
    return ranges
