"""``hpe-real``: a real detector (MediaPipe Pose) on the evaluation windows, rendered as a mannequin.

Each window of a set is rendered (``jumps_pl.mannequin``) through its protocol camera, with a look drawn
from ``[seed, set code, window]``, and MediaPipe Pose tracks the figure from the window's first frame.
The landmarks are stored in the full frame's pixels, so they score against the mocap like any
row. The files ship with the package (``jumps_pl/detections/SET.npz``, CC BY-NC 4.0 like the corpus they
derive from); `jumps detect-windows` makes them again.

A file's arrays: ``landmarks_px`` (W, T, 33, 2) float32, ``visibility`` and ``presence`` (W, T, 33)
float16, ``found`` (W, T) bool, and per window ``clip`` (its clip's name), ``start`` (first frame in the
clip), ``zoom`` and ``centre_px`` (the crop), and in files made since training windows could be rendered,
``index`` (the window's index in its dataset) and ``camera_R``, ``camera_t`` (its camera); ``detector``,
``seed``, ``split`` and ``format`` say how they were made.
"""
from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np

from jumps_pl import skeleton
from jumps_pl.evaluation.tasks import TaskInput
from jumps_pl.files import write_npz
from jumps_pl.io.tracks import LAYOUTS
from jumps_pl.joint_centres import CentreMap, LandmarkMap
from jumps_pl.schema import REAL_SETS
from jumps_pl.scores import ScoreMap

FORMAT = "hpe-real-v1"
SETS = {name: code for code, name in enumerate(REAL_SETS, start=1)}   # the set codes that seed the looks
SEED = 0
_INPUT_LANDMARKS = list(LAYOUTS["mediapipe33"])


def shipped_path(split: str) -> Path:
    """Where the package keeps the detections of ``split``."""
    return Path(str(resources.files("jumps_pl") / "detections" / f"{split}.npz"))


def render_window(positions_m: np.ndarray, camera: dict[str, np.ndarray], look_seed: list[int]):
    """A window (T, 21, 3) rendered through ``camera``: its frames (T, H, W, 3) uint8 and its ``View``."""
    from jumps_pl.mannequin import Look, Mannequin, View, floor_height

    view = View.framing(camera, positions_m)
    figure = Mannequin(view, Look.draw(np.random.default_rng(look_seed)), floor_height(positions_m))
    return np.stack([figure.render(p) for p in positions_m]), view


def detect_windows(datamodule, split: str, windows: int | None = None, seed: int = SEED,
                   report: Callable[[int, int], None] | None = None,
                   video_dir: str | Path | None = None) -> dict[str, np.ndarray]:
    """Render and detect the first ``windows`` windows of ``split`` of a set-up ``MocapDataModule``.

    ``split`` ``train``: ``windows`` training windows drawn with ``seed``, under random cameras.

    ``report(done, total)`` hears of each window; ``video_dir``: also write each window's video there.
    """
    from jumps_pl.detect import PoseDetector

    if split not in SETS:
        raise ValueError(f"hpe-real covers {', '.join(SETS)}, not {split!r}")
    items = _window_items(datamodule, split, windows, seed)
    count = len(items)
    frames_per_window = datamodule.window
    landmarks = np.full((count, frames_per_window, 33, 2), np.nan, np.float32)
    visibility = np.zeros((count, frames_per_window, 33), np.float16)
    presence = np.zeros_like(visibility)
    zoom, centre, start, clip = np.zeros(count), np.zeros((count, 2)), np.zeros(count, np.int64), []
    rotation, translation, index = np.zeros((count, 3, 3)), np.zeros((count, 3)), np.zeros(count, np.int64)
    name = ""
    for w, item in enumerate(items):
        positions, camera = item["positions_m"], item["camera"]
        rotation[w], translation[w], index[w] = camera["R"], camera["t"], item["index"]
        frames, view = render_window(positions, camera, [seed, SETS[split], w])
        with PoseDetector() as detector:   # a fresh track per window: windows come from different clips
            name = detector.name
            for t, frame in enumerate(frames):
                found = detector(frame)
                if found is not None:
                    landmarks[w, t] = view.to_full_frame(found[:, :2])
                    visibility[w, t], presence[w, t] = found[:, 2], found[:, 3]
        if video_dir is not None:
            from PIL import Image

            from jumps_pl.io.video import write_mp4

            write_mp4(Path(video_dir) / f"{split}-{w:04d}.mp4", (Image.fromarray(f) for f in frames),
                      datamodule.fps)
        zoom[w], centre[w], start[w] = view.zoom, view.to_full_frame(np.array(view.size) / 2), item["start"]
        clip.append(datamodule.clip_names[item["clip_id"]])
        if report:
            report(w + 1, count)
    return {"landmarks_px": landmarks, "visibility": visibility, "presence": presence,
            "found": ~np.isnan(landmarks[..., 0, 0]), "clip": np.array(clip), "start": start, "zoom": zoom,
            "centre_px": centre, "camera_R": rotation, "camera_t": translation, "index": index,
            "detector": np.array(name),
            "seed": np.array(seed), "split": np.array(split), "format": np.array(FORMAT)}


def _window_items(datamodule, split: str, windows: int | None, seed: int) -> list[dict]:
    """The windows to render: ``positions_m`` (T, 21, 3), ``camera`` (numpy), ``start``, ``clip_id``.

    An evaluation set: its first ``windows`` windows with their protocol cameras. ``train``: ``windows``
    windows drawn with ``seed`` from the training windows as training draws them (``data.source_balance``,
    ``data.balance_by``: every style equally often with ``1`` and ``style``), each with a camera drawn from
    ``data.train_camera`` (training has no fixed cameras).
    """
    if split != "train":
        dataset = datamodule.datasets[split]
        count = len(dataset) if windows is None else min(windows, len(dataset))
        items = [dataset[w] for w in range(count)]
        return [{"positions_m": item["positions_m"].numpy().astype(np.float64),
                 "camera": {k: v.numpy() for k, v in item["camera"].items()},
                 "start": item["start"], "clip_id": item["clip_id"], "index": w} for w, item in enumerate(items)]
    from jumps_pl.data.cameras import sample_cameras
    from jumps_pl.data.datamodule import TRAIN_MIN_DEPTH_M

    if windows is None:
        raise ValueError("train: say how many windows to draw (--windows N)")
    dataset = datamodule.datasets["train"]
    rng = np.random.default_rng([seed, SETS["train"]])
    weights = datamodule.train_weights
    chosen = np.sort(rng.choice(len(dataset), size=min(windows, len(dataset)), replace=False,
                                p=None if weights is None else weights / weights.sum()))
    out = []
    for index in chosen:
        item = dataset[int(index)]
        positions = item["positions_m"].numpy().astype(np.float64)[:datamodule.window]
        target = positions[:, skeleton.ROOT].mean(0, keepdims=True)
        camera = sample_cameras(rng, target, datamodule.train_camera, points_m=positions[None],
                                min_depth_m=TRAIN_MIN_DEPTH_M)
        out.append({"positions_m": positions, "camera": {k: v[0] for k, v in camera.items()},
                    "start": item["start"], "clip_id": item["clip_id"], "index": int(index)})
    return out


def save_detections(path: str | Path, detections: dict[str, np.ndarray]) -> None:
    """Write a detection file (compressed .npz), atomically."""
    write_npz(path, detections)


def load_detections(path: str | Path, clips: list[str], starts: np.ndarray) -> dict[str, np.ndarray]:
    """A detection file, checked against the windows it is scored on (their clips and first frames)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no real-detector file {path} (make it with `jumps detect-windows`)")
    with np.load(path) as data:
        out = {k: data[k] for k in data.files}
    if str(out.get("format")) != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} detection file (format {out.get('format')!s})")
    count = len(out["clip"])
    if count > len(clips) or list(out["clip"]) != list(clips[:count]) or not np.array_equal(out["start"],
                                                                                          starts[:count]):
        raise ValueError(f"{path}: its {count} windows are not the first windows of this split "
                         f"(different clips or start frames); make it again with `jumps detect-windows`")
    return out


def all_landmarks(detections: dict[str, np.ndarray]) -> np.ndarray:
    """Every landmark with its visibility (W, T, 33, 3), as `jumps upsample` reads a MediaPipe file.

    NaN in frames where the detector found no one.
    """
    landmarks = np.concatenate([detections["landmarks_px"].astype(np.float64),
                                detections["visibility"].astype(np.float64)[..., None]], -1)
    return np.where(detections["found"][..., None, None], landmarks, np.nan)


def real_task(detections: dict[str, np.ndarray], min_confidence: float, scores: str = "read",
              score_map: ScoreMap | None = None, centre_map: CentreMap | None = None,
              landmark_map: LandmarkMap | None = None) -> TaskInput:
    """``hpe-real``'s input: the 12 detected joints, as `jumps upsample` reads a MediaPipe file.

    ``scores="read"``: the confidence is the landmark's visibility (as ``jumps_pl.io.mediapipe`` reads it),
    through ``score_map`` if given (``upsample.scores: calibrated``), and joints below ``min_confidence``
    are missing; ``"ignored"``: every detected joint is given at 0.99. ``centre_map``: the joints are first
    moved to where the mocap puts them (``upsample.joint_centres``). ``landmark_map``: every row's added
    joints are then blended with the map's reading of all the landmarks (``upsample.landmarks``). The
    landmarks are given too (``TaskInput.landmarks``), for what a method reads of them itself. Nothing is
    hidden on purpose, so no entry is scored as ``missing``.
    """
    keypoints, found, visibility, _ = input_joints(detections)
    if centre_map is not None:
        columns = list(skeleton.INPUT_INDICES)
        keypoints[..., columns, :] = centre_map(keypoints[..., columns, :], found[..., columns])
    if scores == "read":
        confidence = visibility if score_map is None else score_map(np.where(found, visibility, 0.0))
        mask = found & (confidence >= max(min_confidence, 1e-6))
    elif scores == "ignored":
        confidence, mask = np.where(found, 0.99, 0.0).astype(np.float32), found
    else:
        raise ValueError(f"scores must be 'read' or 'ignored', got {scores!r}")
    keypoints = np.where(mask[..., None], keypoints, 0.0).astype(np.float32)
    given = TaskInput(keypoints, mask, np.where(mask, confidence, 0.0).astype(np.float32), np.zeros_like(mask))
    given.landmarks = all_landmarks(detections)
    if landmark_map is not None:
        given.after = lambda predictions: landmark_map.blend(predictions, given.landmarks)
    return given


def detector_row(detections: dict[str, np.ndarray]) -> np.ndarray:
    """The detector as it is, as a row: its 12 joints (W, T, 21, 2), NaN where it gave none (scored as misses)."""
    keypoints, found, _, _ = input_joints(detections)
    return np.where(found[..., None], keypoints, np.nan)


def shipped_for(datamodule, split: str) -> dict[str, np.ndarray]:
    """The shipped detections of ``split``, checked against a set-up ``MocapDataModule``'s windows of it."""
    dataset = datamodule.datasets[split]
    clips = [datamodule.clip_names[i] for i in dataset.windows.clip_id]
    return load_detections(shipped_path(split), clips, dataset.windows.start)


def split_truth(datamodule, split: str, count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The mocap of ``split``'s first ``count`` windows as the protocol scores it: (W, T, 21, 2) px, head sizes."""
    import torch

    batches = [datamodule.to_2d(b) for b in datamodule.dataloader(split)]
    target = torch.cat([b["keypoints_px"] for b in batches]).numpy()
    head = torch.cat([b["head_size_px"] for b in batches]).numpy()
    return target[:count], head[:count]


def input_joints(detections: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 12 input joints in the protocol's layout: keypoints (W, T, 21, 2) px, found, visibility, presence.

    The last three are (W, T, 21), zero (False) where the detector gave nothing.
    """
    count, frames = detections["landmarks_px"].shape[:2]
    keypoints = np.zeros((count, frames, skeleton.NUM_JOINTS, 2), np.float32)
    visibility = np.zeros((count, frames, skeleton.NUM_JOINTS), np.float32)
    presence = np.zeros_like(visibility)
    keypoints[..., skeleton.INPUT_INDICES, :] = np.nan_to_num(detections["landmarks_px"][..., _INPUT_LANDMARKS, :])
    visibility[..., skeleton.INPUT_INDICES] = detections["visibility"][..., _INPUT_LANDMARKS]
    presence[..., skeleton.INPUT_INDICES] = detections["presence"][..., _INPUT_LANDMARKS]
    mask = np.zeros(visibility.shape, bool)
    mask[..., skeleton.INPUT_INDICES] = detections["found"][..., None]
    return keypoints, mask, visibility, presence
