"""Live use: StreamingUpsampler and `jumps upsample --latency`, on the shipped sample's detections."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import SAMPLE
from jumps_pl.io.formats import read_poses


def _sample_frames() -> tuple[np.ndarray, np.ndarray]:
    track = read_poses(SAMPLE).tracks[0]
    return track.keypoints, track.confidence


@pytest.mark.parametrize("latency", [0, 8, 32])
def test_every_pushed_frame_comes_back_once_latency_frames_late_with_bounded_memory(latency):
    import jumps_pl

    poses, scores = _sample_frames()
    stream = jumps_pl.StreamingUpsampler(method="ridge+savgol", latency=latency)
    out, largest = [], 0
    for k in range(len(poses)):
        result = stream.push(poses[k], scores[k])
        assert (result is None) == (k < latency)
        if result is not None:
            out.append(result)
        largest = max(largest, len(stream.stream._frames) + len(stream.stream._outputs))
    assert len(out) == len(poses) - latency
    tail = stream.flush()
    assert len(tail) == latency and np.isfinite(np.concatenate([np.stack(out), tail])).all()
    assert largest <= stream.stream.window + latency + stream.hop  # bounded by the window, not the stream


def test_streamed_frames_stay_near_the_offline_answer():
    """ridge+savgol streamed at latency 16 against the same method offline, on the sample: the
    per-frame map is the same, only the smoothing window's edges differ."""
    import jumps_pl

    poses, scores = _sample_frames()
    offline = jumps_pl.Upsampler(method="ridge+savgol", fps=30).upsample(poses, confidence=scores)
    stream = jumps_pl.StreamingUpsampler(method="ridge+savgol", latency=16)
    live = [r for k in range(len(poses)) if (r := stream.push(poses[k], scores[k])) is not None]
    live = np.concatenate([np.stack(live), stream.flush()])
    torso = np.linalg.norm(poses[:, 0] - poses[:, 6], axis=-1).mean()
    assert np.median(np.linalg.norm(live - offline, axis=-1)) < 0.05 * torso


def test_missing_frames_and_bad_latency():
    import jumps_pl

    poses, scores = _sample_frames()
    stream = jumps_pl.StreamingUpsampler(method="ridge", latency=4)
    outs = [stream.push(None if k % 10 == 5 else poses[k], scores[k]) for k in range(40)]
    assert all(np.isfinite(o).all() for o in outs[4:])
    with pytest.raises(ValueError, match="latency"):
        jumps_pl.StreamingUpsampler(method="ridge", latency=64)
    with pytest.raises(ValueError, match="hop"):
        jumps_pl.StreamingUpsampler(method="ridge", latency=4, hop=9)


def test_upsample_with_latency_end_to_end(tmp_path):
    from jumps_pl.cli import main

    out = tmp_path / "live.npz"
    assert main(["upsample", str(SAMPLE), "--out", str(out), "--method", "ridge", "--latency", "8", "--fps", "30",
                 "--quiet"]) == 0
    with np.load(out) as data:
        assert data["keypoints"].shape[1:] == (300, 21, 2) and np.isfinite(data["keypoints"][0]).all()
    assert main(["upsample", str(SAMPLE), "--out", str(tmp_path / "x.npz"), "--latency", "99"]) == 2
    assert not (tmp_path / "x.npz").exists()


def test_the_default_method_streams_from_a_start_without_hips():
    """The default (`JUMPS + fusion`, the shipped model) at latency 8, the sample with its hips hidden in
    the first 12 frames: the frames owed before the stream has seen both hips and both shoulders (at
    ``upsample.min_confidence``) come out missing, every later one finite."""
    import jumps_pl

    poses, scores = _sample_frames()
    poses, scores = poses[:48], scores[:48].copy()
    scores[:12, 6:8] = 0.0  # the hips (COCO body order: shoulders, elbows, wrists, hips, knees, ankles)
    stream = jumps_pl.StreamingUpsampler(latency=8)
    assert stream.upsampler.name == "JUMPS + fusion"
    outs = [stream.push(poses[k], scores[k]) for k in range(len(poses))]
    live = np.concatenate([np.stack([o for o in outs if o is not None]), stream.flush()])
    assert len(live) == len(poses)
    seen = np.maximum.accumulate(scores >= stream.min_confidence, axis=0)[:, [0, 1, 6, 7]].all(1)
    first = int(np.argmax(seen)) - stream.latency  # the frame owed when the torso is first whole
    assert first > 0 and np.isnan(live[:first]).all() and np.isfinite(live[first:]).all()


def test_a_window_spread_over_pushes_gives_the_frames_a_stream_computing_it_at_once_would():
    """The default at latency 8 (a window every 3 pushes, each spread over 3): its windows are those a
    stream at latency 6 computes whole at the push that starts them (spread 1, the same hop), so every
    frame pushed out comes out the same to the bit, 2 pushes later; and a window is still being computed after the
    push that starts it, done by the push where its first frame is owed, and what comes out does not
    hang on when it was done."""
    import jumps_pl
    from jumps_pl import stream as stream_module

    poses, scores = _sample_frames()
    poses, scores = poses[:60], scores[:60]
    spread = jumps_pl.StreamingUpsampler(latency=8)
    assert (spread.hop, spread.spread) == (3, 3)
    whole = jumps_pl.StreamingUpsampler(latency=6, hop=3, spread=1)
    unfinished = []
    outs = {"spread": [], "whole": []}
    for k in range(len(poses)):
        for name, stream in (("spread", spread), ("whole", whole)):
            if (out := stream.push(poses[k], scores[k])) is not None:
                outs[name].append(out)
        pending = spread.stream._pending
        if pending is not None:
            assert pending.due == pending.started + 2 and k + 1 < pending.due  # never past its due push
            unfinished.append(pending.started == k + 1)
    live = {name: np.concatenate([np.stack(out), stream.flush()])
            for (name, out), stream in zip(outs.items(), (spread, whole), strict=True)}
    assert live["spread"].shape == (len(poses), 21, 2) and np.isfinite(live["spread"]).all()
    # (the last 8 come from the flush's window over every frame in both: the one stream owes 2 more of them)
    np.testing.assert_array_equal(live["spread"][:-8], live["whole"][:-8])
    assert sum(unfinished) >= 10  # windows left running after the push that started them
    # a window done early (a machine that seems fast: all of it at the push that starts it) gives the same
    early = jumps_pl.StreamingUpsampler(latency=8)
    stream_module._COSTS[early.stream.method].window = 1e9
    out = [o for k in range(len(poses)) if (o := early.push(poses[k], scores[k])) is not None]
    np.testing.assert_array_equal(np.concatenate([np.stack(out), early.flush()]), live["spread"])


def test_bad_spread_is_refused():
    import jumps_pl

    with pytest.raises(ValueError, match="spread"):
        jumps_pl.StreamingUpsampler(method="ridge", latency=8, hop=5, spread=6)
    with pytest.raises(ValueError, match="spread"):
        jumps_pl.StreamingUpsampler(method="ridge", latency=8, spread=0)


def _repair_rounds(steps) -> tuple[int, object]:
    """How many repair rounds a method's steps run, and what they return."""
    rounds = 0
    try:
        while True:
            rounds += next(steps) == "repair"
    except StopIteration as done:
        return rounds, done.value


def test_a_stream_begins_each_repair_from_the_window_before():
    """The default streamed (``fusion.live_repair_start``): a noisy window's repair begins from the repair
    the window before left on the frames they share. Begun from its own result, a window's repair is
    confirmed by one round, with the same labelling; a stream at latency 0 on the sample (its arms given
    exchanged for a few frames), up to 5 rounds a window, runs fewer rounds than one that begins every
    window from the input as given, and gives nearly the same frames; the default stream runs one round a
    window (``fusion.live_repair_rounds``)."""
    import jumps_pl
    from jumps_pl import skeleton

    poses, scores = _sample_frames()
    poses, scores = poses[:96].copy(), scores[:96]
    poses[40:44, [2, 3, 4, 5]] = poses[40:44, [3, 2, 5, 4]]  # both arms' elbows and wrists exchanged
    live, methods = {}, {}
    for begin in (True, False, "default"):
        settings = [] if begin == "default" else [f"fusion.live_repair_start={str(begin).lower()}",
                                                   "fusion.live_repair_rounds=5"]
        stream = jumps_pl.StreamingUpsampler(latency=0, overrides=settings)
        method = methods[begin] = stream.stream.method
        steps, counted = type(method).predict_windows_steps, []

        def counting(self, *args, steps=steps, counted=counted, **kwargs):
            rounds, prediction = _repair_rounds(steps(self, *args, **kwargs))
            counted.append(rounds)
            yield "counted"
            return prediction

        method.predict_windows_steps = counting.__get__(method)
        live[begin] = np.concatenate([np.stack([o for k in range(len(poses))
                                                if (o := stream.push(poses[k], scores[k])) is not None]),
                                      stream.flush()])
        live[begin, "rounds"] = np.mean(counted)
    assert live[True, "rounds"] < live[False, "rounds"] - 0.3 and live["default", "rounds"] == 1
    torso = np.linalg.norm(poses[:, 0] - poses[:, 6], axis=-1).mean()
    assert np.median(np.linalg.norm(live[True] - live[False], axis=-1)) < 0.01 * torso
    # one window, begun from its own repair: confirmed at once, the same labelling and poses
    frames = np.zeros((1, 64, skeleton.NUM_JOINTS, 2), dtype=np.float32)
    weights = np.zeros((1, 64, skeleton.NUM_JOINTS), dtype=np.float32)
    frames[0][:, skeleton.INPUT_INDICES] = poses[:64]
    weights[0][:, skeleton.INPUT_INDICES] = scores[:64]
    mask = weights > 0
    first_rounds, first = _repair_rounds(steps(methods[True], frames, mask, weights))
    again_rounds, again = _repair_rounds(steps(methods[True], frames, mask, weights, repair_start=first.repair))
    assert (first.repair == 1).any() and first_rounds >= 2 and again_rounds == 1
    np.testing.assert_array_equal(again.repair, first.repair)
    np.testing.assert_allclose(again.positions, first.positions, atol=1e-3)
