"""Every joint fact of jumps-pl, in one place.

High resolution: the 21 body joints of the Bandai Namco BVH skeleton (``joint_Root``, a ground
projection, is dropped). Low resolution: the 12 COCO body joints a 2D pose estimator gives,
in COCO order. ``_L`` is the actor's own left, as in COCO's ``left_*``.
"""
from __future__ import annotations

import numpy as np

HIGH_RES_JOINTS: tuple[str, ...] = (
    "Hips", "Spine", "Chest", "Neck", "Head",
    "Shoulder_L", "UpperArm_L", "LowerArm_L", "Hand_L",
    "Shoulder_R", "UpperArm_R", "LowerArm_R", "Hand_R",
    "UpperLeg_L", "LowerLeg_L", "Foot_L", "Toes_L",
    "UpperLeg_R", "LowerLeg_R", "Foot_R", "Toes_R",
)
NUM_JOINTS = len(HIGH_RES_JOINTS)

_PARENT_NAMES: dict[str, str | None] = {
    "Hips": None, "Spine": "Hips", "Chest": "Spine", "Neck": "Chest", "Head": "Neck",
    "Shoulder_L": "Chest", "UpperArm_L": "Shoulder_L", "LowerArm_L": "UpperArm_L",
    "Hand_L": "LowerArm_L",
    "Shoulder_R": "Chest", "UpperArm_R": "Shoulder_R", "LowerArm_R": "UpperArm_R",
    "Hand_R": "LowerArm_R",
    "UpperLeg_L": "Hips", "LowerLeg_L": "UpperLeg_L", "Foot_L": "LowerLeg_L", "Toes_L": "Foot_L",
    "UpperLeg_R": "Hips", "LowerLeg_R": "UpperLeg_R", "Foot_R": "LowerLeg_R", "Toes_R": "Foot_R",
}


def joint_index(name: str) -> int:
    """Index of a high-resolution joint by name."""
    try:
        return HIGH_RES_JOINTS.index(name)
    except ValueError:
        raise KeyError(f"unknown joint {name!r}; known: {', '.join(HIGH_RES_JOINTS)}") from None


PARENTS: tuple[int, ...] = tuple(
    -1 if _PARENT_NAMES[name] is None else joint_index(_PARENT_NAMES[name])  # type: ignore[arg-type]
    for name in HIGH_RES_JOINTS
)
ROOT = joint_index("Hips")
NECK = joint_index("Neck")
# The detector's hips and shoulders (left, right): what every normalization and torso length is built from.
HIP_JOINTS = (joint_index("UpperLeg_L"), joint_index("UpperLeg_R"))
SHOULDER_JOINTS = (joint_index("UpperArm_L"), joint_index("UpperArm_R"))

# The 12 input joints in COCO body order (COCO keypoints 5..16), and the high-res joint each is.
LOW_RES_JOINTS: tuple[str, ...] = (
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)
LOW_RES_TO_HIGH_RES: dict[str, str] = {
    "left_shoulder": "UpperArm_L", "right_shoulder": "UpperArm_R",
    "left_elbow": "LowerArm_L", "right_elbow": "LowerArm_R",
    "left_wrist": "Hand_L", "right_wrist": "Hand_R",
    "left_hip": "UpperLeg_L", "right_hip": "UpperLeg_R",
    "left_knee": "LowerLeg_L", "right_knee": "LowerLeg_R",
    "left_ankle": "Foot_L", "right_ankle": "Foot_R",
}
INPUT_INDICES: np.ndarray = np.array(
    [joint_index(LOW_RES_TO_HIGH_RES[name]) for name in LOW_RES_JOINTS], dtype=np.int64
)
ADDED_INDICES: np.ndarray = np.array(
    [j for j in range(NUM_JOINTS) if j not in set(INPUT_INDICES.tolist())], dtype=np.int64
)
ADDED_JOINTS: tuple[str, ...] = tuple(HIGH_RES_JOINTS[j] for j in ADDED_INDICES)
# The torso a normalization needs: both shoulders and both hips (high-res indices).
TORSO_JOINTS: tuple[int, ...] = (*SHOULDER_JOINTS, *HIP_JOINTS)

# The input's left/right pairs (high-res left, right), in COCO order: shoulders 0, elbows 1, wrists 2,
# hips 3, knees 4, ankles 5. What a detector's left/right flip exchanges.
INPUT_PAIRS: tuple[tuple[int, int], ...] = tuple(
    (int(INPUT_INDICES[i]), int(INPUT_INDICES[i + 1])) for i in range(0, len(INPUT_INDICES), 2)
)
# The parts an earlier flip detector's three outputs name (indices into INPUT_PAIRS): the torso
# (shoulders, hips), the arms (elbows, wrists), the legs (knees, ankles).
FLIP_PARTS: tuple[tuple[int, ...], ...] = ((0, 3), (1, 2), (4, 5))
# The chains of left/right pairs a detector exchanges together, per limb: none, the shoulders (hips) alone,
# the whole arm (leg) with its shoulder (hip), elbows and wrists (knees and ankles), the wrists (ankles).
ARM_CHAINS: tuple[tuple[int, ...], ...] = ((), (0,), (0, 1, 2), (1, 2), (2,))
LEG_CHAINS: tuple[tuple[int, ...], ...] = ((), (3,), (3, 4, 5), (4, 5), (5,))
# Every labelling the repair chooses among per frame: an arm chain and a leg chain exchanged (25; the
# first exchanges nothing, the whole body is both whole chains). The three parts' 8 labellings are among them.
FLIP_CHAINS: tuple[tuple[int, ...], ...] = tuple(arm + leg for arm in ARM_CHAINS for leg in LEG_CHAINS)
# The groups of pairs the continuity heuristic tests for a flip, largest first.
FLIP_GROUPS: dict[str, tuple[int, ...]] = {"body": (0, 1, 2, 3, 4, 5), "limbs": (1, 2, 4, 5), "legs": (4, 5),
                                           "arms": (1, 2)}


def place_inputs(values: np.ndarray, axis: int = -2) -> np.ndarray:
    """Input-joint values placed on the 21 joints, zeros on the added ones: the one 12 -> 21 assembly.

    ``axis`` is the joints axis: -2 for coordinates (..., 12, 2), -1 for scores (..., 12).
    """
    values = np.moveaxis(np.asarray(values, dtype=np.float64), axis, -1)
    if values.shape[-1] != len(INPUT_INDICES):
        raise ValueError(f"expected {len(INPUT_INDICES)} input joints on axis {axis}, got {values.shape[-1]}")
    out = np.zeros((*values.shape[:-1], NUM_JOINTS))
    out[..., INPUT_INDICES] = values
    return np.moveaxis(out, -1, axis)

# Left/right pairs (high-res indices) and the permutation that swaps them, for mirroring.
LEFT_RIGHT_PAIRS: tuple[tuple[int, int], ...] = tuple(
    (joint_index(name), joint_index(name[:-2] + "_R"))
    for name in HIGH_RES_JOINTS if name.endswith("_L")
)


def _mirror_permutation() -> np.ndarray:
    perm = np.arange(NUM_JOINTS)
    for left, right in LEFT_RIGHT_PAIRS:
        perm[left], perm[right] = right, left
    return perm


MIRROR_PERMUTATION: np.ndarray = _mirror_permutation()

# Bones for drawing: (parent, child) index pairs.
BONES: tuple[tuple[int, int], ...] = tuple(
    (parent, child) for child, parent in enumerate(PARENTS) if parent >= 0
)


def joint_set_indices(joint_set: str) -> np.ndarray:
    """High-res indices of a scoring set of the protocol: ``added``, ``input`` or ``all``."""
    sets = {"added": ADDED_INDICES, "input": INPUT_INDICES, "all": np.arange(NUM_JOINTS)}
    if joint_set not in sets:
        raise KeyError(f"unknown joint set {joint_set!r}; known: {', '.join(sets)}")
    return sets[joint_set]

# Sides, for drawing and for left/right repairs: every "_L" joint is on the actor's left.
LEFT_JOINTS: frozenset[int] = frozenset(left for left, _ in LEFT_RIGHT_PAIRS)
RIGHT_JOINTS: frozenset[int] = frozenset(right for _, right in LEFT_RIGHT_PAIRS)


def side_of(joint: int) -> str:
    """``left``, ``right`` or ``centre`` for a high-res joint index."""
    return "left" if joint in LEFT_JOINTS else "right" if joint in RIGHT_JOINTS else "centre"


# Bones between the 12 input joints (indices into LOW_RES_JOINTS), for drawing detector input.
INPUT_BONES: tuple[tuple[int, int], ...] = (
    (0, 1), (0, 2), (2, 4), (1, 3), (3, 5), (0, 6), (1, 7), (6, 7), (6, 8), (8, 10), (7, 9), (9, 11),
)
