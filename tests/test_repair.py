"""Confident detector failures: the hpe-confident task, the continuity heuristic, the prior's repair,
and every writer saying what was repaired."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from conftest import STREET_MEDIA
from jumps_pl import skeleton
from jumps_pl.cli import main
from jumps_pl.evaluation.tasks import make_task
from jumps_pl.methods.continuity.heuristic import relabel_by_continuity
from jumps_pl.prediction import RepairCode
from jumps_pl.skeleton import INPUT_PAIRS

STREET = STREET_MEDIA / "alphapose-results.json"


@pytest.fixture(scope="module")
def windows(clip_archive, tmp_path_factory):
    from conftest import data_config
    from jumps_pl.data.datamodule import MocapDataModule

    dm = MocapDataModule(**data_config(clip_archive, tmp_path_factory.mktemp("cache"), train_stride=16))
    dm.setup()
    batch = dm.to_2d(next(iter(dm.dataloader("train"))), augment=True)
    return batch["keypoints_px"].numpy()[:32], batch["head_size_px"].numpy()[:32]


def test_the_confident_failure_task_is_hpe_plus_confident_flips_and_foreign_frames(windows):
    target, head = windows
    plain, failing = make_task("hpe", target, head, 0), make_task("hpe-confident", target, head, 0)
    assert failing.flipped.any(-1).mean() >= 0.05 and failing.foreign.mean() >= 0.02
    touched = failing.flipped.any(-1) | failing.foreign
    np.testing.assert_array_equal(failing.keypoints_px[~touched], plain.keypoints_px[~touched])
    np.testing.assert_array_equal(failing.mask[~touched], plain.mask[~touched])
    confident = failing.confidence[touched][failing.mask[touched]]
    assert confident.min() >= 0.6  # detector-like confidence where it fails
    for w, f, k in zip(*np.nonzero(failing.flipped), strict=True):  # a flip exchanges the labels of what was seen
        left, right = INPUT_PAIRS[k]
        np.testing.assert_allclose(failing.keypoints_px[w, f, [left, right]], plain.keypoints_px[w, f, [right, left]])
        assert list(failing.mask[w, f, [left, right]]) == list(plain.mask[w, f, [right, left]])
    lefts, rights = [a for a, _ in INPUT_PAIRS], [b for _, b in INPUT_PAIRS]
    lone = failing.flipped & (failing.mask[..., lefts] != failing.mask[..., rights])
    assert lone.any()  # flips where the detector saw one side only are among them
    # every given entry is a detection: a flip never moves a missing entry's placeholder into view
    assert (np.abs(failing.keypoints_px[failing.mask]).sum(-1) > 0).all()


def test_the_wider_mix_flips_any_chain_on_the_same_bursts_and_keeps_hpe_confident_as_it_was(windows):
    target, head = windows
    protocol, wide = make_task("hpe-confident", target, head, 0), make_task("hpe-confident-wide", target, head, 0)
    # the same bursts and the same frames of another person: only which pairs each burst exchanges differs
    np.testing.assert_array_equal(protocol.foreign, wide.foreign)
    np.testing.assert_array_equal(protocol.flipped.any(-1), wide.flipped.any(-1))
    def shoulders_without_hips(task):  # a chain the protocol's mix never draws (it flips them with the body)
        frames = task.flipped.any(-1)
        return (task.flipped[..., 0] & ~task.flipped[..., 3])[frames].mean()

    assert shoulders_without_hips(protocol) < 0.01 < 0.05 < shoulders_without_hips(wide)
    np.testing.assert_array_equal(protocol.keypoints_px, make_task("hpe-confident", target, head, 0).keypoints_px)


def test_continuity_relabels_a_flip_and_sets_a_jump_aside(windows):
    target, _ = windows
    given = target[:1].copy()
    mask = np.ones(given.shape[:3], dtype=bool)
    given[0, 20:26] = given[0, 20:26][:, [0, 1, 2, 3, 4, 9, 10, 11, 12, 5, 6, 7, 8, 17, 18, 19, 20, 13, 14, 15, 16]]
    given[0, 40] += 2000.0
    repaired, kept, status = relabel_by_continuity(given, mask, ratio=0.8, outlier=1.0)
    assert (status[0, 20:26][:, [6, 10]] == RepairCode.RELABELLED).all()
    inputs = list(skeleton.INPUT_INDICES)
    np.testing.assert_allclose(repaired[0, 20:26][:, inputs], target[0, 20:26][:, inputs], atol=1e-3)
    assert (status[0, 40][mask[0, 40]] == RepairCode.SET_ASIDE).all() and not kept[0, 40].any()


def test_continuity_takes_a_lone_entry_back_with_its_group_only_when_lone_entries_count(windows):
    """The body flipped over frames 20-25 with the left knee not detected there: the right knee given
    (the true left one) goes back to the left, its presence with it, when ``lone`` > 0."""
    target, _ = windows
    given = target[:1].copy()
    mask = np.ones(given.shape[:3], dtype=bool)
    given[0, 20:26] = given[0, 20:26][:, [0, 1, 2, 3, 4, 9, 10, 11, 12, 5, 6, 7, 8, 17, 18, 19, 20, 13, 14, 15, 16]]
    knee_l, knee_r = INPUT_PAIRS[4]
    mask[0, 20:26, knee_l] = False  # the detector saw one knee only, and named it right
    _, kept, status = relabel_by_continuity(given, mask, ratio=0.8, outlier=3.0)
    assert not (status[0, 20:26, knee_r] == RepairCode.RELABELLED).any()
    repaired, kept, status = relabel_by_continuity(given, mask, ratio=0.8, outlier=3.0, lone=1.0)
    assert (status[0, 20:26, knee_r] == RepairCode.RELABELLED).all() and not status[0, 20:26, knee_l].any()
    assert kept[0, 20:26, knee_l].all() and not kept[0, 20:26, knee_r].any()
    np.testing.assert_allclose(repaired[0, 20:26, knee_l], target[0, 20:26, knee_l], atol=1e-3)


def test_the_prior_repair_runs_and_reports_what_it_did(tiny_checkpoint, windows):
    from jumps_pl.config import load_config, to_container
    from jumps_pl.methods import build_methods

    target, head = windows
    config = to_container(load_config(overrides=[f"models.jumps={tiny_checkpoint}", "infer.iterations=20",
                                                 "infer.repair.iterations=10", "infer.starts=2"]))
    given = make_task("hpe-confident", target[:8], head[:8], 0)
    methods = build_methods(config, ["JUMPS", "JUMPS + repair"])
    plain = methods["JUMPS"].predict_windows(given.keypoints_px, given.mask, given.confidence)
    repaired = methods["JUMPS + repair"].predict_windows(given.keypoints_px, given.mask, given.confidence)
    assert plain.repair is None  # the paper's row: repair off by default, nothing to report
    status = repaired.repair
    assert status.shape == given.mask.shape and set(np.unique(status)) <= {0, 1, 2} and status.any()
    assert not status[~given.mask].any()  # only given entries are repaired
    assert np.isfinite(repaired.positions).all()


def test_the_encoders_repair_stops_at_a_fixed_point_with_the_output_of_every_round(windows):
    """``fusion.repair_rounds``: once a round repeats the one before, later rounds would too; stopping
    there gives, to the bit, what running them all gives (shipped models, real windows)."""
    import torch

    from jumps_pl.config import load_config, to_container
    from jumps_pl.methods import build_methods

    target, head = windows
    given = make_task("hpe-confident", target[:8], head[:8], 0)
    reader = build_methods(to_container(load_config()), ["JUMPS + fusion"])["JUMPS + fusion"].noisy_reader
    arrays = [torch.as_tensor(a) for a in (given.keypoints_px, given.mask, given.confidence)]
    calls = []
    repaired = reader._repaired
    reader._repaired = lambda *args: calls.append(1) or repaired(*args)
    stopped = reader.encode_windows(*arrays)
    rounds = len(calls)
    reader.repair = {**reader.repair, "rounds": 30}
    longer = reader.encode_windows(*arrays)
    assert rounds < 5 and len(calls) == 2 * rounds  # it stopped early, and at the same round both times
    for a, b in zip(stopped, longer, strict=True):  # poses, codes, the confidence (NaN where nothing decided)
        torch.testing.assert_close(a, b, rtol=0, atol=0, equal_nan=True)


@pytest.mark.street
@pytest.mark.parametrize("suffix", [".npz", ".json", ".csv"])
def test_every_writer_says_what_was_repaired(suffix, tmp_path, capsys):
    out = tmp_path / f"out{suffix}"
    assert main(["upsample", str(STREET), "--out", str(out), "--method", "continuity+ridge+savgol", "--fps", "50",
                 "--quiet"]) == 0
    assert "repairs:" in capsys.readouterr().err
    if suffix == ".npz":
        with np.load(out) as data:
            assert data["repair"].shape == data["confidence"].shape and data["repair_codes"].tolist()[1] == "relabelled"
    elif suffix == ".json":
        entry = next(e for e in json.loads(out.read_text()) if "jumps_repair" in e)
        assert len(entry["jumps_repair"]) == 21 and entry["jumps_repair_codes"] == ["kept", "relabelled", "set aside",
                                                                                 "uncertain"]
    else:
        with open(out) as handle:
            assert "Foot_L_r" in next(csv.DictReader(handle))


@pytest.mark.street
def test_render_marks_repaired_joints(tmp_path):
    out = tmp_path / "out.npz"
    assert main(["upsample", str(STREET), "--out", str(out), "--method", "continuity+ridge+savgol", "--fps", "50",
                 "--quiet"]) == 0
    assert main(["render", str(out), "--out", str(tmp_path / "r.gif"), "--width", "240", "--repairs"]) == 0


@pytest.mark.street
def test_frames_a_tracker_exchanged_between_two_people_go_back_to_their_tracks(tmp_path, capsys):
    """Two people built from the street detections (the second 300 px to the right); the tracker's ids
    are exchanged on frames 60-64. After upsampling, each track follows its own person throughout."""
    entries = sorted(json.loads(STREET.read_text()), key=lambda e: int(e["image_id"].split(".")[0]))
    people = []
    for e in entries:
        frame = int(e["image_id"].split(".")[0])
        other = np.asarray(e["keypoints"], dtype=float).reshape(17, 3)
        other[:, 0] += 300.0
        ids = (2, 1) if 60 <= frame <= 64 else (1, 2)
        people.append({**e, "idx": ids[0]})
        people.append({**e, "keypoints": other.ravel().tolist(), "idx": ids[1]})
    source, out = tmp_path / "two.json", tmp_path / "two.npz"
    source.write_text(json.dumps(people))
    assert main(["upsample", str(source), "--out", str(out), "--method", "ridge", "--fps", "50", "--quiet"]) == 0
    assert "5 frame(s) given back" in capsys.readouterr().err
    with np.load(out) as data:
        inputs, ids = data["input_keypoints"], data["track_ids"].tolist()
    hips_x = np.nanmean(inputs[:, :, 6:8, 0], axis=-1)  # (tracks, frames)
    first, second = ids.index("1"), ids.index("2")
    gap = hips_x[second] - hips_x[first]
    assert (gap > 250).all(), np.nonzero(gap <= 250)  # track 2 is the person on the right in every frame


@pytest.mark.street
def test_on_the_street_the_frames_of_another_person_do_not_drag_the_hips(tmp_path):
    """Frames marked by eye (tests/data/street-marks.yaml) where the detector takes the person in teal:
    the default method's hip centre stays within 1 head size of the line between the nearest good
    frames, and, where the detection's hips are off that line by more than half a head size, nearer it
    than they are."""
    import yaml

    marks = yaml.safe_load((Path(__file__).parent / "data" / "street-marks.yaml").read_text())
    out = tmp_path / "street.npz"
    assert main(["upsample", str(STREET), "--out", str(out), "--fps", "50", "--quiet"]) == 0
    with np.load(out) as data:
        poses, inputs, frames = data["keypoints"][0], data["input_keypoints"][0], data["frames"]
    hips = lambda p: p[:, [skeleton.joint_index("UpperLeg_L"), skeleton.joint_index("UpperLeg_R")]].mean(1)  # noqa: E731
    out_hips, in_hips = hips(poses), inputs[:, 6:8].mean(1)
    head = 0.5 * np.linalg.norm(poses[:, skeleton.NECK] - poses[:, skeleton.ROOT], axis=-1)
    before, after = (int(np.flatnonzero(frames == f)[0]) for f in marks["good_neighbours"])
    for frame in marks["wrong_person"]:
        k = int(np.flatnonzero(frames == frame)[0])
        line = out_hips[before] + (out_hips[after] - out_hips[before]) * (k - before) / (after - before)
        line_in = in_hips[before] + (in_hips[after] - in_hips[before]) * (k - before) / (after - before)
        assert np.linalg.norm(out_hips[k] - line) < head[k]
        if np.linalg.norm(in_hips[k] - line_in) > 0.5 * head[k]:
            assert np.linalg.norm(out_hips[k] - line) < np.linalg.norm(in_hips[k] - line_in)


def test_the_window_labelling_follows_the_prior_and_the_motion(windows):
    """Legs flipped over a burst, against the clean window as reference: the whole burst comes back;
    with a reference that itself follows one flipped frame, continuity still brings it back."""
    import torch

    from jumps_pl.methods.jumps.relabel import relabel_windows

    clean, given = _legs_flipped(windows)
    present = torch.ones(given.shape[:3], dtype=torch.bool)
    flips = relabel_windows(given, present, clean, INPUT_PAIRS, temporal=0.5, flip_cost=0.05)
    expected = torch.zeros_like(flips)
    expected[0, 20:28, 4:6] = True
    assert torch.equal(flips, expected)
    misled = clean.clone()
    misled[0, 24] = given[0, 24]  # the reference follows the flip on one frame
    assert not relabel_windows(given, present, misled, INPUT_PAIRS, 0.0, 0.0)[0, 24].any()
    assert relabel_windows(given, present, misled, INPUT_PAIRS, 2.0, 0.05)[0, 24, 4:6].all()
    # ...as does a cost on every change of labelling, with no continuity term: one that outweighs what
    # exchanging costs on that frame, against the burst's evidence
    legs = [side for k in (4, 5) for side in INPUT_PAIRS[k]]
    on_frame = 2 * (given[0, 24, legs[0::2]] - given[0, 24, legs[1::2]]).norm(dim=-1).sum()
    switching = float(on_frame)
    assert relabel_windows(given, present, misled, INPUT_PAIRS, 0.0, 0.0, switch_cost=switching)[0, 24, 4:6].all()
    assert not relabel_windows(given, present, misled, INPUT_PAIRS, 0.0, 0.0, switch_cost=0.4 * switching)[0, 24].any()
    # no flip anywhere: nothing exchanged
    assert not relabel_windows(clean, present, clean, INPUT_PAIRS, 0.5, 0.05).any()


def test_the_labelling_says_how_sure_it_is_and_an_unsure_pair_is_left_out(windows):
    """The posterior of each pair's labelling: near 1 where the reference is clear, near 0.5 where the
    reference lies as near one labelling as the other; the threshold sets such pairs aside, unused, and a pair
    set aside in the round before stays aside a little above it."""
    import torch

    from jumps_pl.config import load_config, to_container
    from jumps_pl.methods import build_methods
    from jumps_pl.methods.jumps.latent_opt import UNCERTAIN_HOLD
    from jumps_pl.methods.jumps.relabel import relabel_windows

    clean, given = _legs_flipped(windows)
    present = torch.ones(given.shape[:3], dtype=torch.bool)
    flips, sure = relabel_windows(given, present, clean, INPUT_PAIRS, 0.5, 0.05, with_confidence=True)
    assert torch.equal(flips, relabel_windows(given, present, clean, INPUT_PAIRS, 0.5, 0.05))
    assert sure.shape == flips.shape and (sure > 0.6).all()  # a clear reference: each labelling more probable
    # a reference halfway between the two sides of the knees and ankles: either labelling fits as well
    halfway = clean.clone()
    for k in (4, 5):
        left, right = INPUT_PAIRS[k]
        halfway[0, :, left] = halfway[0, :, right] = (clean[0, :, left] + clean[0, :, right]) / 2
    _, unsure = relabel_windows(given, present, halfway, INPUT_PAIRS, 0.0, 0.0, with_confidence=True)
    assert ((unsure[0, :, 4:6] - 0.5).abs() < 0.05).all() and (unsure[0, :, :4] > 0.6).all()
    # a pair with no side given is labelled by nothing: NaN
    gone = present.clone()
    gone[0, :, list(INPUT_PAIRS[2])] = False
    assert torch.isnan(relabel_windows(given, gone, clean, INPUT_PAIRS, 0.5, 0.05, lone=1.0,
                                       with_confidence=True)[1][0, :, 2]).all()
    # in the repair: below infer.repair.uncertain_below a pair is neither relabelled nor used
    reader = build_methods(to_container(load_config()), ["JUMPS + fusion"])["JUMPS + fusion"].noisy_reader
    reader.repair = {**reader.repair, "temporal": 0.5, "flip_cost": 0.05, "uncertain_below": 0.6,
                     "labelling": "parts"}  # the labelling the posteriors above were read with
    none = torch.zeros(*given.shape[:2], len(INPUT_PAIRS), dtype=torch.bool)
    x, w, status, sure = reader._repaired(halfway, given, present.float(), none)
    legs = [side for k in (4, 5) for side in INPUT_PAIRS[k]]
    assert (status[0][:, legs] == RepairCode.UNCERTAIN).all() and (w[0][:, legs] == 0).all()
    assert torch.equal(x[0][:, legs], given[0][:, legs])  # as given: not relabelled
    assert (status[0][:, [s for k in range(4) for s in INPUT_PAIRS[k]]] == RepairCode.KEPT).all()
    assert (sure[0][:, legs] < 0.6).all() and (sure[0][:, INPUT_PAIRS[0][0]] > 0.6).all()
    # a pair set aside in the round before (``before``) comes back only UNCERTAIN_HOLD above the threshold
    reader.repair["uncertain_below"] = below = float(sure[0][:, legs].median())
    _, _, fresh, _ = reader._repaired(halfway, given, present.float(), none)
    _, w, held, _ = reader._repaired(halfway, given, present.float(), none, before=status)
    band = (sure[0][:, legs] >= below) & (sure[0][:, legs] < below + UNCERTAIN_HOLD)
    assert band.any() and (fresh[0][:, legs][band] != RepairCode.UNCERTAIN).all()
    assert torch.equal(held[0][:, legs] == RepairCode.UNCERTAIN, sure[0][:, legs] < below + UNCERTAIN_HOLD)
    assert (w[0][:, legs][band] == 0).all()
    rest = [side for k in range(4) for side in INPUT_PAIRS[k]]
    assert torch.equal(held[0][:, rest], fresh[0][:, rest])  # the pairs not set aside before: as without it


def test_a_lone_entry_is_relabelled_with_its_part_only_when_lone_entries_count(windows):
    """The left ankle missing over a legs burst: the right ankle given there (the true left one) goes
    back with the knees when ``lone`` > 0, and never when it is 0."""
    import torch

    from jumps_pl.methods.jumps.relabel import relabel_windows

    clean, given = _legs_flipped(windows)
    present = torch.ones(given.shape[:3], dtype=torch.bool)
    present[0, 20:28, INPUT_PAIRS[5][0]] = False
    assert not relabel_windows(given, present, clean, INPUT_PAIRS, 0.5, 0.05)[0, 20:28, 5].any()
    flips = relabel_windows(given, present, clean, INPUT_PAIRS, 0.5, 0.05, lone=1.0)
    assert flips[0, 20:28, 4:6].all() and flips[0, :20].sum() == 0 and flips[0, 28:].sum() == 0


def test_the_flip_detector_finds_whole_body_flips_that_the_prior_follows(windows):
    """Whole-body flips over bursts of real windows, against a reference that follows them (the worst
    case of the encoder's reading: a person seen from behind): the prior's distances alone keep every
    flip; with the shipped flip detector's evidence the bursts come back and little else moves."""
    import torch

    from jumps_pl.methods.jumps.method import load_flip_detector
    from jumps_pl.methods.jumps.relabel import detector_evidence, relabel_windows
    from jumps_pl.model_folders import pretrained_dir
    from jumps_pl.models.normalization import fit_normalization

    target, _ = windows
    clean = torch.as_tensor(target)
    given = clean.clone()
    flipped = torch.zeros(*clean.shape[:2], 6, dtype=torch.bool)
    for w in range(len(clean)):
        start = 8 + (w * 7) % 40
        flipped[w, start:start + 8] = True
    for k, (left, right) in enumerate(INPUT_PAIRS):
        at = flipped[..., k]
        given[..., left, :][at], given[..., right, :][at] = clean[..., right, :][at], clean[..., left, :][at]
    present = torch.zeros(clean.shape[:3], dtype=torch.bool)
    present[..., skeleton.INPUT_INDICES] = True
    x = fit_normalization(given, present).apply(given)
    weights = present.float()
    shoulders = clean[..., INPUT_PAIRS[0][0], :] - clean[..., INPUT_PAIRS[0][1], :]
    apart = shoulders.norm(dim=-1) > 20  # px: not in profile
    costs = dict(temporal=2.0, flip_cost=0.02, switch_cost=0.3, lone=1.0)
    assert not relabel_windows(x, present, x, INPUT_PAIRS, **costs).any()
    with torch.no_grad():
        detector = load_flip_detector(pretrained_dir() / "flip-detector")
        logits = detector(torch.where(present[..., None], x, 0.0), weights)
    flips = relabel_windows(x, present, x, INPUT_PAIRS, **costs, evidence=detector_evidence(logits, 1.0))
    caught = (flips & flipped)[apart].float().sum() / flipped[apart].float().sum()
    false = (flips & ~flipped).float().mean()
    assert caught > 0.8 and false < 0.02, (float(caught), float(false))


@pytest.mark.street
def test_on_the_street_the_whole_body_flip_goes_back_and_frames_in_order_stay(tmp_path):
    """The street clip's one clear flip (tests/data/street-marks.yaml: frames 96-97, every input joint
    in reverse left/right order) comes back relabelled; the detections in order around it are kept."""
    import yaml


    marks = yaml.safe_load((Path(__file__).parent / "data" / "street-marks.yaml").read_text())
    out = tmp_path / "street.npz"
    assert main(["upsample", str(STREET), "--out", str(out), "--fps", "50", "--quiet"]) == 0
    with np.load(out) as data:
        status, frames, inputs = data["repair"][0], data["frames"], data["input_keypoints"][0]
        sure = data["repair_confidence"][0][:, skeleton.INPUT_INDICES]
    inputs_status = status[:, skeleton.INPUT_INDICES]
    # the entries the repair labelled carry how sure it is (every relabelled one among them), a probability;
    # the flip was relabelled with confidence
    labelled = np.isfinite(sure)
    assert labelled[inputs_status == RepairCode.RELABELLED].all() and labelled[np.isfinite(inputs).all(-1)].mean() > 0.8
    assert ((sure[labelled] >= 0) & (sure[labelled] <= 1)).all()
    shoulders_x = inputs[:, 0, 0] - inputs[:, 1, 0]  # left - right, image x
    for frame in marks["whole_body_flip"]:
        k = int(np.flatnonzero(frames == frame)[0])
        assert shoulders_x[k] > 0 and (inputs_status[k] == RepairCode.RELABELLED).all(), frame
        assert (sure[k] > 0.5).all(), (frame, sure[k])
    for frame in [f for first, last in marks["in_order"] for f in range(first, last + 1)]:
        k = int(np.flatnonzero(frames == frame)[0])
        assert (inputs_status[k] != RepairCode.RELABELLED).all(), frame


def _legs_flipped(windows):
    """The first window (about a torso length per unit, as normalized) and it with the knees and ankles
    given exchanged over frames 20-27."""
    import torch

    clean = torch.as_tensor(windows[0][:1] / 100.0)
    given = clean.clone()
    for k in (4, 5):
        left, right = INPUT_PAIRS[k]
        given[0, 20:28, left], given[0, 20:28, right] = clean[0, 20:28, right], clean[0, 20:28, left]
    return clean, given


def test_the_labellings_recursions_agree_with_every_labelling_of_the_window_enumerated():
    """Viterbi's path is the labelling of least total cost and the marginals are the normalized sums of
    exp(-cost) over every labelling, on small windows where all of them can be listed (ties included)."""
    import itertools

    from jumps_pl.methods.jumps.relabel import _cheapest_path, state_marginals

    rng = np.random.default_rng(3)
    for frames, states in ((1, 3), (2, 2), (5, 3), (6, 2)):
        emission = rng.gamma(2.0, 1.0, (3, frames, states)).astype(np.float32)
        transition = rng.gamma(2.0, 1.0, (3, frames - 1, states, states)).astype(np.float32)
        emission[1] = np.round(emission[1])  # whole costs: ties, which go to the lowest state
        transition[1] = np.round(transition[1])
        paths = np.array(list(itertools.product(range(states), repeat=frames)))  # (P, T)
        steps = np.arange(frames - 1)
        for n in range(3):
            cost = (emission[n, np.arange(frames), paths].astype(np.float64).sum(1)
                    + transition[n, steps, paths[:, :-1], paths[:, 1:]].astype(np.float64).sum(1))
            best = paths[np.flatnonzero(np.isclose(cost, cost.min()))]
            found = _cheapest_path(emission[n:n + 1], transition[n:n + 1])[0]
            assert any(np.array_equal(found, p) for p in best)
            if n == 1:  # among equal paths, the lowest states, latest frame first (the backtrack's order)
                assert np.array_equal(found, min(best.tolist(), key=lambda p: p[::-1]))
            p = np.exp(-(cost - cost.min()))
            marginals = np.stack([[p[paths[:, f] == s].sum() for s in range(states)] for f in range(frames)]) / p.sum()
            np.testing.assert_allclose(state_marginals(emission[n:n + 1], transition[n:n + 1])[0], marginals,
                                       rtol=1e-5, atol=1e-6)


def test_the_flip_detector_read_in_both_mirrors_gives_a_window_and_its_mirror_the_same_evidence(windows):
    """``infer.repair.detector_views`` 2: the logits of the window and of its mirror averaged, so that a window
    and its mirror image (left and right exchanged, x negated) get the same evidence; read once, they do not."""
    import torch

    from jumps_pl.methods.jumps.latent_opt import LatentOptimizer, _mirrored
    from jumps_pl.methods.jumps.method import load_flip_detector, load_jumps
    from jumps_pl.model_folders import pretrained_dir
    from jumps_pl.models.normalization import fit_normalization

    target, _ = windows
    given = torch.as_tensor(target)
    present = torch.zeros(given.shape[:3], dtype=torch.bool)
    present[..., skeleton.INPUT_INDICES] = True
    x = torch.where(present[..., None], fit_normalization(given, present).apply(given), 0.0)
    weights = present.float()
    model = load_jumps(pretrained_dir() / "jumps-default")[0]
    detector = load_flip_detector(pretrained_dir() / "flip-detector")
    mirror = torch.as_tensor(skeleton.MIRROR_PERMUTATION)
    evidence = {}
    for views in (1, 2):
        optimizer = LatentOptimizer(model, starts=1, iterations=0, lr=0.05, prior_weight=0.0, align=True,
                                    encoder_start=True, overlap=16, batch_windows=8, seed=0,
                                    repair={"enabled": True, "detector": 1.0, "detector_views": views},
                                    flip_detector=detector)
        evidence[views] = [optimizer._detector_evidence(x, weights),
                           optimizer._detector_evidence(_mirrored(x), weights[:, :, mirror])]
    assert (evidence[1][0] - evidence[1][1]).abs().max() > 0.05
    torch.testing.assert_close(evidence[2][0], evidence[2][1], atol=1e-4, rtol=1e-4)
