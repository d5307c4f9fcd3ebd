"""jumps-pl: JUMPS (Mourot et al., ICPR 2020) in PyTorch Lightning.

``jumps_pl.Upsampler`` (load a method once, serve arrays and files) and ``jumps_pl.upsample`` (one call)
are imported lazily, so ``import jumps_pl`` stays light (no torch until a method is used).
"""
from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("jumps-pl")
except metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["StreamingUpsampler", "Upsampler", "__version__", "upsample"]


def __getattr__(name: str):
    if name in ("Upsampler", "upsample"):
        from jumps_pl import upsampler

        return getattr(upsampler, name)
    if name == "StreamingUpsampler":
        from jumps_pl.streaming import StreamingUpsampler

        return StreamingUpsampler
    raise AttributeError(f"module 'jumps_pl' has no attribute {name!r}")
