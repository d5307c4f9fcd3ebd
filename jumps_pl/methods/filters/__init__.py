"""The filter rows: the ridge map composed with a smoother of ``jumps_pl.smoothing``."""
from jumps_pl.methods.filters import method  # noqa: F401  (registers the rows)
