"""The fusion of the prior's fit with the observations (``JUMPS + fusion``), on real windows."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from jumps_pl import skeleton
from jumps_pl.evaluation.tasks import make_task
from jumps_pl.methods.continuity.heuristic import apply_repair
from jumps_pl.methods.fusion.fuse import FusionSettings, fuse
from jumps_pl.prediction import RepairCode

INPUTS = skeleton.INPUT_INDICES


@pytest.fixture(scope="module")
def windows(training_windows):
    keypoints_px, head_size_px = training_windows
    return keypoints_px[:16].astype(np.float64), head_size_px[:16]


def _a_smooth_wrong_fit(target: np.ndarray) -> np.ndarray:
    """A fit that misses every joint by a slowly drifting offset (as an imprecise generator does)."""
    t = np.arange(target.shape[1])[None, :, None, None]
    return target + 6.0 * np.sin(t / 20.0 + np.arange(21)[None, None, :, None]) + 3.0


def _identity_map(poses: np.ndarray) -> np.ndarray:
    return poses


SETTINGS = FusionSettings(noise_threshold=0.02, smoothing=3.0, robust=3.0, gap_prior=1.0, transfer=(1.0,) * 9)


def test_exact_inputs_are_kept_exactly_and_gaps_follow_the_fit_plus_the_interpolated_residual(windows):
    target, head = windows
    given = make_task("completion", target, head, 0)
    fit = _a_smooth_wrong_fit(target)
    out, noise = fuse(given.keypoints_px, given.mask.astype(float), fit, _identity_map, SETTINGS)
    present = given.mask[:, :, INPUTS]
    np.testing.assert_allclose(out[:, :, INPUTS][present], target[:, :, INPUTS][present], atol=1e-3)
    assert (noise < SETTINGS.noise_threshold).mean() > 0.9  # a smooth residual reads as exact inputs
    hidden = given.missing[:, :, INPUTS]
    error_fused = np.linalg.norm(out[:, :, INPUTS] - target[:, :, INPUTS], axis=-1)[hidden]
    error_fit = np.linalg.norm(fit[:, :, INPUTS] - target[:, :, INPUTS], axis=-1)[hidden]
    assert error_fused.mean() < 0.5 * error_fit.mean()  # the residual of the neighbours corrects the gap


def test_noisy_inputs_are_smoothed_around_the_fit_and_end_closer_than_the_detections(windows):
    target, head = windows
    given = make_task("hpe", target, head, 0)
    fit = _a_smooth_wrong_fit(target)
    out, noise = fuse(given.keypoints_px, given.mask * given.confidence, fit, _identity_map, SETTINGS)
    present = given.mask[:, :, INPUTS]
    assert (noise > SETTINGS.noise_threshold).mean() > 0.9
    error_out = np.linalg.norm(out[:, :, INPUTS] - target[:, :, INPUTS], axis=-1)[present]
    error_in = np.linalg.norm(given.keypoints_px[:, :, INPUTS] - target[:, :, INPUTS], axis=-1)[present]
    error_fit = np.linalg.norm(fit[:, :, INPUTS] - target[:, :, INPUTS], axis=-1)[present]
    assert error_out.mean() < 0.7 * error_in.mean() and error_out.mean() < error_fit.mean()


def test_added_joints_are_the_map_of_the_fused_inputs_plus_the_transferred_share_of_the_prior(windows):
    target, _ = windows
    fit = _a_smooth_wrong_fit(target)
    mask = np.zeros(target.shape[:3])
    mask[:, :, INPUTS] = 1.0

    def shift_map(poses):  # a map that puts every added joint 10 px right of the left hip
        out = poses.copy()
        out[:, :, skeleton.ADDED_INDICES] = poses[:, :, [skeleton.joint_index("UpperLeg_L")]] + [10.0, 0.0]
        return out

    for share in (0.0, 1.0):
        settings = FusionSettings(0.02, 3.0, 3.0, 1.0, (share,) * 9)
        out, _ = fuse(target, mask, fit, shift_map, settings)
        expected = shift_map(out)[:, :, skeleton.ADDED_INDICES] + share * (
            fit[:, :, skeleton.ADDED_INDICES] - shift_map(fit)[:, :, skeleton.ADDED_INDICES])
        np.testing.assert_allclose(out[:, :, skeleton.ADDED_INDICES], expected, atol=1e-3)


def test_apply_repair_exchanges_relabelled_pairs_and_drops_set_aside_entries():
    keypoints = np.arange(21 * 2, dtype=float).reshape(1, 21, 2)
    weights = np.ones((1, 21))
    status = np.zeros((1, 21), dtype=np.int8)
    left, right = skeleton.joint_index("LowerLeg_L"), skeleton.joint_index("LowerLeg_R")
    status[0, left], status[0, right] = RepairCode.RELABELLED, RepairCode.SET_ASIDE  # then one side set aside
    hand = skeleton.joint_index("Hand_L")
    status[0, hand] = RepairCode.SET_ASIDE
    repaired, kept = apply_repair(keypoints, weights, status)
    np.testing.assert_array_equal(repaired[0, left], keypoints[0, right])
    np.testing.assert_array_equal(repaired[0, right], keypoints[0, left])
    assert kept[0, right] == 0 and kept[0, hand] == 0 and kept[0, left] == 1 and kept.sum() == 19


def test_gaps_in_exact_inputs_take_the_curve_asked_and_a_cubic_beats_the_line_on_mocap(windows):
    from dataclasses import replace

    target, head = windows
    given = make_task("completion", target, head, 0)
    fit = _a_smooth_wrong_fit(target)
    hidden = given.missing[:, :, INPUTS]
    errors = {}
    for kind in ("linear", "cubic", "pchip"):
        settings = replace(SETTINGS, gap_prior=0.0, gap_curve=(kind, "linear"))
        out, _ = fuse(given.keypoints_px, given.mask.astype(float), fit, _identity_map, settings)
        present = given.mask[:, :, INPUTS]
        np.testing.assert_allclose(out[:, :, INPUTS][present], target[:, :, INPUTS][present], atol=1e-3)
        errors[kind] = np.linalg.norm(out[:, :, INPUTS] - target[:, :, INPUTS], axis=-1)[hidden].mean()
        if kind == "linear":  # a straight line between the gap's neighbours
            n, f, j = (a[0] for a in np.nonzero(hidden[:, 1:-1] & ~hidden[:, :-2]))
            f += 1
            end = f
            while end < hidden.shape[1] and hidden[n, end, j]:
                end += 1
            if end < hidden.shape[1]:
                a, b = target[n, f - 1, INPUTS[j]], target[n, end, INPUTS[j]]
                share = 1.0 / (end - f + 1)
                np.testing.assert_allclose(out[n, f, INPUTS[j]], a + share * (b - a), atol=1e-3)
    assert errors["cubic"] < errors["linear"] and errors["pchip"] < errors["linear"]


def test_an_unknown_gap_curve_is_refused_by_name():
    section = {"noise_threshold": 0.1, "smoothing": 5, "robust": 2, "gap_prior": 0, "transfer": [0.5] * 9,
               "gap_curve": {"exact": "spline", "noisy": "linear"}}
    with pytest.raises(ValueError, match="fusion.gap_curve: 'spline'"):
        FusionSettings.from_config(section)


def _ensemble_predictions(windows):
    from jumps_pl.config import load_config, to_container
    from jumps_pl.methods import build_methods

    target, head = windows
    target = target[:4].astype(np.float32)

    def predict(task, ensemble, ensemble_exact):
        config = to_container(load_config(overrides=[f"fusion.ensemble={ensemble}",
                                                     f"fusion.ensemble_exact={ensemble_exact}",
                                                     "infer.starts=2", "infer.iterations=20"]))
        methods = build_methods(config, ["JUMPS + fusion", "masked-conv-ae"])
        return methods, methods["JUMPS + fusion"].predict_windows(task.keypoints_px, task.mask, task.confidence)

    return target, head[:4], predict


def test_the_ensemble_averages_noisy_windows_with_the_infill_net_on_the_repaired_input(windows):
    """Shipped models: on a detector's windows the default is (1 - w) x the fusion alone + w x the reading
    of the input as the repair left it by the infill net of noisy windows (models.masked_conv_ae_noisy,
    not the masked-conv-ae row's); ``ensemble`` leaves exact windows alone."""
    import torch

    from jumps_pl.methods.masked_conv_ae.method import load_masked_conv_ae
    from jumps_pl.model_folders import pretrained_dir

    target, head, predict = _ensemble_predictions(windows)
    detected = make_task("hpe-confident", target, head, 0)
    exact = make_task("upsampling", target, head, 0)
    _, alone = predict(detected, 0.0, 0.5)
    methods, mixed = predict(detected, 0.25, 0.5)
    np.testing.assert_array_equal(mixed.repair, alone.repair)  # the same repair
    keypoints, kept = apply_repair(detected.keypoints_px, detected.mask * detected.confidence, alone.repair)
    net = load_masked_conv_ae(pretrained_dir() / "masked-conv-ae-noisy")
    with torch.no_grad():
        infill = net.predict_px(torch.as_tensor(keypoints), torch.as_tensor(kept > 0)).numpy()
    row = methods["masked-conv-ae"].predict_windows(keypoints, kept > 0, kept).positions
    assert np.abs(infill - row).max() > 1.0  # another network than the row's
    np.testing.assert_allclose(mixed.positions, 0.75 * alone.positions + 0.25 * infill, atol=1e-3)
    assert np.abs(mixed.positions - alone.positions).max() > 1.0  # the net's share moved the output
    np.testing.assert_array_equal(predict(exact, 0.25, 0.0)[1].positions, predict(exact, 0.0, 0.0)[1].positions)


def test_a_batch_of_exact_and_noisy_windows_gives_each_window_what_it_gives_alone(windows):
    """Exact windows (upsampling's input) and a detector's windows in one batch: each group is read by its
    own infill net (models.masked_conv_ae, models.masked_conv_ae_noisy) and comes out as in a batch of its
    own."""
    target, head, predict = _ensemble_predictions(windows)
    exact = make_task("upsampling", target[:2], head[:2], 0)
    detected = make_task("hpe-confident", target[2:], head[2:], 0)
    both = dataclasses.replace(exact, **{k: np.concatenate([getattr(exact, k), getattr(detected, k)])
                                         for k in ("keypoints_px", "mask", "confidence", "missing")})
    _, mixed = predict(both, 0.6, 0.5)
    np.testing.assert_allclose(mixed.positions[:2], predict(exact, 0.6, 0.5)[1].positions, atol=1e-3)
    np.testing.assert_allclose(mixed.positions[2:], predict(detected, 0.6, 0.5)[1].positions, atol=1e-3)


def test_on_exact_windows_the_joints_given_nowhere_are_averaged_with_the_infill_net(windows):
    """``fusion.ensemble_exact``: on exact windows (completion's input) the joints no frame gives (the
    added ones) are (1 - w) x the fusion alone + w x masked-conv-ae's reading; every input joint, given
    or hidden in bursts, is the fusion's alone, and a detector's windows are untouched."""
    target, head, predict = _ensemble_predictions(windows)
    exact = make_task("completion", target, head, 0)
    _, alone = predict(exact, 0.5, 0.0)
    methods, mixed = predict(exact, 0.5, 0.4)
    infill = methods["masked-conv-ae"].predict_windows(exact.keypoints_px, exact.mask, exact.confidence).positions
    added = np.setdiff1d(np.arange(21), INPUTS)
    np.testing.assert_allclose(mixed.positions[:, :, added], 0.6 * alone.positions[:, :, added]
                               + 0.4 * infill[:, :, added], atol=1e-3)
    assert np.abs(mixed.positions[:, :, added] - alone.positions[:, :, added]).max() > 1.0
    np.testing.assert_array_equal(mixed.positions[:, :, INPUTS], alone.positions[:, :, INPUTS])
    detected = make_task("hpe", target, head, 0)
    np.testing.assert_array_equal(predict(detected, 0.5, 0.4)[1].positions, predict(detected, 0.5, 0.0)[1].positions)


def test_a_noisy_windows_added_joints_are_the_noisy_priors_mirror_averaged_reading(windows):
    """``fusion.noisy_added=reading``: with the infill net's share at 0, a detector's window's added joints
    are models.jumps_noisy's reading G(E(x)) of the repaired input in the window's own frame, averaged
    with its reading of the mirrored window (``fusion.mirror_reading``), so that the reading of a
    mirrored window is the mirror of the reading; ``map`` (the default) takes them from the fused input
    joints instead."""
    import torch

    from jumps_pl.config import load_config, to_container
    from jumps_pl.methods import build_methods
    from jumps_pl.methods.jumps.latent_opt import _mirrored

    target, head, _ = _ensemble_predictions(windows)
    task = make_task("hpe", target, head, 0)
    added = list(skeleton.ADDED_INDICES)

    def fusion(*settings):
        config = to_container(load_config(overrides=["fusion.ensemble=0", *settings]))
        return build_methods(config, ["JUMPS + fusion"])["JUMPS + fusion"]

    method = fusion("fusion.noisy_added=reading")
    out = method.predict_windows(task.keypoints_px, task.mask, task.confidence)
    reading = method.noisy_reader.encode_windows(*(torch.as_tensor(a) for a in (task.keypoints_px, task.mask,
                                                                                 task.confidence)))[0].numpy()
    np.testing.assert_allclose(out.positions[:, :, added], reading[:, :, added], atol=1e-3)
    by_map = fusion().predict_windows(task.keypoints_px, task.mask, task.confidence)  # the default: map
    assert np.abs(by_map.positions[:, :, added] - out.positions[:, :, added]).max() > 1.0
    # the mirrored window reads as the mirror of the reading; one reading alone does not quite
    normalized = torch.as_tensor(target[:, :, :, :]) / 100.0
    normalized[..., list(added), :] = 0.0
    present = torch.zeros(normalized.shape[:3], dtype=torch.bool)
    present[..., list(INPUTS)] = True
    unmirrored = fusion("fusion.noisy_added=reading", "fusion.mirror_reading=false").noisy_reader
    for reader, equivariant in ((method.noisy_reader, True), (unmirrored, False)):
        twice = _mirrored(reader._encoded(_mirrored(normalized), present))
        gap = (twice - reader._encoded(normalized, present)).abs().max().item()
        assert gap < 1e-4 if equivariant else gap > 1e-3, gap


def test_a_noisy_window_whose_only_whole_torso_is_set_aside_keeps_the_fusion_alone(windows):
    """The infill net normalizes by a frame with both shoulders and both hips: where the repair sets
    aside the only such frame (another person's pose there), the fusion's output stands alone."""
    from jumps_pl.config import load_config, to_container
    from jumps_pl.methods import build_methods

    target, head = windows
    task = make_task("hpe", target[:1].astype(np.float32), head[:1], 0)
    keypoints, mask = task.keypoints_px.copy(), task.mask.copy()
    torso = list(skeleton.SHOULDER_JOINTS) + list(skeleton.HIP_JOINTS)
    mask[0, :, skeleton.SHOULDER_JOINTS[0]] = False
    mask[0, 30, torso] = True  # the only frame with the whole torso...
    keypoints[0, 30, INPUTS] = target[0, 30, INPUTS] + 8 * head[0, 30]  # ...is another person, far away
    keypoints = np.where(mask[..., None], keypoints, 0.0).astype(np.float32)
    config = to_container(load_config())
    methods = build_methods(config, ["JUMPS + fusion"])
    out = methods["JUMPS + fusion"].predict_windows(keypoints, mask, mask.astype(np.float32))
    assert (out.repair[0, 30, torso] == RepairCode.SET_ASIDE).all()
    alone = build_methods(to_container(load_config(overrides=["fusion.ensemble=0"])), ["JUMPS + fusion"])
    np.testing.assert_array_equal(out.positions, alone["JUMPS + fusion"].predict_windows(
        keypoints, mask, mask.astype(np.float32)).positions)


def test_a_window_with_a_detectors_scores_is_read_as_noisy_however_smooth(windows):
    """``fusion.scored_noisy``: exact joints given with scores below 1 (a detector's, smooth as MediaPipe's)
    take the noisy path: the infill net's share moves the given joints. Given at 1, or with the switch off,
    the window measures exact and its given joints come out as given."""
    target, head, _ = _ensemble_predictions(windows)
    task = make_task("upsampling", target, head, 0)
    scored = task.mask * np.float32(0.9)

    def given_joints(confidence, scored_noisy):
        from jumps_pl.config import load_config, to_container
        from jumps_pl.methods import build_methods

        config = to_container(load_config(overrides=[f"fusion.scored_noisy={scored_noisy}", "infer.starts=2",
                                                     "infer.iterations=20"]))
        method = build_methods(config, ["JUMPS + fusion"])["JUMPS + fusion"]
        return method.predict_windows(task.keypoints_px, task.mask, confidence).positions[:, :, INPUTS]

    given = task.keypoints_px[:, :, INPUTS]
    np.testing.assert_allclose(given_joints(task.confidence, True), given, atol=1e-3)
    filled = task.confidence.copy()
    filled[:, :5] = 0.0  # entries present but carrying no weight (a stream's filled-in frames) are no scores
    np.testing.assert_allclose(given_joints(filled, True)[:, 5:], given[:, 5:], atol=1e-3)
    np.testing.assert_allclose(given_joints(scored, False), given, atol=1e-3)
    assert np.abs(given_joints(scored, True) - given).max() > 1.0


def test_exact_windows_fit_with_the_fusions_own_starts_and_iterations_and_jumps_keeps_its_own(windows):
    """``fusion.fit_starts`` / ``fit_iterations``: exact windows' latent fit (from E(x), refined) runs apart
    from the paper's row, whose ``infer.starts`` / ``iterations`` stay; set equal to those, the fusion
    reads the row's fit. Shipped models, upsampling's input."""
    from jumps_pl.config import load_config, to_container
    from jumps_pl.methods import build_methods

    target, head, _ = _ensemble_predictions(windows)
    task = make_task("upsampling", target, head, 0)

    def build(*overrides):
        config = to_container(load_config(overrides=["infer.starts=2", "infer.iterations=20", *overrides]))
        return build_methods(config, ["JUMPS + fusion", "JUMPS"])

    own = build("fusion.fit_starts=1", "fusion.fit_iterations=5")
    shared = build("fusion.fit_starts=2", "fusion.fit_iterations=20")
    assert own["JUMPS + fusion"].fitter.starts == 1 and own["JUMPS"].optimizer.starts == 2
    assert shared["JUMPS + fusion"].fitter is None
    fast, full = (m["JUMPS + fusion"].predict_windows(task.keypoints_px, task.mask, task.confidence)
                  for m in (own, shared))
    given = task.keypoints_px[:, :, INPUTS]
    for out in (fast, full):  # given joints exact either way; the added ones from a different fit
        np.testing.assert_allclose(out.positions[:, :, INPUTS], given, atol=1e-3)
    added = np.setdiff1d(np.arange(21), INPUTS)
    assert np.abs(fast.positions[:, :, added] - full.positions[:, :, added]).max() > 0.1
    # with one start, how sure is how far the output lies from the prior's reading: > 0 on the added joints
    assert (fast.spread_px[:, :, added] > 0).mean() > 0.9
    paper = own["JUMPS"].predict_windows(task.keypoints_px, task.mask, task.confidence).positions
    np.testing.assert_array_equal(paper, shared["JUMPS"].predict_windows(task.keypoints_px, task.mask,
                                                                         task.confidence).positions)


def test_a_stream_runs_the_fusion_with_its_live_fit_and_offline_keeps_its_own(windows):
    """``fusion.live_fit_iterations``: what a stream runs (``Method.live``) fits exact windows with its own
    steps (0: the encoder's aligned reading), offline keeps ``fit_iterations``; equal, the method itself.
    Shipped models, upsampling's input streamed through ``Stream`` at latency 0."""
    from jumps_pl.config import load_config, to_container
    from jumps_pl.methods import build_methods
    from jumps_pl.stream import Stream

    target, head = windows
    task = make_task("upsampling", target[:1].astype(np.float32), head[:1], 0)

    def build(*overrides):
        config = to_container(load_config(overrides=["fusion.fit_iterations=5", *overrides]))
        return build_methods(config, ["JUMPS + fusion"])["JUMPS + fusion"]

    method = build("fusion.live_fit_iterations=0")
    live = method.live()
    assert live is not method and live.live() is live and method.live() is live
    assert method.fitter.iterations == 5 and live.fitter.iterations == 0
    assert build("fusion.live_fit_iterations=5").live().fitter.iterations == 5
    stream = Stream(method, 0, None, 0.0)
    assert stream.method is live
    keypoints, mask = task.keypoints_px[0], task.mask[0]
    streamed = stream.run(keypoints, mask, mask.astype(np.float32))
    given = keypoints[:, INPUTS]
    # exact input kept exactly, live too, once the window holds 3 frames (how noisy needs 3 in a row)
    np.testing.assert_allclose(streamed[3:, INPUTS], given[3:], atol=1e-3)
    # the last frame's window is the whole window: as the live twin computes it offline, not as the method
    window = (keypoints[None], mask[None], mask[None].astype(np.float32))
    np.testing.assert_allclose(streamed[-1], live.predict_windows(*window).positions[0, -1], atol=1e-4)
    added = np.setdiff1d(np.arange(21), INPUTS)
    assert np.abs(method.predict_windows(*window).positions[0, -1, added] - streamed[-1, added]).max() > 0.01
