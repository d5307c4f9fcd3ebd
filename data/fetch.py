"""Fetch the corpus the project uses (``make data``): the public source at a pinned commit, cut to the
clips of the committed manifest.

The Bandai Namco Research Motion Dataset ships each dataset's clips as ``data.zip``. This clones the
source at ``COMMIT`` (only the archives and their licence and labels), checks every clip the manifest
lists against its SHA-256, and writes them as ``DEST/dataset-N/data.zip`` (with ``LICENSE``, ``README.md``
and ``cfg/``), the layout jumps-pl reads. Clips the manifest does not list are left out, so the splits
and every number in the README come out as with the project's own copy. Nothing is written unless
everything checks out.

    python data/fetch.py                        # into data/bandai-namco-motion (git-ignored)
    python data/fetch.py --dest DIR --source URL --commit SHA
    python data/fetch.py --make-manifest ROOT   # write data/manifest.json from a corpus copy
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.json"
DEST = HERE / "bandai-namco-motion"
SOURCE = "https://github.com/BandaiNamcoResearchInc/Bandai-Namco-Research-Motiondataset"
COMMIT = "60c0ef1971398d0e62c036b7ebafa536b1152efe"
# where each dataset's archive and extras sit in the source repository
FOLDERS = {"dataset-1": "dataset/Bandai-Namco-Research-Motiondataset-1",
           "dataset-2": "dataset/Bandai-Namco-Research-Motiondataset-2"}
EXTRAS = ("LICENSE", "README.md", "cfg/content_label.txt", "cfg/style_label.txt")


class FetchError(RuntimeError):
    """The source could not be fetched, or does not hold what the manifest lists."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_manifest(root: Path) -> dict:
    """Names and checksums of every member of ``root/dataset-N/data.zip`` (a corpus copy)."""
    datasets = {}
    for name in FOLDERS:
        with zipfile.ZipFile(root / name / "data.zip") as archive:
            datasets[name] = {member: sha256(archive.read(member)) for member in sorted(archive.namelist())
                              if not member.endswith("/")}
    return {"source": SOURCE, "commit": COMMIT, "datasets": datasets}


def _git(*args: str, cwd: Path) -> None:
    try:
        subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise FetchError("git is not installed") from None
    except subprocess.CalledProcessError as err:
        raise FetchError(f"git {' '.join(args)}: {err.stderr.strip() or err.stdout.strip()}") from None


def checkout(source: str, commit: str, into: Path) -> Path:
    """The source repository's archives and extras at ``commit``, checked out under ``into``."""
    _git("init", "--quiet", str(into), cwd=into.parent)
    _git("fetch", "--quiet", "--depth", "1", source, commit, cwd=into)
    paths = [f"{folder}/{item}" for folder in FOLDERS.values() for item in ("data.zip", *EXTRAS)]
    _git("checkout", "--quiet", "FETCH_HEAD", "--", *paths, cwd=into)
    for folder in FOLDERS.values():
        with open(into / folder / "data.zip", "rb") as handle:
            if handle.read(40).startswith(b"version https://git-lfs"):  # a Git LFS pointer, not the archive
                _git("lfs", "pull", "--include", f"{folder}/data.zip", source, cwd=into)
    return into


def cut(checkout_dir: Path, manifest: dict, dest: Path) -> dict[str, int]:
    """Write ``dest/dataset-N/data.zip`` with exactly the manifest's members, checksums checked."""
    counts = {}
    for name, members in manifest["datasets"].items():
        folder = checkout_dir / FOLDERS[name]
        out = dest / name
        (out / "cfg").mkdir(parents=True)
        try:
            source = zipfile.ZipFile(folder / "data.zip")
        except (OSError, zipfile.BadZipFile) as err:
            raise FetchError(f"{FOLDERS[name]}/data.zip at {manifest['commit']}: not a zip archive ({err})") from None
        with source, zipfile.ZipFile(out / "data.zip", "w", zipfile.ZIP_DEFLATED) as target:
            present = set(source.namelist())
            for member, checksum in members.items():
                if member not in present:
                    raise FetchError(f"{FOLDERS[name]}/data.zip lacks {member} (data/manifest.json)")
                data = source.read(member)
                if sha256(data) != checksum:
                    raise FetchError(f"{FOLDERS[name]}/data.zip: {member} has SHA-256 {sha256(data)}, the manifest "
                                     f"says {checksum}")
                target.writestr(member, data)
        for item in EXTRAS:
            if (folder / item).exists():
                shutil.copyfile(folder / item, out / item)
        counts[name] = sum(member.endswith(".bvh") for member in members)
    return counts


def fetch(dest: Path = DEST, source: str | None = None, commit: str | None = None,
          manifest_path: Path = MANIFEST) -> dict[str, int]:
    """Fetch and cut the corpus into ``dest`` (refused if it exists); returns the clips per dataset."""
    manifest = json.loads(manifest_path.read_text())
    source, commit = source or manifest["source"], commit or manifest["commit"]
    if dest.exists():
        raise FetchError(f"{dest} exists; remove it to fetch again")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}.") as tmp:
        work = Path(tmp)
        (work / "source").mkdir()
        checkout(source, commit, work / "source")
        counts = cut(work / "source", {**manifest, "commit": commit}, work / "corpus")
        os.replace(work / "corpus", dest)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fetch the corpus jumps-pl uses (data/README.md).")
    parser.add_argument("--dest", type=Path, default=DEST, help="folder to write (default: %(default)s)")
    parser.add_argument("--source", help="the source repository (default: the manifest's)")
    parser.add_argument("--commit", help="the commit to take (default: the manifest's)")
    parser.add_argument("--manifest", type=Path, default=MANIFEST, help="default: %(default)s")
    parser.add_argument("--make-manifest", type=Path, metavar="ROOT", help="write the manifest from a corpus copy")
    args = parser.parse_args(argv)
    try:
        if args.make_manifest:
            args.manifest.write_text(json.dumps(make_manifest(args.make_manifest), indent=1) + "\n")
            print(f"wrote {args.manifest}")
            return 0
        counts = fetch(args.dest, args.source, args.commit, args.manifest)
    except (FetchError, OSError, KeyError, json.JSONDecodeError) as err:
        print(f"fetch: error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {args.dest}: " + ", ".join(f"{name} {count} clips" for name, count in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
