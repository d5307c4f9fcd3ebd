import numpy as np

from jumps_pl import skeleton


def test_layout_matches_the_protocol():
    assert len(skeleton.HIGH_RES_JOINTS) == 21
    assert len(skeleton.LOW_RES_JOINTS) == 12
    assert set(skeleton.ADDED_JOINTS) == {"Hips", "Spine", "Chest", "Neck", "Head",
                                          "Shoulder_L", "Shoulder_R", "Toes_L", "Toes_R"}
    assert skeleton.HIGH_RES_JOINTS[skeleton.INPUT_INDICES[0]] == "UpperArm_L"  # COCO left_shoulder first
    assert skeleton.HIGH_RES_JOINTS[skeleton.INPUT_INDICES[-1]] == "Foot_R"  # COCO right_ankle last


def test_parents_come_before_children_and_bones_form_a_tree():
    parents = np.array(skeleton.PARENTS)
    assert parents[skeleton.ROOT] == -1 and (parents == -1).sum() == 1
    assert all(p < c for c, p in enumerate(parents) if p >= 0)
    assert len(skeleton.BONES) == 20


def test_mirror_permutation_swaps_each_left_joint_with_its_right_twin():
    perm = skeleton.MIRROR_PERMUTATION
    assert np.array_equal(perm[perm], np.arange(21))
    for left, right in skeleton.LEFT_RIGHT_PAIRS:
        assert skeleton.HIGH_RES_JOINTS[left][:-2] == skeleton.HIGH_RES_JOINTS[right][:-2]
        assert perm[left] == right
    assert perm[skeleton.joint_index("Head")] == skeleton.joint_index("Head")
