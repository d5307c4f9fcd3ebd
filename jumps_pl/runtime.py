"""Forward-only networks through ONNX Runtime, for a stream's windows (``upsample.live_runtime``).

The networks that only run forward at inference (the prior's encoder and generator, the flip detector,
the infill net) are exported beside their model folder's weights as ``NAME.onnx`` (``jumps onnx``, which
needs the ``onnx`` and ``onnxscript`` packages), each holding the sha256 of the ``weights.pt`` it came
from. ONNX Runtime's CPU provider (``pip install 'jumps-pl[live]'``) runs them about twice as fast as
torch on the single windows a stream computes (docs/experiments.md). An export whose weights no longer
match is never run: the network runs on torch, and a warning names the folder.
"""
from __future__ import annotations

import hashlib
import logging
import warnings
from pathlib import Path

import numpy as np

from jumps_pl.errors import ExporterMissing
from jumps_pl.files import write_atomically

WEIGHTS_KEY = "weights_sha256"  # the ONNX file's metadata: the sha256 of the weights.pt it was exported from


def weights_digest(folder: str | Path) -> str:
    """The sha256 of a model folder's ``weights.pt``."""
    return hashlib.sha256((Path(folder) / "weights.pt").read_bytes()).hexdigest()


def export_network(module, inputs: tuple, names: tuple[str, ...], folder: str | Path, name: str) -> Path:
    """``module`` (forward only) as ``folder/NAME.onnx``, its first dimension (windows) free.

    ``inputs``: example tensors, one per name in ``names``; the file records ``weights_digest(folder)``.
    """
    import torch

    try:
        import onnx
        import onnxscript  # noqa: F401  (torch's exporter needs it)
    except ImportError:
        raise ExporterMissing("exporting to ONNX needs the onnx and onnxscript packages: pip install onnx onnxscript "
                              "(in an environment without jumps-pl[detect], whose MediaPipe needs protobuf < 5)"
                              ) from None
    windows = torch.export.Dim("windows", min=1)
    exporter_log = logging.getLogger("torch.onnx")  # (it lists the torchvision operators it skips)
    level = exporter_log.level
    exporter_log.setLevel(logging.ERROR)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(module.eval(), inputs, dynamo=True, input_names=list(names),
                                        output_names=["output"], dynamic_shapes=tuple({0: windows} for _ in inputs),
                                        external_data=False, optimize=True, verbose=False)
    finally:
        exporter_log.setLevel(level)
    model = program.model_proto
    onnx.helper.set_model_props(model, {WEIGHTS_KEY: weights_digest(folder), "network": name})
    return write_atomically(Path(folder) / f"{name}.onnx", lambda path: onnx.save(model, str(path)))


class OnnxNetwork:
    """One exported network in an ONNX Runtime ``InferenceSession``: torch tensors in, a torch tensor out."""

    def __init__(self, inference, path: Path):
        self.inference, self.path = inference, path
        self._names = [given.name for given in inference.get_inputs()]

    def __call__(self, *tensors):
        """The network's output for these inputs, in the order it was exported with."""
        import torch

        feed = {name: tensor.detach().cpu().numpy() for name, tensor in zip(self._names, tensors, strict=True)}
        return torch.from_numpy(np.asarray(self.inference.run(None, feed)[0]))


def onnx_networks(folder: str | Path, names: tuple[str, ...]) -> dict[str, OnnxNetwork] | None:
    """The exported networks ``names`` of a model folder, each an ONNX Runtime ``InferenceSession``; None: torch.

    None where ONNX Runtime is not installed (silently: torch is the default), and where the folder has no
    export of one of them or one whose weights no longer match (with a warning naming the file). Each
    runs on the calling thread alone: a stream's single windows gain nothing from more, and
    ONNX Runtime's threads beside torch's would compete for the same cores (a stream 4x slower with
    two of each on two cores, docs/experiments.md).
    """
    try:
        import onnxruntime
    except ImportError:
        return None
    folder = Path(folder)
    digest = weights_digest(folder) if (folder / "weights.pt").is_file() else None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
    options.log_severity_level = 3  # errors only
    networks = {}
    for name in names:
        path = folder / f"{name}.onnx"
        if not path.is_file():
            return _torch_instead(f"{folder} has no ONNX export of its {name} ({path.name}; `jumps onnx {folder}` "
                                  "writes it)")
        try:
            inference = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own types for a corrupt file; name the file
            return _torch_instead(f"{path}: not a readable ONNX model ({err})")
        if inference.get_modelmeta().custom_metadata_map.get(WEIGHTS_KEY) != digest:
            return _torch_instead(f"{path} was exported from other weights than {folder / 'weights.pt'} "
                                  f"(`jumps onnx {folder}` writes it anew)")
        networks[name] = OnnxNetwork(inference, path)
    return networks


def _torch_instead(reason: str) -> None:
    warnings.warn(f"{reason}; the stream runs its networks on torch", RuntimeWarning, stacklevel=3)
    return None
