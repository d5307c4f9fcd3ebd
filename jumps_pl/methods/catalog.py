"""The light table of methods and trainables: names, families and summaries, with no family imported.

The command line lists and checks method names here (fast: no torch, no Lightning), and the registry
imports a method's family only when the method is built. Each method's class registers itself where it is
defined (``registry.register_method``); ``tests/test_architecture.py`` checks that this table and the
registry agree.
"""
from __future__ import annotations

from typing import NamedTuple


class Entry(NamedTuple):
    """A method: its slug, display name, family and what it is.

    The slug is for command lines and sweep files, the display name for tables and evaluation JSON, the
    family is the folder under ``jumps_pl/methods/`` that defines it.
    """

    slug: str
    name: str
    family: str
    summary: str


DEFAULT_METHOD = "JUMPS + fusion"
METHODS: tuple[Entry, ...] = (
    Entry('jumps-fusion', 'JUMPS + fusion', 'fusion',
          "design change (the default): noisy windows read by the encoder, with confident failures repaired, "
          "exact ones by the latent fit; fused with the observations by how noisy they are; noisy windows averaged "
          "with masked-conv-ae's net half way to its fine-tuning on real detections, exact windows' added joints "
          "with masked-conv-ae"),
    Entry('jumps', 'JUMPS', 'jumps',
          "the paper's method: latent optimization of the AE-WGAN prior, multi-start incl. E(x), aligned"),
    Entry('jumps-no-alignment', 'JUMPS w/o alignment', 'jumps',
          'ablation: JUMPS without aligning G(z) to the input'),
    Entry('jumps-no-encoder', 'JUMPS w/o encoder', 'jumps',
          'ablation: a pure WGAN prior trained with model.use_encoder=false (no E(x) start)'),
    Entry('jumps-repair', 'JUMPS + repair', 'jumps',
          "design change: JUMPS whose fit first ignores far entries (robust loss), then relabels left/right "
          "flips and sets foreign entries aside by the prior's fit, and refits (infer.repair)"),
    Entry('jumps-ridge-transfer', 'JUMPS + ridge transfer', 'transfer',
          "design change: JUMPS's output corrected by the ridge map of its input residual"),
    Entry('ridge', 'ridge', 'ridge',
          'baseline: per-frame ridge regression from the present input joints (training split)'),
    Entry('ridge-savgol', 'ridge+savgol', 'ridge',
          'baseline: ridge, then a Savitzky-Golay filter along time (baselines.savgol)'),
    Entry('ridge-gaussian', 'ridge+gaussian', 'filters',
          'filter: ridge, then a Gaussian filter along time (offline; baselines.gaussian)'),
    Entry('ridge-one-euro', 'ridge+one-euro', 'filters',
          'filter: ridge, then the One-Euro filter (online, causal; baselines.one_euro)'),
    Entry('continuity-ridge-savgol', 'continuity+ridge+savgol', 'continuity',
          'heuristic: left/right flips and outlier frames repaired by continuity, then ridge+savgol'),
    Entry('masked-conv-ae', 'masked-conv-ae', 'masked_conv_ae',
          'baseline: supervised 1D U-Net trained on masked, noisy windows'),
    Entry('masked-conv-ae-real', 'masked-conv-ae (real)', 'masked_conv_ae',
          "baseline: masked-conv-ae fine-tuned on a real detector's output too (MediaPipe on rendered training "
          "windows), as the default's encoder and flip detector are"),
)


class TrainableEntry(NamedTuple):
    """What ``jumps train-baseline NAME`` fits: the module that registers it and what it is."""

    module: str
    summary: str


TRAINABLES: dict[str, TrainableEntry] = {
    "ridge": TrainableEntry("jumps_pl.methods.ridge.model", "the per-frame ridge map (baselines.ridge), closed form"),
    "masked-conv-ae": TrainableEntry("jumps_pl.methods.masked_conv_ae.model",
                                     "the supervised 1D U-Net from masked, noisy windows (baselines.masked_conv_ae)"),
    "flip-detector": TrainableEntry("jumps_pl.methods.jumps.flip_training",
                                    "the flip detector the default method's repair reads (baselines.flip_detector)"),
}
