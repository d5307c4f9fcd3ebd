"""The fusion family: the default method, composing the jumps, ridge and masked_conv_ae families.

``fuse.py``: the fusion itself; ``method.py``: the row.
"""
from jumps_pl.methods.fusion import method  # noqa: F401  (registers the row)
