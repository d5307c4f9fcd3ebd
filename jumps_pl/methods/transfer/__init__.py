"""The transfer family: ``JUMPS + ridge transfer``, composing the jumps and ridge families."""
from jumps_pl.methods.transfer import method  # noqa: F401  (registers the row)
