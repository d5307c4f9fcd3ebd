"""The continuity family: the flip heuristic and its row in front of ``ridge+savgol``.

The heuristic (``heuristic.py``) is also used by the JUMPS repair; the row is in ``method.py``.
"""
from jumps_pl.methods.continuity import method  # noqa: F401  (registers the row)
