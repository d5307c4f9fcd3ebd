"""`jumps render`: input and upsampled skeletons over the source video's frames, or on a blank canvas,
to a GIF (Pillow) or an MP4 (PyAV, H.264), in the style of ``jumps_pl.drawing``; a video's size and rate."""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from jumps_pl import skeleton
from jumps_pl.drawing import draw_input, draw_pose, draw_repairs, draw_uncertainty
from jumps_pl.files import check_output, write_atomically
from jumps_pl.io.tracks import LAYOUTS, PoseFormatError, _frame_number


@dataclass
class Upsampled:
    """What `jumps upsample` wrote: ``keypoints`` (P, F, 21, 2) px (NaN outside a track), ``inputs``
    (P, F, 12, 2) (NaN where not detected), ``frames`` (F,) frame numbers, ``fps``; ``uncertainty``
    (P, F, 21) the predicted 90% radius in px (NaN where not written) and ``inferred`` (P, F, 21) the
    joints the method inferred rather than took from a confident detection."""

    keypoints: np.ndarray
    inputs: np.ndarray
    frames: np.ndarray
    fps: float | None
    track_ids: list[str]
    uncertainty: np.ndarray | None = None
    inferred: np.ndarray | None = None
    repair: np.ndarray | None = None  # (P, F, 21) 0 kept, 1 relabelled, 2 set aside (io.tracks.REPAIR_CODES)


def read_upsampled(path: str | Path) -> Upsampled:
    """An output of `jumps upsample` (.npz, or AlphaPose/COCO/MediaPipe JSON with the jumps_* fields)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if path.is_dir():
        return _read_openpose_output(path)
    if path.suffix.lower() == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                uncertainty = data["uncertainty_px"] if "uncertainty_px" in data.files else None
                repair = data["repair"] if "repair" in data.files else None
                return Upsampled(data["keypoints"], data["input_keypoints"], data["frames"], float(data["fps"]),
                                 [str(t) for t in data["track_ids"]], uncertainty, ~data["observed"], repair)
        except (KeyError, ValueError, OSError) as err:
            raise PoseFormatError(f"{path}: not an output of `jumps upsample` ({err})") from None
    if path.suffix.lower() != ".json":
        raise PoseFormatError(f"{path}: render reads the .npz, .json or OpenPose folder that `jumps upsample` wrote")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise PoseFormatError(f"{path}: malformed JSON at line {err.lineno}: {err.msg}") from None
    rows: list[tuple] = []
    fps = None
    if isinstance(data, dict) and "detections" in data:
        fps = data.get("fps")
        for d in data["detections"]:
            if "jumps_landmarks" in d:
                marks = d.get("landmarks") or []
                names = data.get("landmark_names") or []
                given = [marks[names.index(n)][:2] for n in skeleton.LOW_RES_JOINTS] if marks and names else []
                marks21 = d["jumps_landmarks"]
                rows.append((int(d["frame"]), "0", [v[:2] for v in marks21], given, [v[2] for v in marks21],
                             d.get("jumps_uncertainty_px"), d.get("jumps_repair")))
    elif isinstance(data, list):
        for i, e in enumerate(data):
            if isinstance(e, dict) and "jumps_keypoints" in e:
                triples = np.asarray(e["jumps_keypoints"], dtype=np.float64).reshape(-1, 3)
                kp = e.get("keypoints") or []
                given = np.asarray(kp, dtype=np.float64).reshape(-1, 3)[5:17, :2].tolist() if len(kp) >= 51 else []
                rows.append((_frame_number(path, f"entry {i}", e["image_id"]), str(e.get("jumps_track", 0)),
                             triples[:, :2].tolist(), given, triples[:, 2].tolist(), e.get("jumps_uncertainty_px"),
                             e.get("jumps_repair")))
    return _assemble(path, rows, fps)


def _read_openpose_output(folder: Path) -> Upsampled:
    rows: list[tuple] = []
    for order, file in enumerate(sorted(folder.glob("*.json"))):
        try:
            data = json.loads(file.read_text())
        except json.JSONDecodeError as err:
            raise PoseFormatError(f"{file}: malformed JSON at line {err.lineno}: {err.msg}") from None
        frame = _frame_number(file, "file name", file.name) if any(c.isdigit() for c in file.stem) else order
        for person in data.get("people", []):
            if "jumps_keypoints_2d" not in person:
                continue
            triples = np.asarray(person["jumps_keypoints_2d"], dtype=np.float64).reshape(-1, 3)
            kp = np.asarray(person.get("pose_keypoints_2d") or [], dtype=np.float64).reshape(-1, 3)
            layout = {25: "body25", 18: "coco18"}.get(len(kp))
            given = kp[list(LAYOUTS[layout]), :2].tolist() if layout else []
            rows.append((frame, str(person.get("jumps_track", 0)), triples[:, :2].tolist(), given,
                         triples[:, 2].tolist(), person.get("jumps_uncertainty_px"), person.get("jumps_repair")))
    return _assemble(folder, rows, None)


def _assemble(path: Path, rows: list[tuple], fps: float | None) -> Upsampled:
    if not rows:
        raise PoseFormatError(f"{path}: no jumps_keypoints / jumps_landmarks: not an output of `jumps upsample`")
    frames = np.arange(min(r[0] for r in rows), max(r[0] for r in rows) + 1)
    tracks = sorted({r[1] for r in rows})
    keypoints = np.full((len(tracks), len(frames), skeleton.NUM_JOINTS, 2), np.nan, dtype=np.float32)
    inputs = np.full((len(tracks), len(frames), 12, 2), np.nan, dtype=np.float32)
    uncertainty = np.full(keypoints.shape[:3], np.nan, dtype=np.float32)
    inferred = np.zeros(keypoints.shape[:3], dtype=bool)
    repair = np.zeros(keypoints.shape[:3], dtype=np.int8)
    for frame, track, flat, given, confidence, radius, repaired in rows:
        at = (tracks.index(track), frame - frames[0])
        keypoints[at] = flat
        inferred[at] = np.asarray(confidence) == 0
        if given:
            inputs[at] = given
        if radius is not None:
            uncertainty[at] = [np.nan if r is None else r for r in radius]
        if repaired is not None:
            repair[at] = repaired
    return Upsampled(keypoints, inputs, frames, fps, tracks, uncertainty, inferred, repair)


def video_size(path: str | Path) -> tuple[int, int]:
    """(width, height) in pixels of a video's first video stream, e.g. to scale normalized detections."""
    with _video_stream(path) as stream:
        return stream.width, stream.height


def video_rate(path: str | Path) -> float | None:
    """Frames per second of a video's first video stream (its average rate); None when it states none."""
    with _video_stream(path) as stream:
        return float(stream.average_rate) if stream.average_rate else None


@contextmanager
def _video_stream(path: str | Path) -> Iterator:
    import av

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"video {path} does not exist")
    try:
        container = av.open(str(path))
        stream = container.streams.video[0]
    except (av.error.FFmpegError, IndexError) as err:
        raise ValueError(f"{path}: not a readable video ({err})") from None
    with container:
        yield stream


def _video_frames(video: Path | None) -> tuple[Iterator[np.ndarray] | None, float | None, tuple[int, int] | None]:
    if video is None:
        return None, None, None
    import av

    if not video.is_file():
        raise FileNotFoundError(f"video {video} does not exist")
    try:
        container = av.open(str(video))
        stream = container.streams.video[0]
    except (av.error.FFmpegError, IndexError) as err:
        raise ValueError(f"{video}: not a readable video ({err})") from None

    def frames() -> Iterator[np.ndarray]:
        with container:
            for frame in container.decode(stream):
                yield frame.to_ndarray(format="rgb24")
    return frames(), float(stream.average_rate) if stream.average_rate else None, (stream.width, stream.height)


def _draw(image: Image.Image, upsampled: Upsampled, k: int, scale: float, uncertainty: bool,
          repairs: bool = False) -> None:
    draw = ImageDraw.Draw(image)
    width = max(2, round(3 * scale * image.width / 640))
    for p in range(len(upsampled.keypoints)):
        draw_input(draw, upsampled.inputs[p, k] * scale, width)
        draw_pose(draw, upsampled.keypoints[p, k] * scale, width)
        if uncertainty and upsampled.uncertainty is not None:
            draw_uncertainty(draw, upsampled.keypoints[p, k] * scale, upsampled.uncertainty[p, k] * scale,
                             upsampled.inferred[p, k], width)
        if repairs and upsampled.repair is not None:
            draw_repairs(draw, upsampled.keypoints[p, k] * scale, upsampled.repair[p, k], width)


def _title(image: Image.Image, text: str) -> None:
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 8 + 7 * len(text), 16], fill=(0, 0, 0))
    draw.text((4, 2), text, fill=(255, 255, 255))


def render(source: str | Path, out: str | Path, video: str | Path | None = None, fps: float | None = None,
           width: int | None = None, overwrite: bool = False, uncertainty: bool = False,
           compare: str | Path | None = None, repairs: bool = False) -> Path:
    """Draw every frame of an upsampled file: grey = the detector's input joints, colours = the 21
    joints (left blue, right red, centre and added joints yellow). ``uncertainty``: a circle of the
    predicted 90% radius around every inferred joint. ``compare``: another output of `jumps upsample`
    on the same input (another method), drawn side by side over the same frames. ``repairs``: a
    magenta ring where the detector's left and right were exchanged, a black one where its joint was
    set aside."""
    out = Path(out)
    if out.suffix.lower() not in (".gif", ".mp4"):
        raise ValueError(f"--out {out}: render writes .gif or .mp4")
    if fps is not None and not fps > 0:
        raise ValueError(f"--fps {fps}: must be a positive number of frames per second")
    if width is not None and not width > 0:
        raise ValueError(f"--width {width}: must be a positive number of pixels")
    check_output(out, overwrite)
    upsampled = read_upsampled(source)
    other = read_upsampled(compare) if compare else None
    if uncertainty and (upsampled.uncertainty is None or not np.isfinite(upsampled.uncertainty).any()):
        raise ValueError(f"{source}: has no uncertainty to draw: its method had no calibration when `jumps upsample` "
                         "wrote it (`jumps calibrate`, then upsample.calibration=FILE)")
    frames_iter, video_fps, size = _video_frames(Path(video) if video else None)
    fps = fps or upsampled.fps or video_fps or 30.0
    if size is None:
        finite = np.concatenate([upsampled.keypoints.reshape(-1, 2), upsampled.inputs.reshape(-1, 2)])
        finite = finite[np.isfinite(finite).all(1)]
        size = (int(finite[:, 0].max() + 40), int(finite[:, 1].max() + 40))
    native_width = size[0]
    if width is None:
        width = min(native_width, 480 if out.suffix.lower() == ".gif" else native_width)
    scale = width / native_width
    out_size = (int(round(size[0] * scale)) // 2 * 2, int(round(size[1] * scale)) // 2 * 2)
    images = _drawn_frames(upsampled, other, frames_iter, out_size, scale, uncertainty, repairs,
                           Path(source).stem, Path(compare).stem if compare else "")
    if out.suffix.lower() == ".gif":  # Pillow's GIF writer keeps the frames; MP4 is encoded frame by frame
        frames = list(images)
        write_atomically(out, lambda tmp: frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:],
                                                         duration=round(1000 / fps), loop=0))
    else:
        write_atomically(out, lambda tmp: _write_mp4(tmp, images, fps))
    return out


def _drawn_frames(upsampled: Upsampled, other: Upsampled | None, frames_iter: Iterator[np.ndarray] | None,
                  out_size: tuple[int, int], scale: float, uncertainty: bool, repairs: bool, title: str,
                  other_title: str) -> Iterator[Image.Image]:
    """One drawn image per frame from the first upsampled frame on, generated as the video is read."""
    background = None
    for frame in range(0, int(upsampled.frames[-1]) + 1):
        if frames_iter is not None:
            background = next(frames_iter, background)
        if frame < upsampled.frames[0]:
            continue
        image = (Image.fromarray(background).resize(out_size) if background is not None
                 else Image.new("RGB", out_size, (255, 255, 255)))
        _draw(image, upsampled, frame - int(upsampled.frames[0]), scale, uncertainty, repairs)
        if other is None:
            yield image
            continue
        right = (Image.fromarray(background).resize(out_size) if background is not None
                 else Image.new("RGB", out_size, (255, 255, 255)))
        k = frame - int(other.frames[0])
        if 0 <= k < len(other.frames):
            _draw(right, other, k, scale, uncertainty and other.uncertainty is not None, repairs)
        _title(image, title)
        _title(right, other_title)
        both = Image.new("RGB", (2 * out_size[0], out_size[1]))
        both.paste(image, (0, 0))
        both.paste(right, (out_size[0], 0))
        yield both


def _write_mp4(path: Path, images: Iterator[Image.Image], fps: float) -> None:
    from fractions import Fraction

    import av

    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1000))
        stream.pix_fmt = "yuv420p"
        for k, image in enumerate(images):
            if k == 0:
                stream.width, stream.height = image.size
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
