"""Many detector files in one command: which inputs, where each output goes, and the summary.

``jumps upsample A.json B.json DIR "clips/*.json" --out-dir OUT`` takes files, globs (expanded here when
the shell did not) and folders (the pose files and per-frame folders directly inside them; a per-frame
folder such as OpenPose's is itself one input). Each input's output is ``OUT/<name><suffix>``; two inputs
that would write the same output are refused before any work.
"""
from __future__ import annotations

import glob
from dataclasses import dataclass, field
from pathlib import Path

from jumps_pl.io.tracks import PoseFormatError
from jumps_pl.io.video import VIDEO_SUFFIXES

POSE_SUFFIXES = (".json", ".npy", ".csv", *VIDEO_SUFFIXES)   # videos: MediaPipe Pose detects first


def expand_inputs(items: list[str | Path]) -> list[Path]:
    """Files, globs and folders as the list of inputs, in the order given (a folder's entries sorted)."""
    inputs: list[Path] = []
    for item in items:
        text = str(item)
        matches = [Path(m) for m in sorted(glob.glob(text))] if glob.has_magic(text) else [Path(text)]
        if not matches:
            raise FileNotFoundError(f"{text}: no file matches")
        for path in matches:
            if path.is_dir() and not _per_frame_folder(path):
                inputs += sorted(p for p in path.iterdir() if (p.is_file() and p.suffix.lower() in POSE_SUFFIXES)
                                 or (p.is_dir() and _per_frame_folder(p)))
            else:
                inputs.append(path)
    return inputs


def _per_frame_folder(path: Path) -> bool:
    """A folder of one detector's per-frame files (OpenPose or MMPose JSON, YOLO labels): one input."""
    from jumps_pl.io.formats import guess_format

    entries = list(path.iterdir())
    if not entries or any(p.is_dir() for p in entries):
        return False
    if any(p.suffix.lower() == ".txt" for p in entries):
        return True
    first = min((p for p in entries if p.suffix.lower() == ".json"), default=None)
    try:
        return first is not None and guess_format(first) in ("openpose", "mmpose")
    except PoseFormatError:
        return False


def output_paths(inputs: list[Path], out_dir: Path, suffix: str) -> list[Path]:
    """``out_dir/<input name><suffix>`` per input; a name two inputs share is refused."""
    outputs = [Path(out_dir) / f"{path.stem if path.is_file() else path.name}{suffix}" for path in inputs]
    seen: dict[Path, Path] = {}
    for path, out in zip(inputs, outputs, strict=True):
        if out in seen:
            raise ValueError(f"--out-dir: {seen[out]} and {path} would both write {out}; rename one")
        seen[out] = path
    return outputs


@dataclass
class BatchSummary:
    """What a batch did: files done, skipped (output already there) and failed (with why), frames and repairs."""

    done: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: dict[Path, str] = field(default_factory=dict)
    frames: int = 0
    relabelled: int = 0
    set_aside: int = 0
    uncertain: int = 0
    rank: int = 0   # across devices (``upsample_files(devices=...)``): this process's global rank; 0 reports

    def lines(self) -> list[str]:
        """The summary as printed at the end of the batch."""
        out = [f"{len(self.done)} file(s) done, {len(self.skipped)} skipped (output already written; --overwrite "
               f"redoes them), {len(self.failed)} failed; {self.frames} frames; {self.relabelled} input entries "
               f"relabelled (left/right), {self.set_aside} set aside, {self.uncertain} set aside as uncertain"]
        out += [f"failed: {path}: {reason}" for path, reason in self.failed.items()]
        return out
