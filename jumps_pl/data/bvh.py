"""BVH reading and vectorized forward kinematics.

Errors name the file and the line: a corpus of thousands of clips is only usable if a bad one can be
found and skipped (see :mod:`jumps_pl.data.corpus`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

POSITION_CHANNELS = {"Xposition": 0, "Yposition": 1, "Zposition": 2}
ROTATION_CHANNELS = {"Xrotation": 0, "Yrotation": 1, "Zrotation": 2}
CENTIMETRES_TO_METRES = 0.01


class BvhError(ValueError):
    """A BVH file that cannot be read; the message names the file and, where it applies, the line."""

    def __init__(self, source: str, message: str, line: int | None = None):
        self.source = source
        self.line = line
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {message}")


@dataclass
class BvhMotion:
    """A parsed clip. ``positions`` is (frames, joints, 3) float32, metres, world frame of the file."""

    names: list[str]
    parents: list[int]
    positions: np.ndarray
    fps: float


@dataclass
class _Joint:
    name: str
    parent: int
    offset: np.ndarray
    channels: list[str]
    line: int


def load_bvh(path: str | Path, scale: float = CENTIMETRES_TO_METRES) -> BvhMotion:
    """Read a ``.bvh`` file and return joint positions by forward kinematics (centimetres to metres)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise BvhError(str(path), f"cannot read file ({err.strerror})") from None
    return parse_bvh(data, source=str(path), scale=scale)


def parse_bvh(data: bytes | str, source: str, scale: float = CENTIMETRES_TO_METRES) -> BvhMotion:
    """Parse BVH text (``source`` names it in errors) and run forward kinematics."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    lines = text.split("\n")
    if not text.strip():
        raise BvhError(source, "empty file")
    joints, motion_line = _parse_hierarchy(lines, source)
    n_frames, frame_time, first_frame_line = _parse_motion_header(lines, motion_line, source)
    n_channels = sum(len(j.channels) for j in joints)
    values = _parse_frames(lines, first_frame_line, n_frames, n_channels, source)
    positions = forward_kinematics(joints, values) * scale
    return BvhMotion(
        names=[j.name for j in joints],
        parents=[j.parent for j in joints],
        positions=positions.astype(np.float32),
        fps=1.0 / frame_time,
    )


def _parse_hierarchy(lines: list[str], source: str) -> tuple[list[_Joint], int]:
    """Joints in file order (End Sites excluded) and the index of the MOTION line."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first].strip() != "HIERARCHY":
        raise BvhError(source, "expected 'HIERARCHY' as the first word", _line_no(first))
    joints: list[_Joint] = []
    stack: list[int] = []  # joint index per open brace; -2 marks an End Site block
    pending: _Joint | None = None
    for i in range(first + 1, len(lines)):
        words = lines[i].split()
        if not words:
            continue
        key = words[0]
        if key in ("ROOT", "JOINT"):
            if len(words) < 2:
                raise BvhError(source, f"{key} without a name", i + 1)
            parent = next((s for s in reversed(stack) if s >= 0), -1)
            if key == "ROOT" and stack:
                raise BvhError(source, "ROOT inside another joint", i + 1)
            pending = _Joint(" ".join(words[1:]), parent, np.zeros(3), [], i + 1)
            joints.append(pending)
        elif key == "End":
            pending = None
            stack.append(-2)
            if not (i + 1 < len(lines) and lines[i + 1].strip() == "{"):
                raise BvhError(source, "End Site without '{'", i + 1)
        elif key == "{":
            if pending is not None:
                stack.append(len(joints) - 1)
                pending = None
            elif not stack or stack[-1] != -2:
                raise BvhError(source, "unexpected '{'", i + 1)
        elif key == "}":
            if not stack:
                raise BvhError(source, "unbalanced '}'", i + 1)
            stack.pop()
        elif key == "OFFSET":
            offset = _floats(words[1:], 3, source, i + 1, "OFFSET")
            if stack and stack[-1] >= 0:  # End Site offsets (stack[-1] == -2) are not joints
                joints[stack[-1]].offset = offset
        elif key == "CHANNELS":
            if not stack or stack[-1] < 0:
                raise BvhError(source, "CHANNELS outside a joint", i + 1)
            joints[stack[-1]].channels = _channels(words, source, i + 1)
        elif key == "MOTION":
            if stack:
                raise BvhError(source, f"MOTION before {len(stack)} open block(s) were closed", i + 1)
            if not joints:
                raise BvhError(source, "no joints in HIERARCHY", i + 1)
            return joints, i
        else:
            raise BvhError(source, f"unexpected word {key!r} in HIERARCHY", i + 1)
    raise BvhError(source, "truncated: file ends inside HIERARCHY, no MOTION section", len(lines))


def _channels(words: list[str], source: str, line: int) -> list[str]:
    try:
        count = int(words[1])
    except (IndexError, ValueError):
        raise BvhError(source, "CHANNELS needs a count", line) from None
    names = words[2:]
    if len(names) != count:
        raise BvhError(source, f"CHANNELS says {count} but lists {len(names)}", line)
    for name in names:
        if name not in POSITION_CHANNELS and name not in ROTATION_CHANNELS:
            raise BvhError(source, f"unknown channel name {name!r}", line)
    return names


def _floats(words: list[str], count: int, source: str, line: int, what: str) -> np.ndarray:
    if len(words) != count:
        raise BvhError(source, f"{what} needs {count} numbers, got {len(words)}", line)
    try:
        values = np.array([float(w) for w in words])
    except ValueError:
        raise BvhError(source, f"non-numeric value in {what}: {' '.join(words)!r}", line) from None
    if not np.all(np.isfinite(values)):
        raise BvhError(source, f"non-finite value in {what}", line)
    return values


def _parse_motion_header(lines: list[str], motion: int, source: str) -> tuple[int, float, int]:
    fields: dict[str, str] = {}
    i = motion + 1
    for expected in ("Frames:", "Frame Time:"):
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or not lines[i].strip().startswith(expected):
            raise BvhError(source, f"expected '{expected}' after MOTION", _line_no(min(i, len(lines) - 1)))
        fields[expected] = lines[i].strip()[len(expected):].strip()
        i += 1
    try:
        n_frames = int(fields["Frames:"])
        frame_time = float(fields["Frame Time:"])
    except ValueError:
        raise BvhError(source, "non-numeric Frames or Frame Time", motion + 2) from None
    if n_frames <= 0 or not frame_time > 0:
        raise BvhError(source, f"needs Frames > 0 and Frame Time > 0, got {n_frames}, {frame_time}", motion + 2)
    return n_frames, frame_time, i


def _parse_frames(lines: list[str], first: int, n_frames: int, n_channels: int, source: str) -> np.ndarray:
    """Frame values (frames, channels) float64; the fast path parses all at once, the slow one finds the bad line."""
    rows = lines[first:]
    while rows and not rows[-1].strip():
        rows.pop()
    tokens = " ".join(rows).split()
    if len(rows) == n_frames and len(tokens) == n_frames * n_channels:
        try:
            values = np.array(tokens, dtype=np.float64).reshape(n_frames, n_channels)
        except ValueError:
            values = None
        if values is not None and np.all(np.isfinite(values)):
            return values
    _locate_frame_error(rows, first, n_frames, n_channels, source)
    raise AssertionError("unreachable: the frame block failed the fast path but no bad line was found")


def _locate_frame_error(rows: list[str], first: int, n_frames: int, n_channels: int, source: str) -> None:
    for k, row in enumerate(rows):
        line = first + k + 1
        words = row.split()
        if k >= n_frames:
            raise BvhError(source, f"more frame lines than 'Frames: {n_frames}'", line)
        if len(words) != n_channels:
            raise BvhError(source, f"frame {k} has {len(words)} values, the hierarchy needs {n_channels}", line)
        for column, word in enumerate(words):
            try:
                value = float(word)
            except ValueError:
                raise BvhError(source, f"non-numeric value {word!r} in frame {k}, column {column + 1}", line) from None
            if not np.isfinite(value):
                raise BvhError(source, f"non-finite value {word!r} in frame {k}, column {column + 1}", line)
    raise BvhError(source, f"truncated: 'Frames: {n_frames}' but only {len(rows)} frame lines", first + len(rows))


def _line_no(index: int | None) -> int | None:
    return None if index is None else index + 1


def forward_kinematics(joints: list[_Joint], values: np.ndarray) -> np.ndarray:
    """World positions (frames, joints, 3) in file units.

    Each joint's local transform is T(translation) * R(channel order), where a joint's position
    channels, when it has them, replace its OFFSET (these files give every joint 6 channels).
    """
    n_frames = values.shape[0]
    world_rot = np.empty((len(joints), n_frames, 3, 3))
    world_pos = np.empty((len(joints), n_frames, 3))
    column = 0
    for j, joint in enumerate(joints):
        translation = np.broadcast_to(joint.offset, (n_frames, 3)).copy()
        rotation = np.broadcast_to(np.eye(3), (n_frames, 3, 3))
        for name in joint.channels:
            if name in POSITION_CHANNELS:
                translation[:, POSITION_CHANNELS[name]] = values[:, column]
            else:
                rotation = rotation @ _axis_rotation(ROTATION_CHANNELS[name], np.deg2rad(values[:, column]))
            column += 1
        if joint.parent < 0:
            world_rot[j], world_pos[j] = rotation, translation
        else:
            parent_rot = world_rot[joint.parent]
            world_rot[j] = parent_rot @ rotation
            world_pos[j] = world_pos[joint.parent] + np.einsum("fab,fb->fa", parent_rot, translation)
    return world_pos.transpose(1, 0, 2)


def _axis_rotation(axis: int, angle_rad: np.ndarray) -> np.ndarray:
    """Rotation matrices (frames, 3, 3) about the x (0), y (1) or z (2) axis."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    out = np.zeros(angle_rad.shape + (3, 3))
    a, b = [(1, 2), (2, 0), (0, 1)][axis]
    out[:, axis, axis] = 1.0
    out[:, a, a] = c
    out[:, a, b] = -s
    out[:, b, a] = s
    out[:, b, b] = c
    return out
