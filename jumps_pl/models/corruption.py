"""What detectors get wrong, put on the encoder's input during training (a denoising encoder).

The encoder learns to map a window with a detector's failures to the latent of the clean window, so
that G(E(x)) is a reference the observations can be checked against (``infer.repair.reference``).
On a batch of normalized windows (B, T, 21, 2), each window independently, with the probabilities of
``model.encoder_corruption``:

- ``noise``: Gaussian jitter on every joint, sigma U[0, noise_max] torso lengths;
- ``flips``: bursts of 3 to 12 frames (about 10% of the frames) where one group of left/right input
  pairs is exchanged: the legs, the arms, all four limbs, or the whole body;
- ``foreign``: bursts of 1 to 4 frames (about 3%) where the input joints are another window's pose
  (another person), 0.4 to 1.7 torso lengths away.

The reconstruction target stays the clean window. Shapes: (B, T, J, 2) normalized units.
"""
from __future__ import annotations

import torch

from jumps_pl import skeleton
from jumps_pl.schema import FLIP_MIXES

_FLIP_GROUPS = tuple(skeleton.FLIP_GROUPS[group] for group in ("legs", "arms", "limbs", "body"))  # drawn in this order


def _wide_flip_mix() -> dict[tuple[int, ...], float]:
    """The wider flip mix: any chain of each limb (``skeleton.ARM_CHAINS`` / ``LEG_CHAINS``), alone or together."""
    arms, legs = skeleton.ARM_CHAINS[1:], skeleton.LEG_CHAINS[1:]  # shoulders, whole, elbows+wrists, wrists
    whole = arms[1] + legs[1]
    mix = dict(zip(arms, (0.08, 0.08, 0.08, 0.08), strict=True))
    mix.update(zip(legs, (0.06, 0.08, 0.12, 0.12), strict=True))
    both = [a + b for a in arms for b in legs if a + b != whole]
    mix.update({chain: 0.15 / len(both) for chain in both})
    mix[whole] = 0.15
    return mix


# Which input pairs a flip exchanges (indices into skeleton.INPUT_PAIRS), and how often, in the wider mix
# (the protocol's ``hpe-confident-wide`` and ``flip_mix: wide``): an arm chain alone 0.32 (the shoulders
# when the person turns, a whole arm with its shoulder, elbows and wrists, the wrists), a leg chain alone
# 0.38 (the hips 0.06, a whole leg 0.08, knees and ankles 0.12, the ankles 0.12: the distal joints most,
# as both ankles put on the front leg), an arm chain and a leg chain at once 0.15 (the 15 pairings alike),
# the whole body 0.15. Inversions of left and right are one of the four kinds of a detector's localization
# errors (Ronchi & Perona, ICCV 2017); the shares are this project's choice, not theirs.
WIDE_FLIP_MIX: dict[tuple[int, ...], float] = _wide_flip_mix()
_FLIP_FRAMES, _FLIP_SHARE = (3, 12), 0.10
_FOREIGN_FRAMES, _FOREIGN_SHARE = (1, 4), 0.03
_FOREIGN_DISTANCE = (0.4, 1.7)  # torso lengths (1 to 4 head sizes)


def corrupt(x: torch.Tensor, flip_prob: float, foreign_prob: float, noise_prob: float, noise_max: float,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """A corrupted copy of normalized windows ``x`` (B, T, J, 2)."""
    b, t = x.shape[:2]
    out = x.clone()
    device = x.device
    rand = lambda *shape: torch.rand(*shape, generator=generator).to(device)  # noqa: E731
    noisy = rand(b) < noise_prob
    if noisy.any():
        sigma = rand(b) * noise_max * noisy
        out = out + torch.randn(x.shape, generator=generator).to(device) * sigma[:, None, None, None]
    flip_windows = rand(b) < flip_prob
    for w in torch.nonzero(flip_windows).flatten().tolist():
        for start, stop in _bursts(t, _FLIP_FRAMES, _FLIP_SHARE, generator):
            group = _FLIP_GROUPS[int(torch.randint(len(_FLIP_GROUPS), (1,), generator=generator))]
            for k in group:
                left, right = skeleton.INPUT_PAIRS[k]
                a, c = out[w, start:stop, left].clone(), out[w, start:stop, right].clone()
                out[w, start:stop, left], out[w, start:stop, right] = c, a
    foreign_windows = rand(b) < foreign_prob
    inputs = torch.as_tensor(skeleton.INPUT_INDICES, device=device)
    for w in torch.nonzero(foreign_windows).flatten().tolist():
        if b < 2:
            break
        other = (w + 1 + int(torch.randint(b - 1, (1,), generator=generator))) % b
        for start, stop in _bursts(t, _FOREIGN_FRAMES, _FOREIGN_SHARE, generator):
            out[w, start:stop, inputs] = _foreign_pose(x, w, other, start, stop, rand)
    return out


def _foreign_pose(x: torch.Tensor, w: int, other: int, start: int, stop: int, rand) -> torch.Tensor:
    """Another person: window ``other``'s input joints over frames [start, stop), (stop - start, 12, 2).

    Moved so their hip centre is window ``w``'s, then ``_FOREIGN_DISTANCE`` away in a random direction.
    """
    angle = float(rand(1)) * 2 * torch.pi
    distance = _FOREIGN_DISTANCE[0] + float(rand(1)) * (_FOREIGN_DISTANCE[1] - _FOREIGN_DISTANCE[0])
    shift = torch.tensor([distance * torch.cos(torch.tensor(angle)), distance * torch.sin(torch.tensor(angle))],
                         device=x.device, dtype=x.dtype)
    pose = x[other, start:stop][:, torch.as_tensor(skeleton.INPUT_INDICES, device=x.device)]
    hips = x[w, start:stop][:, list(skeleton.HIP_JOINTS)].mean(1, keepdim=True)
    own = pose[:, [6, 7]].mean(1, keepdim=True)
    return pose - own + hips + shift


def _bursts(frames: int, lengths: tuple[int, int], share: float, generator: torch.Generator | None
            ) -> list[tuple[int, int]]:
    """Bursts (start, stop) covering about ``share`` of ``frames`` (at least one)."""
    mean = 0.5 * (lengths[0] + lengths[1])
    count = max(1, int(torch.poisson(torch.tensor(share * frames / mean), generator=generator)))
    out = []
    for _ in range(count):
        length = int(torch.randint(lengths[0], lengths[1] + 1, (1,), generator=generator))
        start = int(torch.randint(0, max(1, frames - length + 1), (1,), generator=generator))
        out.append((start, start + length))
    return out


def burst_gaps(share: torch.Tensor, joints: int, frames: int, device) -> torch.Tensor:
    """Gaps (B, frames, joints), as the completion task and a detector's misses leave them.

    Per (window, joint) a Poisson number (at most 4) of bursts of 5 to 20 frames covering about ``share``
    (B, 1) of the frames (``evaluation/tasks.py``).
    """
    b = len(share)
    lengths = torch.randint(5, 21, (b, joints, 4), device=device)
    count = torch.poisson((share * frames / 12.5).expand(b, joints))
    starts = (torch.rand(b, joints, 4, device=device) * frames).long()
    t = torch.arange(frames, device=device)
    gap = ((t >= starts[..., None]) & (t < starts[..., None] + lengths[..., None])
           & (torch.arange(4, device=device)[None, None, :, None] < count[..., None, None])).any(2)
    return gap.transpose(1, 2)


_OUTLIER_DISTANCE = (0.4, 1.2)  # torso lengths (1 to 3 head sizes)
# the flip detector's bursts of flips: from a single frame (real detectors flip for a frame or two, as
# on the street clip) to 12
DETECTOR_FLIP_FRAMES = (1, 12)


def detector_failures(x: torch.Tensor, missing_share_max: float, noise_max: float, flip_prob: float,
                      foreign_prob: float, outlier_share: float = 0.02, generator: torch.Generator | None = None,
                      flip_mix: str = "protocol", flip_frames: tuple[int, int] = DETECTOR_FLIP_FRAMES
                      ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A detector's view of normalized windows ``x`` (B, T, J, 2), for training the flip detector.

    Returns the input joints as given (B, T, J, 2; 0 where missing), their weights (mask x a confidence,
    B, T, J; the added joints 0) and which input pairs are given exchanged (B, T, 6: ``skeleton.INPUT_PAIRS``).

    Each input joint missing in bursts (``burst_gaps``, up to ``missing_share_max`` of its frames),
    Gaussian jitter (sigma U[0, ``noise_max``] per window) at confidence U[0.3, 1], ``outlier_share``
    of the entries outliers (0.4 to 1.2 torso lengths off) at confidence U[0.05, 0.5]; with
    ``flip_prob``, bursts of ``flip_frames`` (1 to 12) frames of flips that exchange the labels of what was
    seen, presence and confidence with them: ``flip_mix`` "protocol" as ``corrupt`` (legs, arms, limbs or the
    whole body, drawn alike), "wide" from ``WIDE_FLIP_MIX`` (any chain of each limb), "both" either, alike;
    with ``foreign_prob``, bursts of another window's pose. Flipped and foreign entries come at a
    detector's confidence U[0.6, 1].
    """
    b, t, j = x.shape[:3]
    device = x.device
    rand = lambda *shape: torch.rand(*shape, generator=generator).to(device)  # noqa: E731
    inputs = torch.as_tensor(skeleton.INPUT_INDICES, device=device)
    present = torch.zeros(b, t, j, dtype=torch.bool, device=device)
    present[..., inputs] = True
    share = rand(b, 1) * missing_share_max
    present[..., inputs] &= ~burst_gaps(share, len(inputs), t, device)
    sigma = rand(b) * noise_max
    out = x + torch.randn(x.shape, generator=generator).to(device) * sigma[:, None, None, None]
    confidence = 0.3 + 0.7 * rand(b, t, j)
    outlier = rand(b, t, j) < outlier_share
    angle = rand(b, t, j) * 2 * torch.pi
    distance = _OUTLIER_DISTANCE[0] + rand(b, t, j) * (_OUTLIER_DISTANCE[1] - _OUTLIER_DISTANCE[0])
    jump = distance[..., None] * torch.stack([torch.cos(angle), torch.sin(angle)], -1)
    out = torch.where(outlier[..., None], x + jump, out)
    confidence = torch.where(outlier, 0.05 + 0.45 * rand(b, t, j), confidence)
    if flip_mix not in FLIP_MIXES:
        raise ValueError(f"flip_mix must be one of {', '.join(FLIP_MIXES)}, got {flip_mix!r}")
    wide, odds = tuple(WIDE_FLIP_MIX), torch.tensor(list(WIDE_FLIP_MIX.values()))
    pairs = torch.zeros(b, t, len(skeleton.INPUT_PAIRS), dtype=torch.bool, device=device)
    confident = torch.zeros(b, t, dtype=torch.bool, device=device)
    for w in torch.nonzero(rand(b) < flip_prob).flatten().tolist():
        if not 1 <= flip_frames[0] <= flip_frames[1]:
            raise ValueError(f"baselines.flip_detector.flip_frames must be [from, to] with 1 <= from <= to, "
                             f"got {list(flip_frames)}")
        for start, stop in _bursts(t, tuple(flip_frames), _FLIP_SHARE, generator):
            mix = flip_mix if flip_mix != "both" else ("protocol", "wide")[int(rand(1) < 0.5)]
            group = (_FLIP_GROUPS[int(torch.randint(len(_FLIP_GROUPS), (1,), generator=generator))]
                     if mix == "protocol" else wide[int(torch.multinomial(odds, 1, generator=generator))])
            for k in group:
                left, right = skeleton.INPUT_PAIRS[k]
                for values in (out, confidence, present):
                    a, c = values[w, start:stop, left].clone(), values[w, start:stop, right].clone()
                    values[w, start:stop, left], values[w, start:stop, right] = c, a
                pairs[w, start:stop, k] ^= True
            confident[w, start:stop] = True
    for w in torch.nonzero(rand(b) < foreign_prob).flatten().tolist():
        if b < 2:
            break
        other = (w + 1 + int(torch.randint(b - 1, (1,), generator=generator))) % b
        for start, stop in _bursts(t, _FOREIGN_FRAMES, _FOREIGN_SHARE, generator):
            foreign = _foreign_pose(x, w, other, start, stop, rand)
            free = ~pairs[w, start:stop].any(-1)
            out[w, start:stop, inputs] = torch.where(free[:, None, None], foreign, out[w, start:stop, inputs])
            confident[w, start:stop] |= free
    confidence = torch.where(confident[..., None], 0.6 + 0.4 * rand(b, t, j), confidence)
    weights = present.to(x.dtype) * confidence
    return torch.where(present[..., None], out, torch.zeros_like(out)), weights, pairs
