"""jumps-pl: JUMPS (Mourot et al., ICPR 2020) in PyTorch Lightning."""


def upsample(*args, **kwargs):
    """See :func:`jumps_pl.inference.api.upsample` (imported lazily: torch loads only when used)."""
    from jumps_pl.inference.api import upsample as _upsample

    return _upsample(*args, **kwargs)
