"""`jumps render`: input and upsampled skeletons over the source video's frames, or on a blank canvas.

Written to a GIF (Pillow) or an MP4 (PyAV, H.264), in the style of ``jumps_pl.drawing``; also a video's
size and rate.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from jumps_pl import skeleton
from jumps_pl.drawing import draw_input, draw_legend, draw_pose, draw_repairs, draw_uncertainty, legend_entries
from jumps_pl.files import check_output, write_atomically
from jumps_pl.io.tracks import LAYOUTS, PoseFormatError, _frame_number

# what `jumps upsample` reads as a video (MediaPipe Pose detects the person first, `jumps_pl.detect`)
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")


def is_video(path: str | Path) -> bool:
    """Whether ``path`` is a video file by its suffix."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES

@dataclass
class Upsampled:
    """What `jumps upsample` wrote, P tracks over F frames.

    ``keypoints`` (P, F, 21, 2) px (NaN outside a track), ``inputs`` (P, F, 12, 2) (NaN where not
    detected), ``frames`` (F,) frame numbers, ``fps``; ``uncertainty`` (P, F, 21) the predicted 90% radius
    in px (NaN where not written) and ``inferred`` (P, F, 21) the joints the method inferred rather than
    took from a confident detection.
    """

    keypoints: np.ndarray
    inputs: np.ndarray
    frames: np.ndarray
    fps: float | None
    track_ids: list[str]
    uncertainty: np.ndarray | None = None
    inferred: np.ndarray | None = None
    repair: np.ndarray | None = None  # (P, F, 21) 0 kept, 1 relabelled, 2 set aside (prediction.RepairCode)
    method: str | None = None  # the method that wrote it, where the file says


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
                method = str(data["method"]) if "method" in data.files else None
                return Upsampled(data["keypoints"], data["input_keypoints"], data["frames"], float(data["fps"]),
                                 [str(t) for t in data["track_ids"]], uncertainty, ~data["observed"], repair, method)
        except (KeyError, ValueError, OSError) as err:
            raise PoseFormatError(f"{path}: not an output of `jumps upsample` ({err})") from None
    if path.suffix.lower() != ".json":
        raise PoseFormatError(f"{path}: render reads the .npz, .json or OpenPose folder that `jumps upsample` wrote")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise PoseFormatError(f"{path}: malformed JSON at line {err.lineno}: {err.msg}") from None
    rows: list[tuple] = []
    fps, method = None, None
    if isinstance(data, dict) and "detections" in data:
        fps, method = data.get("fps"), data.get("jumps_method")
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
                method = e.get("jumps_method", method)
                triples = np.asarray(e["jumps_keypoints"], dtype=np.float64).reshape(-1, 3)
                kp = e.get("keypoints") or []
                given = np.asarray(kp, dtype=np.float64).reshape(-1, 3)[5:17, :2].tolist() if len(kp) >= 51 else []
                rows.append((_frame_number(path, f"entry {i}", e["image_id"]), str(e.get("jumps_track", 0)),
                             triples[:, :2].tolist(), given, triples[:, 2].tolist(), e.get("jumps_uncertainty_px"),
                             e.get("jumps_repair")))
    return _assemble(path, rows, fps, method)


def _read_openpose_output(folder: Path) -> Upsampled:
    rows: list[tuple] = []
    method = None
    for order, file in enumerate(sorted(folder.glob("*.json"))):
        try:
            data = json.loads(file.read_text())
        except json.JSONDecodeError as err:
            raise PoseFormatError(f"{file}: malformed JSON at line {err.lineno}: {err.msg}") from None
        frame = _frame_number(file, "file name", file.name) if any(c.isdigit() for c in file.stem) else order
        method = data.get("jumps_method", method)
        for person in data.get("people", []):
            if "jumps_keypoints_2d" not in person:
                continue
            triples = np.asarray(person["jumps_keypoints_2d"], dtype=np.float64).reshape(-1, 3)
            kp = np.asarray(person.get("pose_keypoints_2d") or [], dtype=np.float64).reshape(-1, 3)
            layout = {25: "body25", 18: "coco18"}.get(len(kp))
            given = kp[list(LAYOUTS[layout]), :2].tolist() if layout else []
            rows.append((frame, str(person.get("jumps_track", 0)), triples[:, :2].tolist(), given,
                         triples[:, 2].tolist(), person.get("jumps_uncertainty_px"), person.get("jumps_repair")))
    return _assemble(folder, rows, None, method)


def _assemble(path: Path, rows: list[tuple], fps: float | None, method: str | None = None) -> Upsampled:
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
    return Upsampled(keypoints, inputs, frames, fps, tracks, uncertainty, inferred, repair, method)


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


def video_frames(video: Path | None) -> tuple[Iterator[np.ndarray] | None, float | None, tuple[int, int] | None]:
    """A video's RGB frames (H, W, 3) uint8 as they decode, its frame rate and its (width, height).

    ``None`` gives three Nones.
    """
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


def _draw(image: Image.Image, upsampled: Upsampled, k: int, style: _Style, uncertainty: bool) -> None:
    draw = ImageDraw.Draw(image)
    scale = style.scale
    width = max(2, round(3 * scale * image.width / 640))
    for p in range(len(upsampled.keypoints)):
        pose = (upsampled.keypoints[p, k] - style.origin) * scale
        draw_input(draw, (upsampled.inputs[p, k] - style.origin) * scale, width)
        draw_pose(draw, pose, width)
        if uncertainty and upsampled.uncertainty is not None:
            draw_uncertainty(draw, pose, upsampled.uncertainty[p, k] * scale, upsampled.inferred[p, k], width)
        if style.repairs and upsampled.repair is not None:
            draw_repairs(draw, pose, upsampled.repair[p, k], width)


def _title(image: Image.Image, text: str) -> None:
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 8 + 7 * len(text), 16], fill=(0, 0, 0))
    draw.text((4, 2), text, fill=(255, 255, 255))


def _label(upsampled: Upsampled, fallback: str) -> str:
    return upsampled.method or fallback


def render(source: str | Path, out: str | Path, video: str | Path | None = None, fps: float | None = None,
           width: int | None = None, overwrite: bool = False, uncertainty: bool = False,
           compare: str | Path | None = None, repairs: bool = False) -> Path:
    """Draw an upsampled file to ``out``: every frame (.gif or .mp4), or six frames side by side (.png).

    Grey = the detector's input joints, colours = the 21 joints (left blue, right red, centre and added
    joints yellow), with a colour key; each frame is titled with its number, its time and the method.
    ``uncertainty``: a circle of the predicted 90% radius around every inferred joint. ``compare``:
    another output of `jumps upsample` on the same input (another method), drawn side by side over the
    same frames. ``repairs``: a magenta ring where the detector's left and right were exchanged, a black
    one where its joint was set aside.
    """
    out = Path(out)
    kind = out.suffix.lower()
    if kind not in (".gif", ".mp4", ".png"):
        raise ValueError(f"--out {out}: render writes .gif, .mp4 (every frame) or .png (six frames)")
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
    frames_iter, video_fps, size = video_frames(Path(video) if video else None)
    fps = fps or upsampled.fps or video_fps or 30.0
    origin = np.zeros(2)
    if size is None:  # no video: a blank canvas around the people, 40 px to spare
        finite = np.concatenate([upsampled.keypoints.reshape(-1, 2), upsampled.inputs.reshape(-1, 2)])
        finite = finite[np.isfinite(finite).all(1)]
        origin = finite.min(0) - 40
        size = tuple(int(v) for v in np.ceil(finite.max(0) + 40 - origin))
    native_width = size[0]
    if width is None:
        width = min(native_width, 480 if kind in (".gif", ".png") else native_width)
    scale = width / native_width
    out_size = (int(round(size[0] * scale)) // 2 * 2, int(round(size[1] * scale)) // 2 * 2)
    style = _Style(scale, origin, uncertainty, repairs, fps, _label(upsampled, Path(source).stem),
                   _label(other, Path(compare).stem) if other is not None else "")
    if kind == ".png" and video is None and other is None:
        write_atomically(out, lambda tmp: _sheet(upsampled, style).save(tmp, format="PNG"))
        return out
    images = _drawn_frames(upsampled, other, frames_iter, out_size, style)
    if kind == ".png":
        wanted = set(_sheet_frames(len(upsampled.frames)))
        frames = [image for k, image in enumerate(images) if k in wanted]
        write_atomically(out, lambda tmp: _tiled(frames, frames[0].size).save(tmp, format="PNG"))
    elif kind == ".gif":  # Pillow's GIF writer keeps the frames; MP4 is encoded frame by frame
        frames = list(images)
        write_atomically(out, lambda tmp: frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:],
                                                         duration=round(1000 / fps), loop=0))
    else:
        write_atomically(out, lambda tmp: write_mp4(tmp, images, fps))
    return out


@dataclass(frozen=True)
class _Style:
    """How frames are drawn: the scale, what is drawn beside the joints, the rate and the titles."""

    scale: float
    origin: np.ndarray  # the image's top left in the poses' pixels
    uncertainty: bool
    repairs: bool
    fps: float
    title: str
    other_title: str


def _sheet_frames(count: int, shown: int = 6) -> list[int]:
    return np.linspace(0, count - 1, min(shown, count)).round().astype(int).tolist()


def _tiled(images: list[Image.Image], size: tuple[int, int], columns: int = 3) -> Image.Image:
    """Images of one ``size`` in rows of ``columns``."""
    columns = min(columns, len(images))
    rows = -(-len(images) // columns)
    sheet = Image.new("RGB", (columns * size[0], rows * size[1]), (255, 255, 255))
    for k, image in enumerate(images):
        sheet.paste(image, ((k % columns) * size[0], (k // columns) * size[1]))
    return sheet


def _sheet(upsampled: Upsampled, style: _Style, tile_width: int = 320) -> Image.Image:
    """Six evenly spaced frames, each cropped around the people, in two rows of three, one colour key."""
    poses = np.concatenate([upsampled.keypoints, upsampled.inputs], axis=2)  # (P, F, 33, 2)
    extent = np.nanmax(np.nanmax(poses, axis=2) - np.nanmin(poses, axis=2), axis=(0, 1)) + 80  # (2,) px
    scale = tile_width / extent[0]
    size = (tile_width, int(extent[1] * scale) + 24)
    tiles = []
    for k in _sheet_frames(len(upsampled.frames)):
        centre = np.nanmean(poses[:, k].reshape(-1, 2), axis=0)
        origin = centre - extent / 2 - np.array([0.0, 24 / scale])  # room for the title
        tile = Image.new("RGB", size, (255, 255, 255))
        _draw(tile, upsampled, k, replace(style, scale=scale, origin=origin), style.uncertainty)
        _title(tile, f"frame {int(upsampled.frames[k])}  {int(upsampled.frames[k]) / style.fps:.2f} s")
        tiles.append(tile)
    sheet = _tiled(tiles, size)
    entries = legend_entries(style.repairs)
    key = Image.new("RGB", (sheet.width, 14 * len(entries) + 40), (255, 255, 255))
    draw = ImageDraw.Draw(key)
    draw.text((4, 4), style.title, fill=(0, 0, 0))
    draw_legend(draw, (4, 22), entries)
    out = Image.new("RGB", (sheet.width, sheet.height + key.height), (255, 255, 255))
    out.paste(sheet, (0, 0))
    out.paste(key, (0, sheet.height))
    return out


def _frame_image(background: np.ndarray | None, size: tuple[int, int]) -> Image.Image:
    return Image.fromarray(background).resize(size) if background is not None else Image.new("RGB", size,
                                                                                             (255, 255, 255))


def _decorate(image: Image.Image, frame: int, title: str, style: _Style) -> None:
    """The frame's number, time and method at the top, the colour key at the bottom left."""
    _title(image, f"frame {frame}  {frame / style.fps:.2f} s  {title}")
    entries = legend_entries(style.repairs)
    draw_legend(ImageDraw.Draw(image), (2, image.height - 14 * len(entries) - 10), entries)


def _drawn_frames(upsampled: Upsampled, other: Upsampled | None, frames_iter: Iterator[np.ndarray] | None,
                  out_size: tuple[int, int], style: _Style) -> Iterator[Image.Image]:
    """One drawn image per frame from the first upsampled frame on, generated as the video is read."""
    background = None
    for frame in range(0, int(upsampled.frames[-1]) + 1):
        if frames_iter is not None:
            background = next(frames_iter, background)
        if frame < upsampled.frames[0]:
            continue
        image = _frame_image(background, out_size)
        _draw(image, upsampled, frame - int(upsampled.frames[0]), style, style.uncertainty)
        _decorate(image, frame, style.title, style)
        if other is None:
            yield image
            continue
        right = _frame_image(background, out_size)
        k = frame - int(other.frames[0])
        if 0 <= k < len(other.frames):
            _draw(right, other, k, style, style.uncertainty and other.uncertainty is not None)
        _decorate(right, frame, style.other_title, style)
        both = Image.new("RGB", (2 * out_size[0], out_size[1]))
        both.paste(image, (0, 0))
        both.paste(right, (out_size[0], 0))
        yield both


def write_mp4(path: Path, images: Iterator[Image.Image], fps: float) -> None:
    """Encode ``images`` (all of one size) as H.264 MP4 at ``fps`` frames per second."""
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
