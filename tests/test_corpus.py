import hashlib
import shutil
import warnings

import numpy as np
import pytest

from jumps_pl.data.corpus import CorpusError, SkippedClipsWarning, clip_style, find_clips, load_corpus, split_of


def test_split_is_sha1_of_the_stem_modulo_ten():
    for stem in ("dataset-1_bye_feminine_001", "dataset-2_walk_normal_010", "x"):
        k = int(hashlib.sha1(stem.encode()).hexdigest(), 16) % 10
        assert split_of(stem) == {0: "test", 1: "val"}.get(k, "train")


def test_a_clips_style_is_its_dataset_and_style():
    assert clip_style("dataset-1_bye_feminine_001") == "dataset-1/feminine"
    assert clip_style("data/dataset-2_wave-right-hand_exhausted_017.bvh") == "dataset-2/exhausted"
    assert clip_style("dataset-2_walk_not-confident_003.bvh") == "dataset-2/not-confident"
    assert clip_style("my_take.bvh") == "my_take"  # another naming: its own style


def test_zip_archives_and_plain_folders_give_the_same_clips(clip_folder, clip_archive, tmp_path):
    from_folder = load_corpus(clip_folder, tmp_path / "c1", fps=30.0)
    from_zip = load_corpus(clip_archive, tmp_path / "c2", fps=30.0, workers=2)
    assert [c.name for c in from_folder] == [c.name for c in from_zip] and len(from_zip) == 40
    for a, b in zip(from_folder, from_zip, strict=True):
        assert a.positions_m.shape[1:] == (21, 3) and np.array_equal(a.positions_m, b.positions_m)
    assert {c.split for c in from_zip} == {"train", "val", "test"}


def test_cache_is_reused_and_keyed_by_content(clip_folder, tmp_path):
    folder = tmp_path / "clips"
    shutil.copytree(clip_folder, folder)
    cache = tmp_path / "cache"
    first = load_corpus(folder, cache, fps=30.0)
    cached_files = sorted(cache.rglob("*.npy"))
    assert len(cached_files) == 40
    # An edited clip gets a new entry; the others are read from the cache.
    victim = sorted(folder.glob("*.bvh"))[0]
    victim.write_bytes(victim.read_bytes() + b"\n")
    second = load_corpus(folder, cache, fps=30.0)
    assert len(sorted(cache.rglob("*.npy"))) == 41
    assert all(np.array_equal(a.positions_m, b.positions_m) for a, b in zip(first[1:], second[1:], strict=True))
    # A changed setting that alters the arrays is a different key too.
    load_corpus(folder, cache, fps=15.0, max_clips=2)
    assert len(sorted(cache.rglob("*.npy"))) == 43


def test_a_few_bad_files_are_skipped_with_one_warning_listing_them(clip_folder, tmp_path):
    folder = tmp_path / "mixed"
    good = sorted(clip_folder.glob("*.bvh"))[:3]
    folder.mkdir()
    for path in good:
        shutil.copy(path, folder / path.name)
    text = good[0].read_text()
    (folder / "bad_truncated.bvh").write_text(text[: len(text) // 2])
    (folder / "bad_channel.bvh").write_text(text.replace("Yrotation", "Qrotation", 1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clips = load_corpus(folder, None, fps=30.0)
    assert len(clips) == 3
    skipped = [w for w in caught if issubclass(w.category, SkippedClipsWarning)]
    assert len(skipped) == 1
    message = str(skipped[0].message)
    assert "skipped 2 of 5" in message
    assert "bad_truncated.bvh" in message and "truncated" in message
    assert "bad_channel.bvh, line" in message and "Qrotation" in message


def test_missing_and_empty_folders_raise_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        find_clips(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="no .bvh clips under .*empty"):
        find_clips(tmp_path / "empty")
