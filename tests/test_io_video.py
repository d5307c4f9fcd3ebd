"""A video's size and rate (``jumps_pl/io/video.py``), on the real street video."""
from __future__ import annotations

import pytest
from test_io import STREET

from jumps_pl.io.video import video_rate, video_size


@pytest.mark.street
def test_video_size_and_rate_of_the_street_video():
    assert video_size(STREET / "street.mp4") == (1280, 720)
    assert video_rate(STREET / "street.mp4") == 50.0


@pytest.mark.street
def test_a_missing_or_unreadable_video_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.mp4 does not exist"):
        video_size(tmp_path / "missing.mp4")
    with pytest.raises(ValueError, match=r"README.md: not a readable video"):
        video_size(STREET / "README.md")
