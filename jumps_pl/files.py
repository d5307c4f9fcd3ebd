"""Writing files safely, the one home for it: every file or folder jumps-pl writes goes through here.

- ``check_output``: refuse an existing output unless ``overwrite`` (called before any work starts);
- ``write_atomically``: a temporary file beside the target, then a rename, so a crash or an error never
  leaves half a file and never destroys the file that was there;
- ``atomic_folder``: the same for folders (OpenPose output, exported model folders).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import numpy as np


def check_output(out: str | Path, overwrite: bool, option: str = "--overwrite") -> None:
    """Fail before any work when ``out`` exists and may not be replaced."""
    out = Path(out)
    if out.exists() and not overwrite:
        hint = f"pass {option} to replace it" if option.startswith("--") else f"choose {option}"
        raise FileExistsError(f"{out} exists; {hint}")


def _usual_permissions(path: str | Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, (0o777 if Path(path).is_dir() else 0o666) & ~umask)  # mkstemp/mkdtemp create 0600/0700


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary file name in ``path``'s folder; on success it is renamed to ``path``.

    On error it is removed, and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(handle)
    try:
        yield Path(tmp)
        _usual_permissions(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_atomically(path: str | Path, write: Callable[[Path], None]) -> Path:
    """``write(tmp)`` to a temporary file in the same folder, then rename it to ``path``."""
    with atomic_file(path) as tmp:
        write(tmp)
    return Path(path)


def temporary_path(path: str | Path) -> Path:
    """A hidden name beside ``path`` for a writer that must name its own file; ``commit`` it when complete.

    Such a writer is Lightning's checkpoint saving, which every distributed rank takes part in.
    """
    path = Path(path)
    return path.with_name(f".{path.name}.tmp")


def commit(tmp: str | Path, path: str | Path) -> Path:
    """Give a complete temporary file the usual permissions and rename it to ``path``."""
    _usual_permissions(tmp)
    os.replace(tmp, path)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    return write_atomically(path, lambda tmp: tmp.write_text(text))


def write_json(path: str | Path, data: object, indent: int | None = 2) -> Path:
    """Write ``data`` as JSON to ``path`` atomically."""
    return write_atomically(path, lambda tmp: tmp.write_text(json.dumps(data, indent=indent)))


def write_npz(path: str | Path, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` to ``path`` as a compressed ``.npz``, atomically."""
    return write_atomically(path, lambda tmp: np.savez_compressed(tmp, **arrays))


@contextmanager
def atomic_folder(path: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success it replaces ``path``.

    The old folder is removed only then; on error the temporary one is removed and ``path`` is left as it was.
    """
    path = Path(path)
    check_output(path, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        yield tmp
        _usual_permissions(tmp)
        if path.exists():
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.old."))
            os.replace(path, old / path.name)
            os.replace(tmp, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def shipped_or_given(name: str, path: str | Path | None, what: str) -> Path | None:
    """A fitted file: ``path`` when given (refused by name when missing), else ``pretrained/NAME``.

    None when the package ships no such file.
    """
    if path:
        if not Path(path).is_file():
            raise FileNotFoundError(f"{what} {path} do not exist")
        return Path(path)
    shipped = Path(str(resources.files("jumps_pl") / "pretrained" / name))
    return shipped if shipped.is_file() else None
