"""``make data`` (``data/fetch.py``) against a local git repository standing in for the public source:
the source's layout at a pinned commit, cut to the manifest's clips, checksums checked."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, SHARED_CORPUS, read_member, real_clip_names

pytestmark = pytest.mark.corpus


def _fetch_module():
    spec = importlib.util.spec_from_file_location("fetch", REPO / "data" / "fetch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A git repository laid out as the source: each dataset's data.zip (4 real clips, one of them not in
    the manifest), LICENSE and labels; returns the repository, its commit and the manifest."""
    fetch = _fetch_module()
    repo = tmp_path_factory.mktemp("source")
    manifest = {"source": "unused", "commit": "unused", "datasets": {}}
    chosen = {}
    for dataset, folder in fetch.FOLDERS.items():
        archive_path = SHARED_CORPUS / dataset / "data.zip"
        names = chosen[dataset] = real_clip_names(4, archive_path)
        path = repo / folder
        (path / "cfg").mkdir(parents=True)
        for extra in fetch.EXTRAS:
            (path / extra).write_text(f"{dataset} {extra}\n")
        with zipfile.ZipFile(path / "data.zip", "w") as archive:
            for name in names:
                archive.writestr(f"data/{Path(name).name}", read_member(name, archive_path))
        manifest["datasets"][dataset] = {f"data/{Path(n).name}": fetch.sha256(read_member(n, archive_path))
                                         for n in names[:3]}
    for args in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True,
                            text=True).stdout.strip()
    manifest_path = repo.parent / "manifest.json"
    manifest_path.write_text(json.dumps(manifest))
    return fetch, repo, commit, manifest_path, chosen


def test_fetch_keeps_exactly_the_manifest_clips_in_the_projects_layout(source, tmp_path):
    fetch, repo, commit, manifest_path, chosen = source
    counts = fetch.fetch(tmp_path / "corpus", str(repo), commit, manifest_path)
    assert counts == {"dataset-1": 3, "dataset-2": 3}
    for dataset, names in chosen.items():
        with zipfile.ZipFile(tmp_path / "corpus" / dataset / "data.zip") as archive:
            assert sorted(archive.namelist()) == sorted(f"data/{Path(n).name}" for n in names[:3])
            first = read_member(names[0], SHARED_CORPUS / dataset / "data.zip")
            assert archive.read(f"data/{Path(names[0]).name}") == first
        labels = (tmp_path / "corpus" / dataset / "cfg" / "style_label.txt").read_text()
        assert labels == f"{dataset} cfg/style_label.txt\n"
    from jumps_pl.data.corpus import find_clips

    assert len(find_clips(tmp_path / "corpus")) == 6


def test_a_clip_that_differs_from_the_manifest_stops_the_fetch_and_writes_nothing(source, tmp_path):
    fetch, repo, commit, manifest_path, _ = source
    manifest = json.loads(manifest_path.read_text())
    member = next(iter(manifest["datasets"]["dataset-2"]))
    manifest["datasets"]["dataset-2"][member] = "0" * 64
    tampered = tmp_path / "manifest.json"
    tampered.write_text(json.dumps(manifest))
    with pytest.raises(fetch.FetchError, match=f"{member} has SHA-256"):
        fetch.fetch(tmp_path / "corpus", str(repo), commit, tampered)
    assert not (tmp_path / "corpus").exists() and list(tmp_path.iterdir()) == [tampered]


def test_an_unknown_commit_is_named(source, tmp_path):
    fetch, repo, _, manifest_path, _ = source
    assert fetch.main(["--dest", str(tmp_path / "corpus"), "--source", str(repo), "--commit", "1" * 40,
                       "--manifest", str(manifest_path)]) == 2
    assert not (tmp_path / "corpus").exists()


def test_the_committed_manifest_lists_every_clip_of_the_projects_copy():
    fetch = _fetch_module()
    manifest = json.loads(fetch.MANIFEST.read_text())
    assert manifest["commit"] == fetch.COMMIT and len(manifest["commit"]) == 40
    clips = {d: sum(m.endswith(".bvh") for m in members) for d, members in manifest["datasets"].items()}
    assert clips == {"dataset-1": 152, "dataset-2": 2902}
