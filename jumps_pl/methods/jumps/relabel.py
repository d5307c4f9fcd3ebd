"""Left/right labelling of a window's inputs, decided over the whole window (``infer.repair.temporal``).

A detector's flips come in bursts, and each frame's evidence alone is weak where left and right lie
close together in the image (a person in profile) or the detector is noisy. So the labelling of each
frame is a hidden state, chosen for the whole window at once by dynamic programming (Viterbi), from
two kinds of evidence:

- the prior: how far the relabelled inputs of a frame lie from the prior's reading of the window
  (G(E(x)), aligned): distances, summed over the left/right pairs with both sides given;
- continuity: how far the relabelled inputs move from one frame to the next (``temporal`` x the
  distances, over the pairs given in both frames); a labelling that jumps costs what the jump is;

plus ``flip_cost`` for every two pairs exchanged in a frame (a detector mostly labels right), and,
with a flip detector (``flip_detector.py``, ``infer.repair.detector``), its -log probability of each
frame's labelling: a classifier that sees a burst of flipped frames as such where the prior's encoder
can read it as a person seen from behind. A frame's state is its labelling (``infer.repair.labelling``):

- ``parts``: which of three parts are exchanged, the torso (shoulders and hips), the arms (elbows,
  wrists) and the legs (knees, ankles); the whole body is all three (8 labellings);
- ``chains``: which chain of each limb is exchanged (``skeleton.FLIP_CHAINS``: the shoulders alone, a
  whole arm with its shoulder, elbows and wrists, the wrists, and likewise for the legs, one of each
  at once; the whole body is both whole chains): 25 labellings, the 8 of ``parts`` among them.

Costs count pairs by halves, so that a part (two pairs) costs the same under both. Everything is in the
window's normalized frame (torso length 1), batched over windows.
"""
from __future__ import annotations

import torch
from torch.nn import functional

from jumps_pl.skeleton import FLIP_CHAINS, FLIP_PARTS, INPUT_PAIRS


def _states(groups: list[tuple[int, ...]]) -> torch.Tensor:
    """(states, 6) bool: which input pairs (``skeleton.INPUT_PAIRS``) each labelling exchanges."""
    return torch.tensor([[k in group for k in range(len(INPUT_PAIRS))] for group in groups], dtype=torch.bool)


# every labelling a frame can take, per ``infer.repair.labelling``
LABELLINGS = {
    "parts": _states([tuple(k for p, part in enumerate(FLIP_PARTS) if (s >> p) & 1 for k in part)
                      for s in range(2 ** len(FLIP_PARTS))]),
    "chains": _states(list(FLIP_CHAINS)),
}


def pair_exchanges(labelling: str = "parts") -> torch.Tensor:
    """(states, 6) bool: which input pairs each state of ``labelling`` exchanges."""
    if labelling not in LABELLINGS:
        raise ValueError(f"infer.repair.labelling must be one of {', '.join(LABELLINGS)}, got {labelling!r}")
    return LABELLINGS[labelling].clone()


def pair_logits(logits: torch.Tensor) -> torch.Tensor:
    """A flip detector's logits per input pair (N, T, 6): as they are, or each part's for its two pairs."""
    if logits.shape[-1] == len(INPUT_PAIRS):
        return logits
    if logits.shape[-1] != len(FLIP_PARTS):
        raise ValueError(f"a flip detector gives {len(INPUT_PAIRS)} logits (pairs) or {len(FLIP_PARTS)} (parts) "
                         f"per frame, not {logits.shape[-1]}")
    part_of = [next(p for p, pairs in enumerate(FLIP_PARTS) if k in pairs) for k in range(len(INPUT_PAIRS))]
    return logits[..., part_of]


def detector_evidence(logits: torch.Tensor, weight: float, labelling: str = "parts") -> torch.Tensor:
    """``weight`` x the -log probability (N, T, states) of each labelling state, from a flip detector.

    The detector's logits (N, T, 6 or 3) each say "this pair (part) is given exchanged"
    (``flip_detector.py``); each pair weighs in by half, so that a part of two pairs weighs as one.
    """
    logits = pair_logits(logits)
    states = pair_exchanges(labelling).to(logits.device).to(logits.dtype)  # (S, 6)
    exchanged = functional.softplus(-logits)[..., None, :]  # -log p(exchanged)
    kept = functional.softplus(logits)[..., None, :]  # -log p(as given)
    return weight * 0.5 * (exchanged * states + kept * (1 - states)).sum(-1)


def relabel_windows(given: torch.Tensor, present: torch.Tensor, reference: torch.Tensor,
                    pairs: list[tuple[int, int]], temporal: float, flip_cost: float,
                    switch_cost: float = 0.0, lone: float = 0.0, evidence: torch.Tensor | None = None,
                    labelling: str = "parts", with_confidence: bool = False
                    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Which input pairs (N, T, 6) to exchange: the labelling of least total cost over each window.

    ``given`` (N, T, J, 2) with entries ``present`` (N, T, J) is compared against ``reference`` (N, T, J, 2).
    ``switch_cost``: for every two pairs whose labelling differs from the frame before's (a detector's
    flips last a few frames). ``lone`` > 0: pairs with one side given are exchanged with
    their part too, and weigh in with ``lone`` x their distances (0: never exchanged, no evidence).
    ``evidence`` (N, T, S): a further cost of each state per frame (the flip detector's, for the same
    ``labelling``).
    ``with_confidence``: also return how sure each pair's labelling is (N, T, 6), its posterior probability
    (``labelling_confidence``), NaN where the pair is not labelled (no side given, or ``lone`` 0 and one side).
    """
    n, t = given.shape[:2]
    exchanges = pair_exchanges(labelling).to(given.device)  # (S, 6)
    left = torch.as_tensor([a for a, _ in pairs], device=given.device)
    right = torch.as_tensor([b for _, b in pairs], device=given.device)
    both = (present[..., left] & present[..., right]).float()  # (N, T, 6)
    gl, gr, fl, fr = given[..., left, :], given[..., right, :], reference[..., left, :], reference[..., right, :]
    kept = ((gl - fl).norm(dim=-1) + (gr - fr).norm(dim=-1)) * both  # (N, T, 6)
    swapped = ((gr - fl).norm(dim=-1) + (gl - fr).norm(dim=-1)) * both
    ex = exchanges.float()
    if lone:
        only_l = (present[..., left] & ~present[..., right]).float()
        only_r = (present[..., right] & ~present[..., left]).float()
        kept = kept + lone * ((gl - fl).norm(dim=-1) * only_l + (gr - fr).norm(dim=-1) * only_r)
        swapped = swapped + lone * ((gl - fr).norm(dim=-1) * only_l + (gr - fl).norm(dim=-1) * only_r)
    emission = kept @ (1 - ex).T + swapped @ ex.T  # (N, T, S)
    emission = emission + flip_cost * 0.5 * ex.sum(-1)
    if evidence is not None:
        emission = emission + evidence
    # continuity: for pair k, the cost of moving from frame t-1 to t when its labelling stays or changes
    linked = both[:, 1:] * both[:, :-1]
    same = ((gl[:, 1:] - gl[:, :-1]).norm(dim=-1) + (gr[:, 1:] - gr[:, :-1]).norm(dim=-1)) * linked  # (N, T-1, 6)
    cross = ((gl[:, 1:] - gr[:, :-1]).norm(dim=-1) + (gr[:, 1:] - gl[:, :-1]).norm(dim=-1)) * linked
    change = (exchanges[:, None, :] ^ exchanges[None, :, :]).float()  # (S_prev, S, 6)
    # transition (N, T-1, S_prev, S)
    transition = temporal * (torch.einsum("ntk,pqk->ntpq", same, 1 - change)
                             + torch.einsum("ntk,pqk->ntpq", cross, change))
    if switch_cost:
        pairs_changed = change.sum(-1)  # (S, S)
        transition = transition + switch_cost * 0.5 * pairs_changed
    cost = emission[:, 0]  # (N, S)
    back = []
    for f in range(1, t):
        total = cost[:, :, None] + transition[:, f - 1]  # (N, S_prev, S)
        cost, arg = total.min(dim=1)
        cost = cost + emission[:, f]
        back.append(arg)
    state = torch.empty(n, t, dtype=torch.long, device=given.device)
    state[:, -1] = cost.argmin(dim=1)
    rows = torch.arange(n, device=given.device)
    for f in range(t - 1, 0, -1):
        state[:, f - 1] = back[f - 1][rows, state[:, f]]
    either = present[..., left] | present[..., right]
    labelled = either if lone > 0 else both.bool()
    flips = exchanges[state] & labelled  # (N, T, 6)
    if not with_confidence:
        return flips
    exchanged = labelling_confidence(emission, transition, exchanges)  # (N, T, 6): p(pair exchanged)
    sure = torch.where(flips, exchanged, 1 - exchanged)
    return flips, torch.where(labelled, sure, torch.full_like(sure, float("nan")))


def labelling_confidence(emission: torch.Tensor, transition: torch.Tensor, exchanges: torch.Tensor) -> torch.Tensor:
    """The posterior probability (N, T, 6) that each pair is exchanged, the window's costs read as energies.

    ``emission`` (N, T, S) and ``transition`` (N, T-1, S, S) are the labelling's costs (``relabel_windows``),
    ``exchanges`` (S, 6) what each state exchanges. Each labelling of the whole window is taken to be as
    probable as exp(-its total cost): forward-backward gives each frame's state marginals, summed over
    the states that exchange the pair. A pair the cheapest labelling exchanges by a wide margin of cost
    comes out near 1; one whose other labelling costs about as much, near 0.5.
    """
    forward = [-emission[:, 0]]  # log-sum-exp of -cost over the paths that end in each state
    for f in range(1, emission.shape[1]):
        forward.append(torch.logsumexp(forward[-1][:, :, None] - transition[:, f - 1], dim=1) - emission[:, f])
    backward = [torch.zeros_like(forward[-1])]
    for f in range(emission.shape[1] - 2, -1, -1):
        backward.append(torch.logsumexp(-transition[:, f] - emission[:, f + 1][:, None, :]
                                        + backward[-1][:, None, :], dim=2))
    backward.reverse()
    posterior = torch.softmax(torch.stack(forward, 1) + torch.stack(backward, 1), dim=-1)  # (N, T, S)
    return posterior @ exchanges.to(posterior.dtype)
