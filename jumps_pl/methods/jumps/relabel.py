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

import functools
import itertools

import numpy as np
import torch
from torch.nn import functional

from jumps_pl.skeleton import ARM_CHAINS, FLIP_CHAINS, FLIP_PARTS, INPUT_PAIRS, LEG_CHAINS


def _states(groups: list[tuple[int, ...]]) -> torch.Tensor:
    """(states, 6) bool: which input pairs (``skeleton.INPUT_PAIRS``) each labelling exchanges."""
    return torch.tensor([[k in group for k in range(len(INPUT_PAIRS))] for group in groups], dtype=torch.bool)


# every labelling a frame can take, per ``infer.repair.labelling``
LABELLINGS = {
    "parts": _states([tuple(k for p, part in enumerate(FLIP_PARTS) if (s >> p) & 1 for k in part)
                      for s in range(2 ** len(FLIP_PARTS))]),
    "chains": _states(list(FLIP_CHAINS)),
}


# Each labelling is a product of independent factors: a group of pairs and the ways it can be exchanged
# (a frame's state is one way per factor, the first factor's way the most significant in the state's
# index). Every cost adds over pairs, so the labelling of least total cost, and each frame's marginals,
# are those of each factor on its own: the window is labelled factor by factor, with 5 ways a step
# instead of 25 states (chains).
FACTORS: dict[str, tuple[tuple[tuple[int, ...], tuple[tuple[int, ...], ...]], ...]] = {
    "parts": tuple((FLIP_PARTS[p], ((), FLIP_PARTS[p])) for p in reversed(range(len(FLIP_PARTS)))),
    "chains": ((tuple(sorted({k for way in ARM_CHAINS for k in way})), ARM_CHAINS),
               (tuple(sorted({k for way in LEG_CHAINS for k in way})), LEG_CHAINS)),
}
assert all(torch.equal(LABELLINGS[name], _states([sum(ways, ()) for ways in itertools.product(
    *(w for _, w in factors))])) for name, factors in FACTORS.items())


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


def detector_evidence(logits: torch.Tensor, weight: float) -> torch.Tensor:
    """``weight`` x the -log probability of each pair's labelling (N, T, 6, 2: as given, exchanged).

    The detector's logits (N, T, 6 or 3) each say "this pair (part) is given exchanged"
    (``flip_detector.py``); each pair weighs in by half, so that a part of two pairs weighs as one. A
    labelling's cost is the sum over its pairs.
    """
    logits = pair_logits(logits)
    return weight * 0.5 * torch.stack([functional.softplus(logits), functional.softplus(-logits)], dim=-1)


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
    ``evidence`` (N, T, 6, 2): a further cost of each pair as given and exchanged, per frame (the flip
    detector's, ``detector_evidence``).
    ``with_confidence``: also return how sure each pair's labelling is (N, T, 6), its posterior probability
    (``state_marginals``), NaN where the pair is not labelled (no side given, or ``lone`` 0 and one side).
    """
    # the costs and the recursions over frames run on numpy: a window's arrays and steps are many and small
    # (N x T x ways x ways), where torch's per-call overhead would dominate
    exchanges = _tables(labelling)[0]
    left, right = [a for a, _ in pairs], [b for _, b in pairs]
    points, seen, fit = given.detach().cpu().numpy(), present.cpu().numpy(), reference.detach().cpu().numpy()
    both = (seen[..., left] & seen[..., right]).astype(np.float32)  # (N, T, 6)
    gl, gr, fl, fr = points[..., left, :], points[..., right, :], fit[..., left, :], fit[..., right, :]
    kept = (_distance(gl, fl) + _distance(gr, fr)) * both  # (N, T, 6)
    swapped = (_distance(gr, fl) + _distance(gl, fr)) * both
    if lone:
        only_l = (seen[..., left] & ~seen[..., right]).astype(np.float32)
        only_r = (seen[..., right] & ~seen[..., left]).astype(np.float32)
        kept = kept + lone * (_distance(gl, fl) * only_l + _distance(gr, fr) * only_r)
        swapped = swapped + lone * (_distance(gl, fr) * only_l + _distance(gr, fl) * only_r)
    if evidence is not None:
        costs = evidence.detach().cpu().numpy()
        kept, swapped = kept + costs[..., 0], swapped + costs[..., 1]
    # continuity: for pair k, the cost of moving from frame t-1 to t when its labelling stays or changes
    linked = both[:, 1:] * both[:, :-1]
    same = (_distance(gl[:, 1:], gl[:, :-1]) + _distance(gr[:, 1:], gr[:, :-1])) * linked  # (N, T-1, 6)
    cross = (_distance(gl[:, 1:], gr[:, :-1]) + _distance(gr[:, 1:], gl[:, :-1])) * linked
    # per factor, stacked over windows (factor-major): emission (F N, T, W) and transition (F N, T-1, W_prev, W),
    # per pair ``same`` where its labelling stays and ``cross`` where it changes
    factors = _factor_tables(labelling)
    emission = np.concatenate([kept[..., group] @ (1 - ex).T + swapped[..., group] @ ex.T + flip_cost * 0.5 * ex.sum(-1)
                               for group, ex, _, _ in factors])
    transition = np.concatenate([
        temporal * (same[..., group] @ (1 - change).T + cross[..., group] @ change.T).reshape(
            *same.shape[:2], *changed.shape) + switch_cost * 0.5 * changed
        for group, _, change, changed in factors])
    n, ways = len(kept), len(factors[0][1])
    way = _cheapest_path(emission, transition).reshape(len(factors), n, -1)  # (F, N, T)
    state = sum(way[f] * ways ** (len(factors) - 1 - f) for f in range(len(factors)))
    either = seen[..., left] | seen[..., right]
    labelled = either if lone > 0 else both.astype(bool)
    flips = exchanges[state] & labelled  # (N, T, 6)
    device = given.device
    if not with_confidence:
        return torch.as_tensor(flips, device=device)
    posterior = state_marginals(emission, transition).reshape(len(factors), n, *emission.shape[1:])
    exchanged = np.empty(kept.shape, dtype=np.float32)  # (N, T, 6): p(pair exchanged)
    for f, (group, ex, _, _) in enumerate(factors):
        exchanged[..., group] = posterior[f] @ ex
    sure = np.where(labelled, np.where(flips, exchanged, 1 - exchanged), np.float32(np.nan))
    return torch.as_tensor(flips, device=device), torch.as_tensor(sure, device=device)


def _distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The Euclidean distance between points (..., 2)."""
    d = a - b
    return np.sqrt(np.add.reduce(d * d, -1))


@functools.cache
def _tables(labelling: str) -> tuple[np.ndarray]:
    """A labelling's states' exchanges (S, 6) bool, made once (read only)."""
    exchanges = pair_exchanges(labelling).numpy()
    exchanges.flags.writeable = False
    return (exchanges,)


@functools.cache
def _factor_tables(labelling: str) -> tuple[tuple[list[int], np.ndarray, np.ndarray, np.ndarray], ...]:
    """Per factor of a labelling (``FACTORS``), made once (read only).

    Its pairs, which of them each way exchanges (W, P) float, which change between two ways
    (W_prev x W, P) float, and how many (W_prev, W).
    """
    tables = []
    for group, ways in FACTORS[labelling]:
        ex = np.array([[k in way for k in group] for way in ways], dtype=np.float32)
        change = np.abs(ex[:, None, :] - ex[None, :, :])
        for table in (ex, change):
            table.flags.writeable = False
        tables.append((list(group), ex, change.reshape(-1, len(group)), change.sum(-1)))
    if len({len(ex) for _, ex, _, _ in tables}) != 1:
        raise ValueError(f"the factors of labelling {labelling!r} must have as many ways each")
    return tuple(tables)


def _cheapest_path(emission: np.ndarray, transition: np.ndarray) -> np.ndarray:
    """Viterbi: the state sequence (N, T) of least total cost; ties go to the lowest state.

    From ``emission`` (N, T, S) and ``transition`` (N, T-1, S_prev, S), the labelling's costs.
    """
    n, t = emission.shape[:2]
    # the loop keeps every step's totals (N, S_prev, S), and the best state before each is read from them all
    # at once after it: three calls a frame, where a window's steps are many and small
    totals = np.empty(transition.shape, dtype=np.result_type(emission, transition))
    cost = emission[:, 0]
    least, add = np.minimum.reduce, np.add  # without the ndarray.min wrapper
    for f in range(t - 1):
        total = add(cost[:, :, None], transition[:, f], out=totals[:, f])
        cost = add(least(total, axis=1), emission[:, f + 1])
    # back[:, f] maps each state of frame f + 1 to the best before it; composed by doubling (each round, every
    # frame's map reaches twice as far, up to the last frame), the path comes out in log2(T) steps
    back = totals.argmin(axis=2)  # (N, T-1, S)
    span = 1
    while span < t - 1:
        back[:, :-span] = np.take_along_axis(back[:, :-span], back[:, span:], axis=2)
        span *= 2
    last = cost.argmin(axis=1)  # (N,)
    return np.concatenate([back[np.arange(n), :, last], last[:, None]], axis=1)


def state_marginals(emission: np.ndarray, transition: np.ndarray) -> np.ndarray:
    """Each frame's posterior over states (N, T, S), the window's costs read as energies.

    ``emission`` (N, T, S) and ``transition`` (N, T-1, S_prev, S) are the labelling's costs
    (``relabel_windows``). Each labelling of the whole window is taken to be as probable as exp(-its total
    cost); forward-backward gives each frame's marginals. Summed over the states that exchange a pair,
    they give how sure the labelling is of it: near 1 where the cheapest labelling wins by a wide margin
    of cost, near 0.5 where the other costs about as much.
    """
    # in probabilities (float64), each step rescaled: every frame's factor is exp(-(cost - its least cost)),
    # so no step underflows, and the scales cancel in the normalized marginals. Each step into frame f + 1
    # carries that frame's evidence (one product up front), so each step is one matmul and one rescaling.
    emission, transition = emission.astype(np.float64), transition.astype(np.float64)
    local = np.exp(-(emission - emission.min(-1, keepdims=True)))  # (N, T, S)
    step = np.exp(-(transition - transition.min((-2, -1), keepdims=True)))  # (N, T-1, S, S)
    step *= local[:, 1:, None, :]
    # the forward and backward passes run in one loop, stacked: a backward message as a row vector takes
    # each step transposed (b_f = step_f b_(f+1) is b_f^T = b_(f+1)^T step_f^T)
    n, frames = emission.shape[:2]
    steps = np.concatenate([step, step[:, ::-1].transpose(0, 1, 3, 2)])  # (2N, T-1, S, S)
    messages = np.empty((2 * n, frames, 1, local.shape[-1]))  # forward, then backward from the last frame
    total, matmul, divide = np.add.reduce, np.matmul, np.divide  # without wrappers: the steps are many and small
    a = local[:, 0, None, :]
    divide(a, total(a, -1, keepdims=True), out=messages[:n, 0])
    messages[n:, 0] = 1.0
    for f in range(1, frames):
        a = matmul(messages[:, f - 1], steps[:, f - 1])
        divide(a, total(a, -1, keepdims=True), out=messages[:, f])
    forward, backward = messages[:n], messages[n:, ::-1].transpose(0, 1, 3, 2)  # (N, T, 1, S), (N, T, S, 1)
    joint = forward[:, :, 0] * backward[..., 0]
    return (joint / total(joint, -1, keepdims=True)).astype(np.float32)
