"""The masked-conv-ae family: the supervised infill network (``model.py``) and its row (``method.py``)."""
from jumps_pl.methods.masked_conv_ae import method  # noqa: F401  (registers the row)
