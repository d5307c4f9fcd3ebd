import numpy as np
import pytest
import torch

from conftest import data_config
from jumps_pl import skeleton
from jumps_pl.data.datamodule import MocapDataModule, mirror_motion


@pytest.fixture(scope="module")
def datamodule(clip_archive, tmp_path_factory):
    cfg = data_config(clip_archive, tmp_path_factory.mktemp("cache"), batch_size=8, bench_windows=6)
    dm = MocapDataModule(**cfg)
    dm.setup()
    return dm


def test_windows_and_batches_have_the_documented_shapes(datamodule):
    batch = datamodule.to_2d(next(iter(datamodule.val_dataloader())))
    b = len(batch["clip_id"])
    assert b == 8
    assert batch["positions_m"].shape == (b, 64, 21, 3)
    assert batch["keypoints_px"].shape == (b, 64, 21, 2)
    assert batch["head_size_px"].shape == (b, 64)
    assert batch["camera"]["R"].shape == (b, 3, 3) and batch["camera"]["focal_px"].shape == (b,)
    assert torch.isfinite(batch["keypoints_px"]).all()
    # A person 4-8 m away fills a few hundred pixels and has a 20-60 px head.
    height = batch["keypoints_px"][..., 1].amax(-1) - batch["keypoints_px"][..., 1].amin(-1)
    assert 120 < height.median() < 600
    assert 15 < batch["head_size_px"].min() and batch["head_size_px"].max() < 80
    clip = datamodule.clips[int(batch["clip_id"][0])]
    start = int(batch["start"][0])
    assert np.array_equal(batch["positions_m"][0].numpy(), clip.positions_m[start:start + 64])


def test_training_windows_overlap_at_the_configured_stride(datamodule):
    windows = datamodule.datasets["train"].windows
    same_clip = windows.clip_id[1:] == windows.clip_id[:-1]
    assert set(np.diff(windows.start)[same_clip].tolist()) == {8}
    train_clips = {datamodule.clips[c].split for c in windows.clip_id}
    assert train_clips == {"train"}


def test_splits_are_disjoint_by_clip_and_deterministic(datamodule, clip_archive, tmp_path):
    ids = {name: set(datamodule.datasets[name].windows.clip_id.tolist()) for name in ("train", "val", "test")}
    assert ids["train"] and ids["val"] and ids["test"]
    assert not (ids["train"] & ids["val"]) and not (ids["train"] & ids["test"]) and not (ids["val"] & ids["test"])
    assert set(datamodule.datasets["test-bench"].windows.clip_id.tolist()) <= ids["test"]
    again = MocapDataModule(**data_config(clip_archive, tmp_path, batch_size=8, bench_windows=6))
    again.setup()
    for name in ("val", "test-bench"):
        a, b = datamodule.datasets[name], again.datasets[name]
        assert np.array_equal(a.windows.frame, b.windows.frame)
        assert all(np.array_equal(a.cameras[k], b.cameras[k]) for k in a.cameras)


def test_mirror_twice_is_identity_and_swaps_left_and_right(datamodule):
    positions = next(iter(datamodule.val_dataloader()))["positions_m"]
    mirrored = mirror_motion(positions)
    assert torch.equal(mirror_motion(mirrored), positions)
    for left, right in skeleton.LEFT_RIGHT_PAIRS:
        assert torch.equal(mirrored[..., left, 1:], positions[..., right, 1:])
        assert torch.equal(mirrored[..., left, 0], -positions[..., right, 0])
    head = skeleton.joint_index("Head")
    assert torch.equal(mirrored[..., head, 0], -positions[..., head, 0])


def test_training_batches_get_seeded_random_cameras_and_mirrors(datamodule):
    raw = next(iter(datamodule.dataloader("val")))
    datamodule._rng = np.random.default_rng(5)
    first = datamodule.to_2d({k: v for k, v in raw.items() if k != "camera"}, augment=True)
    state = datamodule.state_dict()
    second = datamodule.to_2d({k: v for k, v in raw.items() if k != "camera"}, augment=True)
    assert not torch.allclose(first["keypoints_px"], second["keypoints_px"])  # fresh cameras each batch
    datamodule.load_state_dict(state)
    replay = datamodule.to_2d({k: v for k, v in raw.items() if k != "camera"}, augment=True)
    assert torch.equal(second["keypoints_px"], replay["keypoints_px"])  # generator state restores exactly
    assert torch.isfinite(first["keypoints_px"]).all() and (first["head_size_px"] > 0).all()


def test_eval_batches_without_cameras_are_refused(datamodule):
    raw = next(iter(datamodule.val_dataloader()))
    del raw["camera"]
    with pytest.raises(KeyError, match="without cameras"):
        datamodule.to_2d(raw)


@pytest.mark.corpus
def test_full_corpus_bench_is_the_protocol_size(tmp_path_factory):
    """The default root: 3,054 clips and a 256-window test-bench (a cold load, a few seconds)."""
    from conftest import SHARED_CORPUS

    dm = MocapDataModule(**data_config(SHARED_CORPUS, tmp_path_factory.mktemp("full")))
    dm.setup()
    stats = dm.stats()
    assert stats["total"]["clips"] == 3054
    assert stats["test-bench"]["windows"] == 256
    bench = dm.datasets["test-bench"].windows
    assert len(set(bench.frame.tolist())) == 256


def test_speed_augmentation_replays_a_span_at_the_drawn_speed(clip_archive, tmp_path):
    dm = MocapDataModule(**data_config(clip_archive, tmp_path, batch_size=8, speed=[2.0, 2.0], mirror=False))
    dm.setup()
    assert dm.train_span == 127 and dm.datasets["train"][0]["positions_m"].shape == (127, 21, 3)
    batch = next(iter(dm.train_dataloader()))
    span = batch["positions_m"]
    windows = dm._random_speed(span)
    assert windows.shape == (8, 64, 21, 3)
    # at speed 2 every frame of the window is a frame of the span two frames after the previous one,
    # from a start that may fall between frames (linear interpolation)
    step = windows[:, 1:] - windows[:, :-1]
    two_frames = 0.5 * (span[:, 2:] - span[:, :-2])
    assert torch.linalg.vector_norm(step, dim=-1).mean() == pytest.approx(
        2 * torch.linalg.vector_norm(two_frames, dim=-1).mean().item(), rel=0.15)


def test_time_warp_varies_the_speed_within_a_window_and_keeps_its_ends(clip_archive, tmp_path):
    dm = MocapDataModule(**data_config(clip_archive, tmp_path, batch_size=8, speed=[1.0, 1.0], time_warp=0.5))
    dm.setup()
    steps = dm._warped_steps(256)
    assert steps.shape == (256, 64)
    # the ends of an even replay, every step forward, the local rate within 1 -+ 0.5
    assert np.allclose(steps[:, 0], 0) and np.allclose(steps[:, -1], 63)
    rate = np.diff(steps, axis=1)
    assert rate.min() > 0.45 and rate.max() < 1.55 and rate.max(axis=1).mean() > 1.2
    windows = dm._random_speed(next(iter(dm.train_dataloader()))["positions_m"])
    assert windows.shape == (8, 64, 21, 3) and torch.isfinite(windows).all()
    with pytest.raises(ValueError, match="data.time_warp"):
        MocapDataModule(**data_config(clip_archive, tmp_path, time_warp=1.0))


def test_bone_jitter_scales_left_and_right_bones_alike_and_keeps_the_root(clip_archive, tmp_path):
    dm = MocapDataModule(**data_config(clip_archive, tmp_path, batch_size=8, bone_jitter=0.1))
    dm.setup()
    positions = next(iter(dm.val_dataloader()))["positions_m"]
    jittered = dm._random_bone_lengths(positions)
    assert torch.equal(jittered[:, :, skeleton.ROOT], positions[:, :, skeleton.ROOT])

    def length(p, name):
        j = skeleton.joint_index(name)
        return torch.linalg.vector_norm(p[:, :, j] - p[:, :, skeleton.PARENTS[j]], dim=-1)

    for left in ("LowerLeg_L", "LowerArm_L", "Toes_L"):
        right = left[:-2] + "_R"
        ratio_left = length(jittered, left) / length(positions, left)
        ratio_right = length(jittered, right) / length(positions, right)
        torch.testing.assert_close(ratio_left, ratio_right)
        assert ((ratio_left > 0.9 - 1e-4) & (ratio_left < 1.1 + 1e-4)).all() and ratio_left.std() > 0


def test_source_balance_draws_each_archive_equally_often(clip_archive, clip_folder, tmp_path):
    import shutil

    root = tmp_path / "two"
    (root / "a").mkdir(parents=True)
    shutil.copy(clip_archive / "data.zip", root / "a" / "data.zip")
    (root / "b").mkdir()
    train = sorted(clip_folder.glob("*.bvh"))[:6]
    for p in train:  # a few loose files under another folder: a second, smaller source
        shutil.copy(p, root / "b" / ("copy_" + p.name))
    dm = MocapDataModule(**data_config(root, tmp_path / "c", batch_size=8, source_balance=1.0))
    dm.setup()
    weights = dm._train_weights
    clips = dm.clips
    from_b = np.array(["copy_" in clips[c].name for c in dm.datasets["train"].windows.clip_id])
    assert 0 < from_b.mean() < 0.3  # the loose folder is the smaller source...
    assert weights[from_b].sum() == pytest.approx(weights[~from_b].sum())  # ...drawn as often as the archive


CONTENT = r"^dataset-\d+_([^_]+)_"  # the corpus's motion content: dataset-1_walk-left_tired_001 -> walk-left


def test_balance_by_content_draws_each_motion_content_equally_often(clip_folder, tmp_path):
    dm = MocapDataModule(**data_config(clip_folder, tmp_path / "c", batch_size=8, source_balance=1.0,
                                       balance_by=CONTENT))
    dm.setup()
    ids = dm.datasets["train"].windows.clip_id
    contents = np.array([dm.clips[c].name.split("_")[1] for c in ids])
    names, counts = np.unique(contents, return_counts=True)
    assert len(names) >= 3 and counts.max() > 1.3 * counts.min()  # the contents differ in size...
    totals = [dm._train_weights[contents == n].sum() for n in names]
    assert totals == pytest.approx([totals[0]] * len(names))  # ...and are drawn equally often


def test_balance_by_style_draws_each_dataset_and_style_equally_often(clip_folder, tmp_path):
    from jumps_pl.data.corpus import clip_style

    dm = MocapDataModule(**data_config(clip_folder, tmp_path / "c", batch_size=8, source_balance=1.0,
                                       balance_by="style"))
    dm.setup()
    styles = np.array([clip_style(dm.clips[c].name) for c in dm.datasets["train"].windows.clip_id])
    names, counts = np.unique(styles, return_counts=True)
    assert len(names) >= 2 and counts.max() > 1.3 * counts.min()
    totals = [dm._train_weights[styles == n].sum() for n in names]
    assert totals == pytest.approx([totals[0]] * len(names))

    # hpe-real's rendered training windows are drawn with the same weights: the smallest style above its share
    from jumps_pl.evaluation.real_detector import _window_items

    smallest = names[np.argmin(counts)]
    drawn = _window_items(dm, "train", len(styles) // 2, seed=0)
    share = np.mean([clip_style(dm.clips[int(item["clip_id"])].name) == smallest for item in drawn])
    assert share > 1.5 * counts.min() / len(styles)


@pytest.mark.parametrize("pattern, message", [
    (r"^(run)_", "does not match the clip 'dataset-1_"), (r"^dataset", "has no group"),
    (r"^dataset-(\d+", "neither 'source', 'style' nor a regular expression")])
def test_balance_by_bad_pattern_names_the_key(clip_folder, tmp_path, pattern, message):
    with pytest.raises(ValueError, match="data.balance_by") as err:
        dm = MocapDataModule(**data_config(clip_folder, tmp_path / "c", batch_size=8, source_balance=1.0,
                                           balance_by=pattern))
        dm.setup()
    assert message in str(err.value)
