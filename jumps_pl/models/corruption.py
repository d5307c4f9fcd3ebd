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

_PAIRS = [(int(skeleton.INPUT_INDICES[i]), int(skeleton.INPUT_INDICES[i + 1])) for i in range(0, 12, 2)]
_FLIP_GROUPS = ((4, 5), (1, 2), (1, 2, 4, 5), (0, 1, 2, 3, 4, 5))  # legs, arms, limbs, body (pair indices)
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
                left, right = _PAIRS[k]
                a, c = out[w, start:stop, left].clone(), out[w, start:stop, right].clone()
                out[w, start:stop, left], out[w, start:stop, right] = c, a
    foreign_windows = rand(b) < foreign_prob
    inputs = torch.as_tensor(skeleton.INPUT_INDICES, device=device)
    for w in torch.nonzero(foreign_windows).flatten().tolist():
        if b < 2:
            break
        other = (w + 1 + int(torch.randint(b - 1, (1,), generator=generator))) % b
        for start, stop in _bursts(t, _FOREIGN_FRAMES, _FOREIGN_SHARE, generator):
            angle = float(rand(1)) * 2 * torch.pi
            distance = _FOREIGN_DISTANCE[0] + float(rand(1)) * (_FOREIGN_DISTANCE[1] - _FOREIGN_DISTANCE[0])
            shift = torch.tensor([distance * torch.cos(torch.tensor(angle)), distance * torch.sin(torch.tensor(angle))],
                                 device=device, dtype=x.dtype)
            pose = x[other, start:stop][:, inputs]
            hips = x[w, start:stop][:, [_PAIRS[3][0], _PAIRS[3][1]]].mean(1, keepdim=True)
            own = pose[:, [6, 7]].mean(1, keepdim=True)
            out[w, start:stop, inputs] = pose - own + hips + shift
    return out


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
    """Gaps (B, frames, joints): per (window, joint) a Poisson number (at most 4) of bursts of 5 to 20
    frames covering about ``share`` (B, 1) of the frames, as the completion task and a detector's
    misses leave them (``evaluation/tasks.py``)."""
    b = len(share)
    lengths = torch.randint(5, 21, (b, joints, 4), device=device)
    count = torch.poisson((share * frames / 12.5).expand(b, joints))
    starts = (torch.rand(b, joints, 4, device=device) * frames).long()
    t = torch.arange(frames, device=device)
    gap = ((t >= starts[..., None]) & (t < starts[..., None] + lengths[..., None])
           & (torch.arange(4, device=device)[None, None, :, None] < count[..., None, None])).any(2)
    return gap.transpose(1, 2)
