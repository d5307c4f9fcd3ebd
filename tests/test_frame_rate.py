"""Frame rates are never silent: a file without timing gets a notice naming it, the assumed rate and how
to set it; given the rate, the command and the library resample to the model's rate and back."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from conftest import STREET_MEDIA
from jumps_pl.cli import main
from jumps_pl.io.formats import read_poses

STREET = STREET_MEDIA / "alphapose-results.json"


def _sixty_fps_file(tmp_path):
    """The street detections as if filmed at 60 fps: every frame followed by the midpoint to the next."""
    entries = json.loads(STREET.read_text())
    doubled = []
    for k, (a, b) in enumerate(zip(entries, entries[1:] + entries[-1:], strict=True)):
        mid = dict(a, keypoints=[(x + y) / 2 for x, y in zip(a["keypoints"], b["keypoints"], strict=True)])
        doubled += [dict(a, image_id=f"{2 * k}.jpg"), dict(mid, image_id=f"{2 * k + 1}.jpg")]
    path = tmp_path / "sixty.json"
    path.write_text(json.dumps(doubled))
    return path


@pytest.mark.street
def test_a_file_without_timing_is_read_with_a_notice_or_at_the_rate_given(tmp_path, capsys):
    sixty = _sixty_fps_file(tmp_path)
    assert main(["upsample", str(sixty), "--out", str(tmp_path / "assumed.npz"), "--method", "ridge+gaussian",
                 "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "notice:" in err and "sixty.json" in err and "assuming 30 fps" in err and "--fps" in err
    assert main(["upsample", str(sixty), "--out", str(tmp_path / "given.npz"), "--method", "ridge+gaussian",
                 "--fps", "60", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "notice:" not in err and "at 60 fps" in err
    assert main(["upsample", str(STREET), "--out", str(tmp_path / "thirty.npz"), "--method", "ridge+gaussian",
                 "--fps", "30", "--quiet"]) == 0
    with np.load(tmp_path / "given.npz") as given, np.load(tmp_path / "assumed.npz") as assumed, \
            np.load(tmp_path / "thirty.npz") as thirty:
        torso = np.linalg.norm(thirty["keypoints"][0, :, 0] - thirty["keypoints"][0, :, 3], axis=-1).mean()
        at_rate = np.linalg.norm(given["keypoints"][0, ::2] - thirty["keypoints"][0], axis=-1).mean()
        assumed_error = np.linalg.norm(assumed["keypoints"][0, ::2] - thirty["keypoints"][0], axis=-1).mean()
    # read at its true rate, the 60 fps file gives the 30 fps answer on the shared frames; read at an
    # assumed 30 fps its motion is twice as slow, and the Gaussian smoothing spans half the time
    assert at_rate < 0.02 * torso < assumed_error


@pytest.mark.street
def test_the_library_takes_the_rate_and_says_when_it_assumes_one():
    import jumps_pl

    track = read_poses(STREET).tracks[0]
    up = jumps_pl.Upsampler(method="ridge")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        up.upsample(track.keypoints, confidence=track.confidence)
    assert any("assuming 30 fps" in str(w.message) for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = up.upsample(track.keypoints, confidence=track.confidence, fps=60)
    assert out.shape == (len(track.keypoints), 21, 2) and np.isfinite(out).all()
