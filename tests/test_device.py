"""Where inference runs: ``infer.device``, ``Upsampler(device=...)`` and ``--device``."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from jumps_pl.config import ConfigError
from jumps_pl.upsampler import Upsampler
from tests.conftest import SAMPLE


def test_a_device_this_machine_lacks_is_refused_by_name_before_anything_is_written(tmp_path):
    missing = f"cuda:{torch.cuda.device_count()}"  # one past the last GPU: none on a CPU build
    with pytest.raises(ConfigError, match=rf"infer.device: '{missing}', but this machine has"):
        Upsampler(device=missing)
    with pytest.raises(ConfigError, match="infer.device: 'tpu' is not a device"):
        Upsampler(device="tpu")
    from jumps_pl.cli import main

    out = tmp_path / "poses.npz"
    assert main(["upsample", str(SAMPLE), "--out", str(out), "--device", missing]) == 2
    assert not out.exists()


def test_auto_picks_cuda_when_present_and_the_networks_sit_there():
    up = Upsampler(device="auto")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert up.method.fit.model.device.type == expected
    assert next(up.method.infill.net.parameters()).device.type == expected
    assert next(up.method.noisy_infill.net.parameters()).device.type == expected


@pytest.mark.gpu
def test_the_default_on_cuda_gives_the_cpu_result(tmp_path):
    """The sample's detections upsampled on the GPU and on the CPU agree to a pixel, repairs alike."""
    outputs = {}
    for device in ("cpu", "cuda"):
        out = tmp_path / f"{device}.npz"
        Upsampler(device=device).upsample_file(SAMPLE, out, progress=False)
        with np.load(out) as data:
            outputs[device] = data["keypoints"], data["repair"]
    np.testing.assert_allclose(outputs["cuda"][0], outputs["cpu"][0], atol=1.0)
    assert (outputs["cuda"][1] == outputs["cpu"][1]).mean() > 0.99
