"""A mocap corpus: BVH clips found in folders and ``.zip`` archives, parsed once, cached on disk.

Each clip becomes the 21 high-resolution joints (metres, resampled to the corpus frame rate). The cache
holds one ``.npy`` per clip, named by a hash of the clip's content and of every setting that changes
the parsed array, so an edited file or a changed setting is parsed again and nothing else is.
"""
from __future__ import annotations

import hashlib
import os
import re
import warnings
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jumps_pl import skeleton
from jumps_pl.data.bvh import BvhError, parse_bvh
from jumps_pl.resampling import resample_rate

CACHE_FORMAT = "clips-v1"  # bump when the parsed array changes meaning
SPLITS = ("train", "val", "test")


class CorpusError(ValueError):
    """A corpus that cannot be used at all (missing or empty folder)."""


class SkippedClipsWarning(UserWarning):
    """Some clips could not be read and were skipped; the message lists them."""


@dataclass(frozen=True)
class ClipSource:
    """Where a clip's bytes are: a plain file, or a member of a zip archive."""

    path: str
    member: str | None = None

    @property
    def stem(self) -> str:
        """The clip's name: the file's or archive member's name without its extension."""
        return Path(self.member or self.path).stem

    def __str__(self) -> str:
        return f"{self.path}:{self.member}" if self.member else self.path


@dataclass
class Clip:
    """A parsed clip: its name, its 21 high-resolution joints (metres), its split and where it came from."""

    name: str
    positions_m: np.ndarray  # (frames, 21, 3) float32
    split: str
    source: str = ""         # the file or archive it came from


def split_of(stem: str) -> str:
    """The protocol's split of a clip: sha1 of its stem, modulo 10; 0 test, 1 validation, else train."""
    k = int(hashlib.sha1(stem.encode("utf-8")).hexdigest(), 16) % 10
    return "test" if k == 0 else "val" if k == 1 else "train"


_STYLED = re.compile(r"^(dataset-\d+)_[^_]+_([^_]+)_\d+$")


def clip_style(name: str) -> str:
    """A clip's motion style as ``dataset/style`` (``dataset-1_bye_feminine_001`` -> ``dataset-1/feminine``).

    The dataset is part of it: both datasets name styles alike (normal, feminine, active) with other
    actors and motions. A name of another form is its own style.
    """
    match = _STYLED.match(Path(name).stem)
    return f"{match.group(1)}/{match.group(2)}" if match else Path(name).stem


def check_root(root: str | Path) -> Path:
    """``root`` if it exists; else a ``CorpusError`` that says how to get the corpus (before any long step)."""
    root = Path(root).expanduser()
    if not root.exists():
        raise CorpusError(f"data root {root} does not exist: fetch the corpus with `make data` (data/README.md), "
                          "or point data.root=DIR or JUMPS_DATA_ROOT at a copy")
    return root


def find_clips(root: str | Path) -> list[ClipSource]:
    """All ``.bvh`` files under ``root``, in plain folders and inside ``.zip`` archives, sorted by stem."""
    root = check_root(root)
    if root.is_file():
        files = [root]
    else:
        files = sorted(p for p in root.rglob("*") if p.is_file())
    sources: list[ClipSource] = []
    for path in files:
        if path.suffix.lower() == ".bvh":
            sources.append(ClipSource(str(path)))
        elif path.suffix.lower() == ".zip":
            sources.extend(_zip_sources(path))
    if not sources:
        raise CorpusError(f"no .bvh clips under {root} (neither plain files nor inside .zip archives)")
    stems: dict[str, ClipSource] = {}
    for source in sources:
        if source.stem in stems:
            raise CorpusError(f"two clips share the name {source.stem!r}: {stems[source.stem]} and {source}; "
                              "splits are by name, so names must be unique")
        stems[source.stem] = source
    return sorted(sources, key=lambda s: s.stem)


def _zip_sources(path: Path) -> list[ClipSource]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(".bvh")]
    except (zipfile.BadZipFile, OSError) as err:
        raise CorpusError(f"{path}: not a readable zip archive ({err})") from None
    return [ClipSource(str(path), member) for member in members]


@dataclass(frozen=True)
class ParseSettings:
    """Everything that changes a parsed clip; part of its cache key."""

    fps: float
    scale: float = 0.01

    def key(self) -> str:
        """The settings, the cache format and the joint list as one string, hashed into each clip's cache key."""
        return f"{CACHE_FORMAT}|{','.join(skeleton.HIGH_RES_JOINTS)}|fps={self.fps}|scale={self.scale}"


def load_corpus(root: str | Path, cache_dir: str | Path | None, fps: float, workers: int = 1,
                max_clips: int | None = None) -> list[Clip]:
    """Load every clip under ``root`` (cached), skipping unreadable ones with one warning that lists them."""
    sources = find_clips(root)
    if max_clips is not None:
        sources = sources[:max_clips]
    settings = ParseSettings(fps=fps)
    cache = Path(cache_dir).expanduser() / CACHE_FORMAT if cache_dir else None
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
    chunks = _chunks_by_file(sources, workers)
    jobs = [(chunk, settings, str(cache) if cache else None) for chunk in chunks]
    if workers > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = [r for chunk in pool.map(_load_chunk, *zip(*jobs, strict=True)) for r in chunk]
    else:
        results = [r for job in jobs for r in _load_chunk(*job)]
    clips, skipped = [], []
    for source, outcome in results:
        if isinstance(outcome, str):
            skipped.append(outcome)
        else:
            clips.append(Clip(source.stem, outcome, split_of(source.stem), source.path))
    if skipped:
        warnings.warn(f"skipped {len(skipped)} of {len(sources)} clips that could not be read:\n  "
                      + "\n  ".join(skipped), SkippedClipsWarning, stacklevel=2)
    if not clips:
        raise CorpusError(f"none of the {len(sources)} clips under {root} could be read")
    clips.sort(key=lambda c: c.name)
    return clips


def _chunks_by_file(sources: list[ClipSource], workers: int) -> list[list[ClipSource]]:
    """Split the work so each worker opens an archive once per chunk, with a few chunks per worker."""
    n_chunks = max(1, workers * 4)
    size = max(1, -(-len(sources) // n_chunks))
    return [sources[i:i + size] for i in range(0, len(sources), size)]


def _load_chunk(sources: list[ClipSource], settings: ParseSettings,
                cache: str | None) -> list[tuple[ClipSource, np.ndarray | str]]:
    """Per clip: the (frames, 21, 3) array, or an error message naming the clip."""
    archives: dict[str, zipfile.ZipFile] = {}
    out: list[tuple[ClipSource, np.ndarray | str]] = []
    try:
        for source in sources:
            try:
                out.append((source, _load_clip(source, settings, cache, archives)))
            except (BvhError, OSError, KeyError, zipfile.BadZipFile) as err:
                out.append((source, str(err) if isinstance(err, BvhError) else f"{source}: {err}"))
    finally:
        for archive in archives.values():
            archive.close()
    return out


def _load_clip(source: ClipSource, settings: ParseSettings, cache: str | None,
               archives: dict[str, zipfile.ZipFile]) -> np.ndarray:
    if source.member is None:
        data: bytes | None = Path(source.path).read_bytes()
        content_id = hashlib.sha1(data).hexdigest()
    else:
        if source.path not in archives:
            archives[source.path] = zipfile.ZipFile(source.path)
        info = archives[source.path].getinfo(source.member)
        data = None  # the archive's CRC-32 and size identify the content without inflating it
        content_id = f"crc32={info.CRC:08x},size={info.file_size}"
    key = hashlib.sha1(f"{content_id}|{settings.key()}".encode()).hexdigest()
    cached = Path(cache) / f"{key}.npy" if cache else None
    if cached is not None and cached.exists():
        return np.load(cached)
    if data is None:
        data = archives[source.path].read(source.member)
    positions = _high_res_positions(data, str(source), settings)
    if cached is not None:
        tmp = cached.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, positions)
        os.replace(tmp, cached)
    return positions


def _high_res_positions(data: bytes, source: str, settings: ParseSettings) -> np.ndarray:
    motion = parse_bvh(data, source=source, scale=settings.scale)
    missing = [name for name in skeleton.HIGH_RES_JOINTS if name not in motion.names]
    if missing:
        raise BvhError(source, f"skeleton lacks joint(s) {', '.join(missing)}")
    order = [motion.names.index(name) for name in skeleton.HIGH_RES_JOINTS]
    positions = motion.positions[:, order]
    return resample_rate(positions, motion.fps, settings.fps)
