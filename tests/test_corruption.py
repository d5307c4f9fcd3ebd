"""The detector failures put on the encoder's input in training (models/corruption.py)."""
from __future__ import annotations

import pytest
import torch

from jumps_pl import skeleton
from jumps_pl.models.corruption import corrupt


def _windows() -> torch.Tensor:
    generator = torch.Generator().manual_seed(1)
    return torch.randn(16, 64, 21, 2, generator=generator)


def test_flips_exchange_whole_left_right_pairs_in_bursts_and_leave_the_rest():
    x = _windows()
    y = corrupt(x, flip_prob=1.0, foreign_prob=0.0, noise_prob=0.0, noise_max=0.0,
                generator=torch.Generator().manual_seed(0))
    changed = (y != x).any(-1)  # (B, T, J)
    assert changed.any(-1).float().mean() > 0.03
    left, right = skeleton.joint_index("Foot_L"), skeleton.joint_index("Foot_R")
    swapped = changed[..., left]
    torch.testing.assert_close(y[..., left, :][swapped], x[..., right, :][swapped])
    added = torch.as_tensor(skeleton.ADDED_INDICES)
    assert not changed[..., added].any()  # only the detector's joints are exchanged


def test_foreign_frames_move_every_input_joint_and_noise_reaches_every_joint():
    x = _windows()
    y = corrupt(x, flip_prob=0.0, foreign_prob=1.0, noise_prob=0.0, noise_max=0.0,
                generator=torch.Generator().manual_seed(0))
    inputs = torch.as_tensor(skeleton.INPUT_INDICES)
    moved = (y != x).any(-1)[..., inputs]
    assert (moved.all(-1) == moved.any(-1)).all() and moved.any()  # a whole pose at once
    z = corrupt(x, 0.0, 0.0, noise_prob=1.0, noise_max=0.2, generator=torch.Generator().manual_seed(0))
    assert (z != x).all() and (z - x).abs().mean() < 0.2
    assert torch.equal(corrupt(x, 0.0, 0.0, 0.0, 0.0), x)


def test_burst_gaps_cover_runs_of_frames_and_about_the_share_asked():
    from jumps_pl.models.corruption import burst_gaps

    torch.manual_seed(0)
    none = burst_gaps(torch.zeros(64, 1), 12, 64, "cpu")
    assert not none.any()
    gaps = burst_gaps(torch.full((256, 1), 0.3), 12, 64, "cpu")  # (B, T, joints)
    assert gaps.shape == (256, 64, 12)
    assert 0.15 < gaps.float().mean() < 0.35
    # gaps come as runs: far fewer starts than missing frames
    starts = (gaps[:, 1:] & ~gaps[:, :-1]).sum() + gaps[:, 0].sum()
    assert gaps.sum() > 4 * starts


def test_detector_failures_label_the_pairs_they_exchange_and_exchange_presence_with_them():
    from jumps_pl.models.corruption import detector_failures
    from jumps_pl.skeleton import FLIP_CHAINS, INPUT_PAIRS

    x = _windows()
    given, weights, pairs = detector_failures(x, missing_share_max=0.4, noise_max=0.0, flip_prob=1.0,
                                              foreign_prob=0.0, generator=torch.Generator().manual_seed(0))
    assert pairs.shape == (16, 64, len(INPUT_PAIRS)) and 0.03 < pairs.any(-1).float().mean() < 0.4
    present = weights > 0
    assert not present[..., torch.as_tensor(skeleton.ADDED_INDICES)].any()
    assert (given[~present] == 0).all() and ((weights >= 0) & (weights <= 1)).all()
    expected = x.clone()  # the clean windows with the labelled pairs exchanged
    for k, (left, right) in enumerate(INPUT_PAIRS):
        at = pairs[..., k]
        expected[..., left, :][at], expected[..., right, :][at] = x[..., right, :][at], x[..., left, :][at]
    off = (given - expected).norm(dim=-1)[present]
    assert ((off < 1e-5) | (off > 0.39)).all()  # exact (noise_max 0), or one of the outliers
    assert 0.005 < (off > 0.39).float().mean() < 0.05
    # the protocol's kinds only (legs, arms, limbs, body): the shoulders and hips go together, with all
    drawn = {tuple(k for k in range(6) if frame[k]) for frame in pairs.reshape(-1, 6).tolist() if any(frame)}
    assert drawn <= {(4, 5), (1, 2), (1, 2, 4, 5), (0, 1, 2, 3, 4, 5)} and len(drawn) == 4
    # the wider mix: chains of each limb, the shoulders alone and a whole arm with its shoulder among them
    wide = detector_failures(x.repeat(4, 1, 1, 1), missing_share_max=0.0, noise_max=0.0, flip_prob=1.0,
                             foreign_prob=0.0, generator=torch.Generator().manual_seed(0), flip_mix="wide")[2]
    drawn = {tuple(k for k in range(6) if frame[k]) for frame in wide.reshape(-1, 6).tolist() if any(frame)}
    assert drawn <= set(FLIP_CHAINS) and {(0,), (0, 1, 2), (5,), (3, 4, 5)} <= drawn and len(drawn) > 12
    both = detector_failures(x.repeat(4, 1, 1, 1), missing_share_max=0.0, noise_max=0.0, flip_prob=1.0,
                             foreign_prob=0.0, generator=torch.Generator().manual_seed(0), flip_mix="both")[2]

    def limbs_share(pairs):  # all four limbs: a quarter of the protocol's bursts, 1% of the wider mix's
        flipped = pairs.any(-1)
        return (pairs == torch.tensor([False, True, True, False, True, True])).all(-1)[flipped].float().mean()

    protocol = detector_failures(x.repeat(4, 1, 1, 1), missing_share_max=0.0, noise_max=0.0, flip_prob=1.0,
                                 foreign_prob=0.0, generator=torch.Generator().manual_seed(0))[2]
    shares = [limbs_share(p) for p in (wide, both, protocol)]
    assert shares[0] < 0.05 and 1.5 * shares[0] < shares[1] and 1.5 * shares[1] < shares[2], shares
    with pytest.raises(ValueError, match="flip_mix"):
        detector_failures(x, 0.0, 0.0, 1.0, 0.0, flip_mix="every")


def test_detector_failures_bursts_last_as_long_as_flip_frames_says():
    from jumps_pl.models.corruption import detector_failures

    x = _windows()

    def runs(pairs):  # the lengths of each window's runs of flipped frames
        flipped = pairs.any(-1).int()
        edges = torch.diff(torch.nn.functional.pad(flipped, (1, 1)), dim=1)
        return torch.cat([torch.nonzero(e < 0)[:, 0] - torch.nonzero(e > 0)[:, 0] for e in edges])

    for frames in ((1, 12), (20, 24)):
        pairs = detector_failures(x, 0.0, 0.0, 1.0, 0.0, generator=torch.Generator().manual_seed(0),
                                  flip_frames=frames)[2]
        lengths = runs(pairs)
        assert len(lengths) and lengths.min() >= frames[0], (frames, lengths.tolist())
        if frames == (1, 12):
            assert lengths.float().mean() < 12
    with pytest.raises(ValueError, match=r"flip_frames must be \[from, to\]"):
        detector_failures(x, 0.0, 0.0, 1.0, 0.0, flip_frames=(5, 2))
