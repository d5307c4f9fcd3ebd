"""Skeleton sheets: a few frames of several named 2D pose sequences side by side, as an RGB image.

They are the logged validation images and the evaluation example, in the one style of ``jumps_pl.drawing``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from jumps_pl import skeleton
from jumps_pl.drawing import draw_legend, draw_pose, legend_entries
from jumps_pl.files import write_atomically
from jumps_pl.plots import plot_pckh_curves

__all__ = ["draw_sequences", "plot_pckh_curves", "save_png"]

_CELL = (160, 200)  # width, height of one frame's cell, px
_PAD = 8
_CAPTION = 14  # height of the "t=..." line above each cell
_BACKGROUND = (255, 255, 255)
_TEXT = (40, 40, 40)
_FRAME = (225, 225, 225)
_LINE_WIDTH = 2


def save_png(path: str | Path, image: np.ndarray) -> Path:
    """Write an (H, W, 3) uint8 image as PNG, atomically."""
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f"save_png takes an (H, W, 3) uint8 image, got {image.dtype} {image.shape}")
    return write_atomically(path, lambda tmp: Image.fromarray(image).save(tmp, format="PNG"))


def draw_sequences(rows: dict[str, np.ndarray], frames: int = 6, fps: float = 30.0) -> np.ndarray:
    """One row per named sequence (T, 21, 2) in pixels (image y down); returns (H, W, 3) uint8.

    ``frames`` evenly spaced frames per row, each titled with its time in seconds at ``fps``, each row
    scaled to fit its cells, a label per row, and a colour key below; NaN joints are left out.
    """
    font = ImageFont.load_default(size=11)
    names = list(rows)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    label_width = int(max((probe.textlength(name, font=font) for name in names), default=0)) + 2 * _PAD
    entries = [(label, colour) for label, colour in legend_entries() if label != "detector input"]
    key_height = 14 * len(entries) + 2 * _PAD
    image = Image.new("RGB", (label_width + frames * _CELL[0], max(1, len(names)) * _CELL[1] + key_height),
                      _BACKGROUND)
    draw = ImageDraw.Draw(image)
    for r, name in enumerate(names):
        sequence = np.asarray(rows[name], dtype=np.float64)
        if sequence.ndim != 3 or sequence.shape[1:] != (skeleton.NUM_JOINTS, 2):
            raise ValueError(f"draw_sequences: row {name!r} has shape {sequence.shape}; expected (T, 21, 2)")
        top = r * _CELL[1]
        draw.text((_PAD, top + _CELL[1] // 2), name, fill=_TEXT, font=font, anchor="lm")
        _draw_row(draw, sequence, frames, (label_width, top), font, fps)
    draw_legend(draw, (_PAD, max(1, len(names)) * _CELL[1] + _PAD // 2), entries)
    return np.asarray(image, dtype=np.uint8).copy()


def _draw_row(draw: ImageDraw.ImageDraw, sequence: np.ndarray, frames: int, origin: tuple[int, int],
              font: ImageFont.ImageFont | ImageFont.FreeTypeFont, fps: float) -> None:
    """``frames`` evenly spaced frames of one sequence in cells from ``origin``.

    One scale for the row (its largest pose fits a cell), each pose centred in its cell, so poses stay
    large when the person travels.
    """
    picks = np.linspace(0, len(sequence) - 1, frames).round().astype(int)
    boxes = [_box(sequence[t]) for t in picks]
    extents = [high - low for low, high in (b for b in boxes if b is not None)]
    if not extents:
        return
    room = np.array([_CELL[0] - 2 * _PAD, _CELL[1] - _CAPTION - 2 * _PAD], dtype=np.float64)
    scale = float(np.min(room / np.maximum(np.max(extents, axis=0), 1e-6)))
    for c, (t, box) in enumerate(zip(picks, boxes, strict=True)):
        left = origin[0] + c * _CELL[0]
        draw.rectangle([left, origin[1], left + _CELL[0] - 1, origin[1] + _CELL[1] - 1], outline=_FRAME)
        draw.text((left + _CELL[0] // 2, origin[1] + _PAD // 2), f"t = {t / fps:.2f} s", fill=_TEXT, font=font,
                  anchor="mt")
        if box is not None:
            centre = np.array([left + _CELL[0] / 2, origin[1] + _CAPTION + _PAD + room[1] / 2])
            draw_pose(draw, (sequence[t] - (box[0] + box[1]) / 2) * scale + centre, _LINE_WIDTH)


def _box(pose: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(low, high) corners of a pose's finite joints, or None when it has none."""
    finite = pose[np.isfinite(pose).all(axis=-1)]
    return (finite.min(axis=0), finite.max(axis=0)) if len(finite) else None
