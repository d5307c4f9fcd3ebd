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
