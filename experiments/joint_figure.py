"""Draw docs/figures/joints.png: the 21 output joints by name on a schematic person facing the camera (the
actor's left on the image's right), the detector's 12 joints ringed (what `docs/joints.md` maps)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from jumps_pl import skeleton
from jumps_pl.drawing import COLOURS, draw_legend, draw_pose

REPO = Path(__file__).resolve().parents[1]
# a person facing the camera, arms lowered to the sides: x, y in px of an 820 x 700 canvas
FRONT = {"Hips": (410, 330), "Spine": (410, 270), "Chest": (410, 200), "Neck": (410, 130), "Head": (410, 70),
         "Shoulder_L": (450, 150), "UpperArm_L": (500, 160), "LowerArm_L": (530, 260), "Hand_L": (550, 350),
         "Shoulder_R": (370, 150), "UpperArm_R": (320, 160), "LowerArm_R": (290, 260), "Hand_R": (270, 350),
         "UpperLeg_L": (450, 340), "LowerLeg_L": (460, 480), "Foot_L": (465, 610), "Toes_L": (490, 650),
         "UpperLeg_R": (370, 340), "LowerLeg_R": (360, 480), "Foot_R": (355, 610), "Toes_R": (330, 650)}


def main() -> None:
    pose = np.array([FRONT[name] for name in skeleton.HIGH_RES_JOINTS], dtype=np.float64)
    image = Image.new("RGB", (820, 700), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw_pose(draw, pose, 4)
    given = set(int(j) for j in skeleton.INPUT_INDICES)
    for j, name in enumerate(skeleton.HIGH_RES_JOINTS):
        x, y = pose[j]
        side = skeleton.side_of(j)
        if j in given:
            draw.ellipse([x - 6, y - 6, x + 6, y + 6], outline=COLOURS["input"], width=3)
        label = name + ("" if j in given else " (added)")
        dx = -14 - 6 * len(label) if side == "right" else 14
        draw.text((x + dx, y - 6), label, fill=(0, 0, 0))
    draw_legend(draw, (8, 8), [("left (the actor's own)", COLOURS["left"]), ("right", COLOURS["right"]),
                               ("centre / added joints", COLOURS["centre"]),
                               ("ringed: a detector's joint", COLOURS["input"])])
    out = REPO / "docs" / "figures" / "joints.png"
    image.save(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
