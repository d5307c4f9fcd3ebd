"""A stream's forward-only networks on ONNX Runtime (``upsample.live_runtime``, ``jumps onnx``)."""
from __future__ import annotations

import importlib.util
import shutil
import warnings

import numpy as np
import pytest
import torch

from conftest import SAMPLE
from jumps_pl import skeleton
from jumps_pl.config import load_config, to_container
from jumps_pl.io.formats import read_poses
from jumps_pl.methods import build_methods
from jumps_pl.model_folders import load_state_dict, pretrained_dir
from jumps_pl.models.normalization import fit_normalization
from jumps_pl.runtime import OnnxNetwork


def _windows() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two 64-frame windows of the sample's detections: 21-joint keypoints px, mask, confidence."""
    track = read_poses(SAMPLE).tracks[0]
    keypoints = np.zeros((2, 64, skeleton.NUM_JOINTS, 2), dtype=np.float32)
    confidence = np.zeros((2, 64, skeleton.NUM_JOINTS), dtype=np.float32)
    keypoints[..., skeleton.INPUT_INDICES, :] = track.keypoints[:128].reshape(2, 64, 12, 2)
    confidence[..., skeleton.INPUT_INDICES] = track.confidence[:128].reshape(2, 64, 12)
    return keypoints, confidence > 0.3, confidence


def _fusion(*settings: str):
    config = to_container(load_config(overrides=list(settings)))
    return build_methods(config, ["JUMPS + fusion"])["JUMPS + fusion"]


def test_a_stream_runs_the_shipped_networks_on_onnx_runtime_with_the_torch_networks_outputs():
    """The default's stream twin runs both priors' encoders and generators (the exact windows' and the
    noisy windows'), the flip detector and both infill nets (exact windows', noisy windows') from the shipped
    ONNX exports; each gives its
    torch network's output on the sample's windows to 1e-4, and the twin's windows come out as with torch
    (positions to 1e-3 px, the same repair)."""
    keypoints, mask, confidence = _windows()
    method = _fusion()
    live = method.live()
    networks = {"encoder": live.reader.model.encoder, "generator": live.reader.model.generator,
                "noisy encoder": live.noisy_reader.model.encoder,
                "noisy generator": live.noisy_reader.model.generator,
                "detector": live.noisy_reader.flip_detector, "infill": live.infill._forward,
                "noisy infill": live.noisy_infill._forward}
    assert all(isinstance(network, OnnxNetwork) for network in networks.values())
    prior, noisy = method.reader.model, method.noisy_reader.model
    x = torch.as_tensor(keypoints)
    present = torch.as_tensor(mask)
    normalized = torch.where(present[..., None], fit_normalization(x, present).apply(x), 0.0)
    weights = torch.as_tensor(confidence) * present
    with torch.no_grad():
        z = prior.encoder(normalized, present)
        pairs = {"encoder": (prior.encoder, (normalized, present)), "generator": (prior.generator, (z,)),
                 "noisy encoder": (noisy.encoder, (normalized, present)), "noisy generator": (noisy.generator, (z,)),
                 "detector": (method.noisy_reader.flip_detector, (normalized, weights)),
                 "infill": (method.infill.net.net, (normalized, present)),
                 "noisy infill": (method.noisy_infill.net.net, (normalized, present))}
        for name, (network, inputs) in pairs.items():
            np.testing.assert_allclose(networks[name](*inputs).numpy(), network(*inputs).numpy(), atol=1e-4,
                                       err_msg=name)
    on_torch = _fusion("upsample.live_runtime=torch").live()
    assert isinstance(on_torch.reader.model, torch.nn.Module)
    assert isinstance(on_torch.noisy_reader.model, torch.nn.Module)
    assert isinstance(on_torch.noisy_reader.flip_detector, torch.nn.Module)
    fast = live.predict_windows(keypoints, mask, confidence)
    slow = on_torch.predict_windows(keypoints, mask, confidence)
    assert (slow.repair > 0).any()
    np.testing.assert_array_equal(fast.repair, slow.repair)
    np.testing.assert_allclose(fast.positions, slow.positions, atol=1e-3)
    # offline never runs ONNX Runtime
    assert isinstance(method.reader.model, torch.nn.Module) and method.infill._forward is None
    assert isinstance(method.noisy_reader.model, torch.nn.Module)


def test_an_export_of_other_weights_is_never_run(tmp_path):
    """A model folder whose weights changed since its export, or with none: the stream runs torch, and a
    warning names the file and the command that writes it anew."""
    folder = tmp_path / "infill"
    shutil.copytree(pretrained_dir() / "masked-conv-ae", folder)
    state = load_state_dict(folder)
    first = next(iter(state))
    state[first] = state[first] + 0.01
    torch.save(state, folder / "weights.pt")
    with pytest.warns(RuntimeWarning, match=r"net\.onnx was exported from other weights.*jumps onnx"):
        live = _fusion(f"models.masked_conv_ae={folder}").live()
    assert live.infill._forward is None  # torch
    assert isinstance(live.reader.flip_detector, OnnxNetwork)  # the other folders' exports still run
    (folder / "net.onnx").unlink()
    with pytest.warns(RuntimeWarning, match="has no ONNX export of its net"):
        live = _fusion(f"models.masked_conv_ae={folder}").live()
    assert live.infill._forward is None  # torch
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the shipped folders' exports match: nothing to say
        _fusion().live()


def test_jumps_onnx_writes_an_export_onnx_runtime_runs_or_names_what_to_install(tmp_path, capsys):
    """`jumps onnx` on a copy of the shipped flip detector: where the exporter is installed, a new export
    that ONNX Runtime runs with the torch network's output; else exit 2 naming the packages. A folder
    with no networks (ridge) is refused by name."""
    from jumps_pl.cli import main
    from jumps_pl.methods.jumps.method import load_flip_detector
    from jumps_pl.runtime import onnx_networks

    folder = tmp_path / "detector"
    shutil.copytree(pretrained_dir() / "flip-detector", folder)
    (folder / "net.onnx").unlink()
    if importlib.util.find_spec("onnx") and importlib.util.find_spec("onnxscript"):
        assert main(["onnx", str(folder)]) == 0
        network = onnx_networks(folder, ("net",))["net"]
        poses, weights = torch.randn(3, 64, skeleton.NUM_JOINTS, 2), torch.ones(3, 64, skeleton.NUM_JOINTS)
        with torch.no_grad():
            np.testing.assert_allclose(network(poses, weights).numpy(),
                                       load_flip_detector(folder)(poses, weights).numpy(), atol=1e-4)
    else:
        assert main(["onnx", str(folder)]) == 2
        assert "pip install onnx onnxscript" in capsys.readouterr().err
        assert not (folder / "net.onnx").exists()
    assert main(["onnx", str(pretrained_dir() / "ridge")]) == 2
    assert "ridge model has no networks to export" in capsys.readouterr().err
