"""The ridge family: the per-frame linear map (``model.py``) and its rows (``method.py``)."""
from jumps_pl.methods.ridge import method  # noqa: F401  (registers the rows)
