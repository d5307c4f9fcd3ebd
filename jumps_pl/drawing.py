"""The one skeleton style of jumps-pl, drawn with Pillow by ``draw_pose``.

Video and GIF frames (``jumps render``), the logged validation images and the evaluation example
(``render.draw_sequences``) all call ``draw_pose``.

Bones take the colour of the side of their child joint (the actor's own left, as COCO's ``left_*``):
left blue, right red, centre yellow; the added joints (those a detector does not give) are yellow dots;
the detector's own 12 input joints are thin grey bones.
"""
from __future__ import annotations

import numpy as np
from PIL import ImageDraw

from jumps_pl import skeleton
from jumps_pl.prediction import RepairCode

Colour = tuple[int, int, int]
COLOURS: dict[str, Colour] = {
    "left": (40, 110, 230),
    "right": (230, 50, 40),
    "centre": (250, 200, 0),
    "added": (250, 200, 0),
    "input": (160, 160, 160),
    "outline": (0, 0, 0),
    "relabelled": (220, 0, 220),
    "set aside": (0, 0, 0),
}


def bone_colour(child: int) -> Colour:
    """The colour of the bone ending at high-res joint ``child``."""
    return COLOURS[skeleton.side_of(child)]


def draw_pose(draw: ImageDraw.ImageDraw, pose_px: np.ndarray, width: int) -> None:
    """The 21 joints (21, 2) px: bones by side, added joints as dots; bones at a NaN joint are skipped."""
    present = np.isfinite(pose_px).all(axis=-1)
    for parent, child in skeleton.BONES:
        if present[parent] and present[child]:
            draw.line([tuple(pose_px[parent]), tuple(pose_px[child])], fill=bone_colour(child), width=width)
    radius = width + 1
    for j in skeleton.ADDED_INDICES:
        if present[j]:
            x, y = pose_px[j]
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=COLOURS["added"],
                         outline=COLOURS["outline"])


def draw_input(draw: ImageDraw.ImageDraw, input_px: np.ndarray, width: int) -> None:
    """The detector's 12 input joints (12, 2) px as thin grey bones; NaN joints skipped."""
    present = np.isfinite(input_px).all(axis=-1)
    for a, b in skeleton.INPUT_BONES:
        if present[a] and present[b]:
            draw.line([tuple(input_px[a]), tuple(input_px[b])], fill=COLOURS["input"], width=max(1, width // 2))


def draw_uncertainty(draw: ImageDraw.ImageDraw, pose_px: np.ndarray, radius_px: np.ndarray, joints: np.ndarray,
                     width: int) -> None:
    """A circle of the predicted 90% radius around each joint where ``joints`` (21,) is True."""
    for j in np.flatnonzero(joints & np.isfinite(radius_px) & np.isfinite(pose_px).all(axis=-1)):
        x, y = pose_px[j]
        r = float(radius_px[j])
        draw.ellipse([x - r, y - r, x + r, y + r], outline=bone_colour(int(j)), width=max(1, width // 2))


def draw_repairs(draw: ImageDraw.ImageDraw, pose_px: np.ndarray, repair: np.ndarray, width: int) -> None:
    """A ring around each joint whose detection was relabelled (magenta) or set aside (black, any reason)."""
    for j in np.flatnonzero((repair > 0) & np.isfinite(pose_px).all(axis=-1)):
        x, y = pose_px[j]
        r = 3 * width + 2
        colour = COLOURS["relabelled"] if repair[j] == RepairCode.RELABELLED else COLOURS["set aside"]
        draw.ellipse([x - r, y - r, x + r, y + r], outline=colour, width=max(2, width))


def legend_entries(repairs: bool = False) -> list[tuple[str, Colour]]:
    """The colour key of a drawn frame: what each colour means, the repair rings when drawn."""
    entries = [("detector input", COLOURS["input"]), ("left", COLOURS["left"]), ("right", COLOURS["right"]),
               ("centre / added joints", COLOURS["centre"])]
    if repairs:
        entries += [("relabelled (left/right)", COLOURS["relabelled"]), ("set aside", COLOURS["set aside"])]
    return entries


def draw_legend(draw: ImageDraw.ImageDraw, origin: tuple[int, int], entries: list[tuple[str, Colour]]) -> None:
    """A colour key at ``origin`` (top left, px): a swatch and a label per entry, on a white box."""
    x, y = origin
    row = 14
    width = 24 + 7 * max(len(label) for label, _ in entries)
    draw.rectangle([x, y, x + width, y + row * len(entries) + 6], fill=(255, 255, 255), outline=(0, 0, 0))
    for k, (label, colour) in enumerate(entries):
        top = y + 4 + k * row
        draw.rectangle([x + 4, top + 2, x + 16, top + 10], fill=colour, outline=(0, 0, 0))
        draw.text((x + 20, top), label, fill=(0, 0, 0))
