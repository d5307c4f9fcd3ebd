"""Gap filling in time (``jumps_pl/gaps.py``)."""
from __future__ import annotations

import numpy as np

from jumps_pl.gaps import interpolate_missing


def test_interpolate_missing_is_linear_in_time_and_holds_the_edges():
    values = np.arange(8, dtype=float)[None, :, None, None].repeat(2, axis=3) * 2.0  # (1, 8, 1, 2): 0, 2, ..., 14
    mask = np.array([[0, 1, 1, 0, 0, 1, 1, 0]], dtype=bool)[..., None]
    filled, never = interpolate_missing(np.where(mask[..., None], values, -99.0), mask)
    np.testing.assert_allclose(filled[0, :, 0, 0], [2, 2, 4, 6, 8, 10, 12, 12])
    assert not never.any()
