"""BVH reading: forward kinematics against an independent computation, and bad input."""
from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from jumps_pl.data.bvh import BvhError, load_bvh, parse_bvh


def reference_positions(text: str) -> tuple[list[str], np.ndarray]:
    """Independent FK: a recursive-descent parse, scipy rotations, 4x4 matrices, one frame at a time."""
    tokens = iter(re.findall(r"\S+", text.split("MOTION")[0]))
    joints: list[dict] = []

    def node(parent: int) -> None:
        assert next(tokens) == "{"
        index = len(joints) - 1
        while True:
            word = next(tokens)
            if word == "OFFSET":
                offset = [float(next(tokens)) for _ in range(3)]
                if index >= 0 and joints[index]["offset"] is None:
                    joints[index]["offset"] = offset
            elif word == "CHANNELS":
                joints[index]["channels"] = [next(tokens) for _ in range(int(next(tokens)))]
            elif word in ("JOINT", "ROOT"):
                joints.append({"name": next(tokens), "parent": index, "offset": None, "channels": []})
                node(index)
            elif word == "End":
                next(tokens)
                joints.append({"name": None, "parent": index, "offset": None, "channels": []})
                node(index)
                joints.pop()
            elif word == "}":
                return

    assert next(tokens) == "HIERARCHY" and next(tokens) == "ROOT"
    joints.append({"name": next(tokens), "parent": -1, "offset": None, "channels": []})
    node(-1)
    frames = [line.split() for line in text.split("Frame Time:")[1].splitlines()[1:] if line.strip()]
    out = np.zeros((len(frames), len(joints), 3))
    for f, values in enumerate(frames):
        values = [float(v) for v in values]
        world = []
        for j, joint in enumerate(joints):
            local = np.eye(4)
            local[:3, 3] = joint["offset"]
            axes, angles = "", []
            for name in joint["channels"]:
                value = values.pop(0)
                if name.endswith("position"):
                    local[:3, 3]["XYZ".index(name[0])] = value
                else:
                    axes += name[0]
                    angles.append(value)
            local[:3, :3] = Rotation.from_euler(axes, angles, degrees=True).as_matrix()  # intrinsic
            world.append(local if joint["parent"] < 0 else world[joint["parent"]] @ local)
            out[f, j] = world[j][:3, 3] / 100.0
    return [j["name"] for j in joints], out


def test_forward_kinematics_matches_an_independent_computation(real_clip_bytes, tmp_path):
    path = tmp_path / "clip.bvh"
    path.write_bytes(real_clip_bytes)
    motion = load_bvh(path)
    names, expected = reference_positions(real_clip_bytes.decode())
    assert motion.names == names and len(names) == 22 and "joint_Root" in names
    assert motion.positions.dtype == np.float32 and motion.positions.shape == expected.shape
    assert abs(motion.fps - 30.0) < 1e-3
    assert np.abs(motion.positions - expected).max() < 1e-5
    # Metres: a person's head is between 1 and 2 m above the floor.
    assert 1.0 < motion.positions[0, names.index("Head"), 1] < 2.0


def _frame_lines(text: str) -> tuple[list[str], int]:
    lines = text.split("\n")
    return lines, next(i for i, line in enumerate(lines) if line.startswith("Frame Time:")) + 1


def test_position_channels_replace_the_offset(real_clip_bytes):
    text = real_clip_bytes.decode()
    lines, first = _frame_lines(text)
    base = parse_bvh(text, "clip.bvh")
    spine_x = 2 * 6  # joint_Root, Hips, then Spine's Xposition column
    for i in range(first, len(lines)):
        if lines[i].strip():
            values = lines[i].split()
            values[spine_x] = str(float(values[spine_x]) + 10.0)
            lines[i] = " ".join(values)
    moved = parse_bvh("\n".join(lines), "clip.bvh")
    spine, chest, leg = (base.names.index(n) for n in ("Spine", "Chest", "UpperLeg_L"))
    shift = np.linalg.norm(moved.positions[:, spine] - base.positions[:, spine], axis=-1)
    assert np.allclose(shift, 0.10, atol=1e-5)  # 10 cm along the Hips' x axis
    assert np.allclose(moved.positions[:, chest] - base.positions[:, chest],
                       moved.positions[:, spine] - base.positions[:, spine], atol=1e-5)
    assert np.allclose(moved.positions[:, leg], base.positions[:, leg])


def _corrupt(text: str, kind: str) -> tuple[str, int | None]:
    """Corrupt a real clip; return the text and the 1-based line the error must name."""
    lines, first = _frame_lines(text)
    target = first + 5
    if kind == "truncated":
        return "\n".join(lines[:target]), None
    if kind == "non-numeric":
        values = lines[target].split()
        values[7] = "1.2.3"
        lines[target] = " ".join(values)
    elif kind == "wrong-count":
        lines[target] = " ".join(lines[target].split()[:-1])
    elif kind == "unknown-channel":
        target = next(i for i, line in enumerate(lines) if "CHANNELS" in line and i > 8)
        lines[target] = lines[target].replace("Xrotation", "Wrotation")
    return "\n".join(lines), target + 1


@pytest.mark.parametrize("kind, words", [
    ("truncated", "truncated"),
    ("non-numeric", "non-numeric value '1.2.3'"),
    ("wrong-count", "has 131 values, the hierarchy needs 132"),
    ("unknown-channel", "unknown channel name 'Wrotation'"),
])
def test_bad_input_names_the_file_and_line(real_clip_bytes, tmp_path, kind, words):
    text, line = _corrupt(real_clip_bytes.decode(), kind)
    path = tmp_path / f"{kind}.bvh"
    path.write_text(text)
    with pytest.raises(BvhError) as caught:
        load_bvh(path)
    message = str(caught.value)
    assert str(path) in message and words in message
    if line is not None:
        assert f"line {line}:" in message
        assert caught.value.line == line


def test_empty_and_missing_files_name_the_file(tmp_path):
    empty = tmp_path / "empty.bvh"
    empty.write_text("")
    with pytest.raises(BvhError, match=f"{empty}: empty file"):
        load_bvh(empty)
    with pytest.raises(BvhError, match="missing.bvh: cannot read file"):
        load_bvh(tmp_path / "missing.bvh")
