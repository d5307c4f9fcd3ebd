"""``JUMPS + fusion``: the design change that ``jumps upsample`` runs by default (docs/evaluation.md).

Per window, how noisy the observations are decides which reading of the AE-WGAN prior they are fused
with (``jumps_pl.methods.fusion.fuse``). The noise is measured around the encoder's reading G(E(x)):
first on the input as given (a window exact there needs no repair), else once repaired; a detector's
output (scores below 1, ``fusion.scored_noisy``) is noisy whatever it measures:

- **noisy** (a detector's output): the encoder's reading G(E(x)), with no latent optimization, which
  would fit the noise; with ``fusion.repair`` the input is first checked against it (left/right flips
  relabelled, another person's entries set aside, ``infer.repair``; a labelling less probable than
  ``fusion.uncertain_below`` neither relabelled nor used) and encoded anew;
- **exact** (mocap projections, completion): the latent fit (aligned), which reproduces the given joints
  closely; started from E(x), the encoder's amortized reading, with ``fusion.fit_starts`` - 1 random
  starts and ``fusion.fit_iterations`` steps (the paper's row, ``JUMPS``, runs ``infer.starts`` and
  ``infer.iterations``: on val the default's scores were the same with 1 and 25 as with 8 and 200).

Then the fusion: exact inputs kept, noisy ones smoothed around the prior's motion, gaps along the
prior's bend, the added joints from the per-frame linear map plus ``fusion.transfer`` of what the
prior knows beyond it. On noisy windows, ``fusion.ensemble`` of the result is then the supervised
infill net's reading (``masked-conv-ae``'s network as ``models.masked_conv_ae_noisy`` holds it: the
shipped weights averaged with those fine-tuned on a real detector's output too) of the *repaired* input:
the two err in partly different places, and the repair keeps the net from following flips and foreign
poses (0: off). On exact
windows, ``fusion.ensemble_exact`` of the joints given nowhere in the window (the added ones) is the
net's reading of the input: the given joints stay exact, the estimated ones average two estimators.
The repair's window labelling also reads the flip detector (``models.flip_detector``,
``infer.repair.detector``). A detector file with more landmarks than the 12 joints (MediaPipe's 33) is
read once more after all that: ``fusion.landmark_reader`` of every joint is the landmark reader's
(``landmark_reader.py``, ``read_landmarks``), which `jumps upsample` and ``hpe-real`` call after the method.
Config: ``infer``, ``fusion``; models: ``models.jumps``, ``models.jumps_noisy``, ``models.ridge``,
``models.masked_conv_ae``, ``models.masked_conv_ae_noisy``, ``models.flip_detector``,
``models.landmark_reader``.
"""
from __future__ import annotations

import copy

import numpy as np
import torch

from jumps_pl import skeleton
from jumps_pl.methods.base import Method
from jumps_pl.methods.continuity.heuristic import apply_repair
from jumps_pl.methods.fusion.fuse import FusionSettings, fuse, window_noise
from jumps_pl.methods.fusion.landmark_reader import load_landmark_reader
from jumps_pl.methods.jumps.latent_opt import LatentOptimizer, optimizer_settings
from jumps_pl.methods.jumps.method import load_jumps, repair_flip_detector
from jumps_pl.methods.registry import register_method
from jumps_pl.methods.ridge.method import load_ridge
from jumps_pl.prediction import Prediction, RepairCode
from jumps_pl.steps import Steps, finish


@register_method
class JumpsFusion(Method):
    """The default: the prior's reading fused with the observations by how noisy they are."""

    name, slug = "JUMPS + fusion", "jumps-fusion"
    models = ("jumps", "ridge", "masked_conv_ae", "flip_detector", "jumps_noisy", "masked_conv_ae_noisy",
              "landmark_reader")

    def __init__(self, config: dict, loader):
        super().__init__(config, loader)
        self.fit = loader.method("JUMPS")
        model = loader.model("jumps", load_jumps)[0]
        if model.encoder is None:
            raise ValueError(f"{self.name} needs a model with an encoder (models.jumps)")
        infer = optimizer_settings(config["infer"])
        fusion = config["fusion"]
        # exact windows' fit: the paper's row's unless its starts and iterations are the fusion's own
        self.fitter = self._fitter(int(fusion["fit_iterations"]))
        self._live: JumpsFusion | None = None  # the streamed twin (``live``), made when first asked for
        repair = {**infer["repair"], "enabled": bool(fusion["repair"]),
                  "rounds": int(fusion["repair_rounds"]),
                  "uncertain_below": float(fusion["uncertain_below"])}
        detector = repair_flip_detector(repair, loader)
        # the plain reading that tells exact windows from noisy ones, and the reading of noisy windows: by
        # models.jumps_noisy's encoder, in the window's own frame where it gives the added joints
        self.reader = LatentOptimizer(model, **{**infer, "repair": repair}, flip_detector=detector)
        self.noisy_added = str(fusion["noisy_added"])
        noisy = loader.model("jumps_noisy", load_jumps)[0]
        if noisy.encoder is None:
            raise ValueError(f"{self.name} needs a model with an encoder (models.jumps_noisy)")
        self.noisy_reader = LatentOptimizer(noisy, **{**infer, "repair": repair,
                                                      "align": infer["align"] and self.noisy_added == "map"},
                                            flip_detector=detector, mirror_reading=bool(fusion["mirror_reading"]))
        self.ridge = loader.model("ridge", load_ridge)
        self.settings = FusionSettings.from_config(fusion)
        self.ensemble = float(fusion["ensemble"])
        self.ensemble_exact = float(fusion["ensemble_exact"])
        self.scored_noisy = bool(fusion["scored_noisy"])
        self.live_repair_start = bool(fusion["live_repair_start"])
        # the infill net's readings: of exact windows by models.masked_conv_ae, of noisy ones by
        # models.masked_conv_ae_noisy
        self.infill = loader.method("masked-conv-ae") if self.ensemble_exact > 0 else None
        self.noisy_infill = (loader.method("masked-conv-ae", model="masked_conv_ae_noisy") if self.ensemble > 0
                             else None)
        # a detector file's landmarks beyond the 12 joints, read over time (read_landmarks)
        self.landmark_share = float(fusion["landmark_reader"])
        self.landmark_reader = (loader.model("landmark_reader", load_landmark_reader) if self.landmark_share > 0
                                else None)

    @property
    def window(self) -> int:
        """The prior's window length in frames."""
        return self.fit.window

    @property
    def fps(self) -> float:
        """The frame rate the prior was trained at."""
        return self.fit.fps

    def _added_map(self, poses_px: np.ndarray) -> np.ndarray:
        return self.ridge.predict(poses_px, np.ones(poses_px.shape[:3], dtype=bool))

    def read_landmarks(self, positions_px, landmarks, fps=None):
        """``fusion.landmark_reader`` of every joint from the landmark reader, where it reads these landmarks."""
        if self.landmark_reader is None or np.shape(landmarks)[-2] != self.landmark_reader.landmarks:
            return positions_px
        return self.landmark_reader.blend(positions_px, landmarks, self.landmark_share, fps)

    def predict_windows(self, keypoints_px, mask, confidence=None, report=None) -> Prediction:
        """The fused 21 joints of each window, the spread and what the repair did."""
        return finish(self._steps(keypoints_px, mask, confidence, report))

    def predict_windows_steps(self, keypoints_px, mask, confidence=None, repair_start=None) -> Steps:
        """``predict_windows`` in steps: each encoding and repair round, the decision, the fit, the fusion, the infill.

        ``repair_start``: the repair to begin noisy windows' rounds from, where ``fusion.live_repair_start``
        (a stream's window before, on the frames the two share).
        """
        start = repair_start if self.live_repair_start else None
        return self._steps(keypoints_px, mask, confidence, None, start)

    def _steps(self, keypoints_px, mask, confidence, report, start=None) -> Steps:
        given = (keypoints_px, mask, confidence)
        keypoints_px, mask = np.asarray(keypoints_px, dtype=np.float32), np.asarray(mask, dtype=bool)
        weights = mask * (1.0 if confidence is None else np.asarray(confidence, dtype=np.float32))
        conf = None if confidence is None else np.asarray(confidence, dtype=np.float32)
        n = len(keypoints_px)
        exact = np.zeros(n, dtype=bool)
        candidates = np.ones(n, dtype=bool)
        if self.scored_noisy and confidence is not None:  # a detector's scores: its output, never exact
            # (0: a filled-in entry that carries no weight, not a score)
            candidates = ~((conf > 0) & (conf < 1.0) & mask).any((1, 2))
        threshold = self.settings.noise_threshold
        if candidates.any():  # exact as given, around the encoder's plain reading: no repair to run
            plain = (yield from self.reader.encode_windows_steps(*self._tensors(keypoints_px, mask, conf, candidates),
                                                                  repair=False))[0].numpy()
            exact[candidates] = window_noise(keypoints_px[candidates], weights[candidates], plain) <= threshold
        prior = np.zeros_like(keypoints_px)
        status = np.zeros(mask.shape, dtype=np.int8)
        sure = np.full(mask.shape, np.nan, dtype=np.float32)
        spread = np.zeros(mask.shape, dtype=np.float32)
        if (~exact).any():  # the others repaired against the encoder's reading (infer.repair) and read anew
            encoded, repair, how_sure = yield from self.noisy_reader.encode_windows_steps(
                *self._tensors(keypoints_px, mask, conf, ~exact),
                start=None if start is None else torch.as_tensor(np.asarray(start)[~exact]))
            prior[~exact], status[~exact], sure[~exact] = encoded.numpy(), repair.numpy(), how_sure.numpy()
            yield "decide"  # the repair applied, and exact once repaired?
        keypoints, kept = apply_repair(keypoints_px, weights, status)
        # exact once repaired (a few entries set aside): the input as given, fitted
        again = candidates & ~exact
        exact[again] = window_noise(keypoints[again], kept[again], prior[again]) <= threshold
        keypoints[exact], kept[exact] = keypoints_px[exact], weights[exact]
        status[exact], sure[exact] = RepairCode.KEPT, np.nan
        if exact.any():  # the latent fit, on the input as given (exact inputs need no repair)
            yield "fit"
            fitted = self._fit_exact(given, exact, report)
            prior[exact], spread[exact] = fitted.positions, fitted.spread_px
        yield "fuse"
        out, _ = fuse(keypoints, kept, prior, self._added_map, self.settings,
                      own_added=~exact if self.noisy_added == "reading" else None)
        # with the infill net's reading of the (repaired) input, where it can be normalized (a frame with
        # both shoulders and both hips still given; else the fusion alone): noisy windows whole, exact
        # windows at the joints given in no frame (the added ones)
        absent = ~(kept > 0).any(1)  # (N, J)
        share = np.where(exact[:, None], self.ensemble_exact * absent, self.ensemble).astype(np.float32)
        mixed = (kept[:, :, list(skeleton.TORSO_JOINTS)] > 0).all(-1).any(-1) & (share > 0).any(-1)
        if mixed.any():
            yield "infill"
            for rows, net in ((mixed & exact, self.infill), (mixed & ~exact, self.noisy_infill)):
                if rows.any():
                    infill = net.predict_windows(keypoints[rows], kept[rows] > 0, kept[rows]).positions
                    part = share[rows][:, None, :, None]
                    out[rows] = (1 - part) * out[rows] + part * infill
        # how sure: among the latent fit's best starts where it ran from several, else how far the fused
        # output lies from the prior's reading (where they agree, the observations and the prior agree; on
        # the added joints of exact windows, the prior and the infill net)
        apart = ~exact if self._fit_starts() > 1 else np.ones_like(exact)
        spread[apart] = np.linalg.norm(out[apart] - prior[apart], axis=-1)
        return Prediction(out, spread_px=spread, repair=status, repair_confidence=sure)

    @staticmethod
    def _tensors(keypoints_px: np.ndarray, mask: np.ndarray, confidence: np.ndarray | None, rows: np.ndarray
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """The windows ``rows`` of the arrays as tensors, for the encoder's reading."""
        return (torch.as_tensor(keypoints_px[rows]), torch.as_tensor(mask[rows]),
                None if confidence is None else torch.as_tensor(confidence[rows]))

    def _fitter(self, iterations: int) -> LatentOptimizer | None:
        """The exact windows' latent fit at ``fusion.fit_starts`` and ``iterations``; None: the paper's row's."""
        infer = optimizer_settings(self.config["infer"])
        own = {"starts": int(self.config["fusion"]["fit_starts"]), "iterations": iterations}
        if all(infer[k] == v for k, v in own.items()):
            return None
        return LatentOptimizer(self.loader.model("jumps", load_jumps)[0], **{**infer, **own},
                               flip_detector=repair_flip_detector(infer["repair"], self.loader))

    def live(self) -> JumpsFusion:
        """The method as a stream runs it: exact windows' fit at ``fusion.live_fit_iterations`` steps.

        The encoders, generators, flip detector and both infill nets run on ONNX Runtime where
        ``upsample.live_runtime`` allows (``jumps_pl.runtime``). A stream computes one window per pushed
        frame, so each window pays for its fit alone, where offline a batch of windows shares each step;
        everything else is as offline.
        """
        if self._live is None:
            iterations = int(self.config["fusion"]["live_fit_iterations"])
            prior = self.loader.live_networks("jumps", ("encoder", "generator"))
            noisy = self.loader.live_networks("jumps_noisy", ("encoder", "generator"))
            detector = None
            if self.reader.flip_detector is not None:
                detector = (self.loader.live_networks("flip_detector", ("net",)) or {}).get("net")
            infills = [None if net is None else net.live() for net in (self.infill, self.noisy_infill)]
            self._live = copy.copy(self)
            if iterations != int(self.config["fusion"]["fit_iterations"]):
                self._live.fitter = self._fitter(iterations)
            if prior is not None or detector is not None:
                self._live.reader = self.reader.with_networks((prior or {}).get("encoder"),
                                                              (prior or {}).get("generator"), detector)
            if noisy is not None or detector is not None:
                self._live.noisy_reader = self.noisy_reader.with_networks((noisy or {}).get("encoder"),
                                                                          (noisy or {}).get("generator"), detector)
            rounds = int(self.config["fusion"]["live_repair_rounds"])
            if self.noisy_reader.repair is not None and rounds != self.noisy_reader.repair["rounds"]:
                self._live.noisy_reader = self._live.noisy_reader.with_repair(rounds=rounds)
            self._live.infill, self._live.noisy_infill = infills
            self._live._live = self._live
        return self._live

    def _fit_starts(self) -> int:
        return (self.fitter or self.fit.optimizer).starts

    def _fit_exact(self, given: tuple, exact: np.ndarray, report) -> Prediction:
        """The latent fit of the ``exact`` windows of the arrays ``given`` (keypoints, mask, confidence)."""
        if self.fitter is None:  # the paper's row's: every window exact, the arrays as given, whose fit
            # the JUMPS row already made when both run
            chosen = given if exact.all() else tuple(None if a is None else np.asarray(a)[exact] for a in given)
            return self.fit.predict_windows(*chosen, report)
        keypoints, mask, confidence = (None if a is None else torch.as_tensor(np.asarray(a)[exact]) for a in given)
        return self.fitter.prediction(self.fitter.optimize_windows(keypoints.float(), mask, confidence, report))
