"""``jumps_pl.Upsampler``: load a method once, then upsample arrays, tracks and pose files with it.

The one post-processing pipeline (``pipeline.py``: confidence gating, resampling to the
model's frame rate and back, gap filling, streamed windows) behind `jumps upsample`, ``jumps_pl.upsample``
and the library object alike::

    import jumps_pl
    up = jumps_pl.Upsampler(method="JUMPS", fps=50)          # any name of `jumps methods`
    poses21 = up.upsample(poses12)                            # (F, 12, 2) px, NaN where missing
    up.upsample_file("alphapose-results.json", "out.npz")     # any reader of jumps_pl.io
    up.upsample_video("clip.mp4", "out.npz")                  # MediaPipe Pose first (the [detect] extra)
"""
from __future__ import annotations

import dataclasses
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from jumps_pl import skeleton
from jumps_pl.config import check_config, load_config, to_container
from jumps_pl.errors import OptionError
from jumps_pl.files import check_output, write_json
from jumps_pl.io.arrays import keypoint_array
from jumps_pl.io.batch import BatchSummary, expand_inputs, output_paths
from jumps_pl.io.formats import PoseFile, PoseFormatError, Track, read_poses
from jumps_pl.io.tracks import COCO17, LAYOUTS, UpsampledTrack, untangle_tracks
from jumps_pl.io.video import is_video
from jumps_pl.io.writers import output_kind, write_output
from jumps_pl.joint_centres import load_centre_maps, load_landmark_maps
from jumps_pl.methods import DEFAULT_METHOD, Method, build_methods, method_class, resolve_method
from jumps_pl.pipeline import model_frames, upsample_arrays, upsample_track, windows_for
from jumps_pl.prediction import Prediction, RepairCode
from jumps_pl.scores import load_score_maps
from jumps_pl.stream import Stream
from jumps_pl.uncertainty import load_calibrations


class RateAssumed(UserWarning):
    """No frame rate was given for input without timing; the model's rate was assumed."""


class Upsampler:
    """A method (``method``, default ``upsample.method``) loaded once, for input at ``fps`` frames per second.

    ``fps`` defaults to the file's own rate, else ``upsample.fps``, else the model's, with a warning.
    ``model``: a model folder or checkpoint for the method's main model (``models.*`` otherwise);
    ``latency``: process tracks frame by frame as live use would, each output frame computed
    ``latency`` frames after its input (``jumps_pl.StreamingUpsampler``);
    ``config``: a resolved config dict (default: the package defaults with ``overrides``, ``key=value``
    strings); remaining keyword arguments replace ``infer.*`` settings (``starts=4``).
    """

    def __init__(self, method: str | None = None, fps: float | None = None, model: str | Path | None = None,
                 config: dict | None = None, overrides: list[str] | tuple[str, ...] = (), latency: int | None = None,
                 **infer):
        if config is None:
            config = to_container(load_config(overrides=[*overrides, *(f"infer.{k}={v}" for k, v in infer.items())]))
        else:  # a dict built by the caller is checked as the files and overrides are
            config = check_config({**config, "infer": {**config["infer"], **infer}} if infer else config)
        self.config = config
        self._given = {"method": method, "fps": fps, "model": model, "latency": latency}  # what workers rebuild
        self.name = resolve_method(method or config["upsample"].get("method") or DEFAULT_METHOD,
                                   "method" if method else "upsample.method")
        if fps is not None and not fps > 0:
            raise OptionError("fps", fps, f"fps must be positive, got {fps}")
        self.fps = fps
        if model is not None:
            keys = method_class(self.name).models
            if not keys:
                raise OptionError("model", model, f"method {self.name!r} uses no model folder; drop the model "
                                  "argument")
            config = {**config, "models": {**config.get("models", {}), keys[0]: str(model)}}
            self.config = config
        self.method: Method = build_methods(config, [self.name])[self.name]
        self.model_fps = float(getattr(self.method, "fps", config["data"]["fps"]))
        self.calibration = load_calibrations(config["upsample"].get("calibration")).get(self.name)
        self.score_maps = load_score_maps() if config["upsample"]["scores"] == "calibrated" else {}
        self.centre_maps = load_centre_maps() if config["upsample"]["joint_centres"] else {}
        self.landmark_maps = load_landmark_maps() if config["upsample"]["landmarks"] else {}
        # latency: run tracks as live use would (stream.py), each frame `latency` frames late
        self.latency = latency
        if latency is not None:  # checked now, before any file is read
            try:
                Stream(self.method, latency, None, 0.0)
            except ValueError as err:
                raise OptionError("latency", latency, str(err)) from None

    # --- rates ------------------------------------------------------------------------------------
    def rate_for(self, file_fps: float | None, what: str, log: Callable[[str], None] | None = None) -> float:
        """The input's rate: the one given, else the file's, else ``upsample.fps``, else the model's.

        The model's rate is said aloud when assumed (``log``, or a ``RateAssumed`` warning).
        """
        fps = self.fps or file_fps or self.config["upsample"].get("fps")
        if fps:
            return float(fps)
        message = (f"{what} carries no frame rate and none was given: assuming {self.model_fps:g} fps "
                   "(set it with --fps, fps=, or upsample.fps)")
        if log:
            log(f"notice: {message}")
        else:
            warnings.warn(message, RateAssumed, stacklevel=3)
        return self.model_fps

    # --- arrays -----------------------------------------------------------------------------------
    def upsample(self, keypoints: np.ndarray, mask: np.ndarray | None = None, confidence: np.ndarray | None = None,
                 fps: float | None = None, with_uncertainty: bool = False
                 ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """21 joints (F, 21, 2) px from one person's ``keypoints``, as `jumps upsample` takes an array.

        ``keypoints`` (F, J, 2) or (F, J, 3) (x, y[, confidence]): J = 12 (COCO body order), 17 (COCO) or
        21 (jumps-pl; every joint given is used); an entry with x and y both NaN is missing
        (``io.arrays.keypoint_array``, which `jumps upsample` uses for .npy and .csv files too). ``mask``
        (F, J) marks present entries (default: the array's); ``confidence`` (F, J) the detector's scores
        (default: the array's third channel, else 1), gated at ``upsample.min_confidence`` as `jumps
        upsample` does.
        ``with_uncertainty``: also return each joint's predicted 90% error radius (F, 21) px
        (``uncertainty.py``; NaN where the method has no calibration).
        """
        if np.ndim(keypoints) != 3 or len(keypoints) == 0:
            raise ValueError(f"keypoints must be (F, 12|17|21, 2|3) with F >= 1, got {np.shape(keypoints)}")
        given_shape = np.shape(keypoints)[:2]
        keypoints, scores, present = keypoint_array(keypoints, "keypoints", keep_all_21=True)
        if mask is not None:
            present = _same_joints(np.asarray(mask, dtype=bool), given_shape, "mask")
        if confidence is not None:
            scores = _same_joints(np.asarray(confidence, dtype=np.float64), given_shape, "confidence")
        full, conf = keypoints, np.where(present, scores, 0.0)
        given = np.ones(skeleton.NUM_JOINTS, dtype=bool)
        if keypoints.shape[1] == len(skeleton.INPUT_INDICES):
            full, conf = skeleton.place_inputs(full), skeleton.place_inputs(conf, -1)
            given = skeleton.place_inputs(np.ones(len(skeleton.INPUT_INDICES)), -1) > 0
        fps_in = self.rate_for(fps, "the array")
        out, _, _ = upsample_arrays(self._predict, full, conf, given, fps_in, self.model_fps,
                                    self.config["upsample"]["min_confidence"], "the array")
        return (out.positions, out.radius_px) if with_uncertainty else out.positions

    def upsample_track(self, track: Track, fps: float, progress: Callable[[int], None] | None = None,
                       format: str | None = None) -> UpsampledTrack:
        """One detector track at ``fps`` through the pipeline (``pipeline.upsample_track``): its 21 joints.

        ``format``: the track's file format; where it has a landmark map (``upsample.landmarks``) and the
        track its landmarks, the added joints are then blended with the map's (``LandmarkMap.blend``: in
        frames without a detection, as the detected frames around them; without a format: the one map that
        reads as many landmarks as the track has, if any); then the method reads them too where it can
        (``Method.read_landmarks``: the default's landmark reader, ``fusion.landmark_reader``). The 90% radii
        stay the method's: for the blended joints they overstate the error.
        """
        result = upsample_track(self._predict, track, fps, self.model_fps, self.config["upsample"]["min_confidence"],
                                progress)
        if track.landmarks is None:
            return result
        landmarks = np.full((len(result.frames), *track.landmarks.shape[1:]), np.nan, np.float32)
        landmarks[track.frames - int(track.frames[0])] = track.landmarks   # frames without a detection: NaN
        keypoints = result.keypoints
        landmark_map = self._landmark_map(format, track)
        if landmark_map is not None:
            keypoints = landmark_map.blend(keypoints, landmarks)
        keypoints = self.method.read_landmarks(keypoints, landmarks, fps)
        return dataclasses.replace(result, keypoints=keypoints)

    def _landmark_map(self, format: str | None, track: Track):
        """The landmark map for ``track`` (``upsample_track``), or None."""
        if track.landmarks is None:
            return None
        if format is not None:
            return self.landmark_maps.get(format)
        fitting = [m for m in self.landmark_maps.values() if m.weights.shape[0] == 3 * track.landmarks.shape[1] + 1]
        return fitting[0] if len(fitting) == 1 else None

    def _predict(self, keypoints, mask, weight, progress) -> Prediction:
        """The method's ``Prediction`` of a prepared track at the model's rate, with 90% radii.

        The predicted 90% radius of every joint is NaN where the method has no calibration.
        """
        if self.latency is not None:
            prediction = Prediction(Stream(self.method, self.latency, None, 0.0).run(keypoints, mask, weight))
        else:
            prediction = self.method.predict_track(keypoints, mask, weight, progress)
        out = prediction.positions
        if self.calibration is None:
            prediction.radius_px = np.full(out.shape[:2], np.nan, dtype=np.float32)
        else:
            prediction.radius_px = self.calibration.radius_px(out, keypoints, np.where(mask, weight, 0.0),
                                                              prediction.spread_px)
        return prediction

    # --- files ------------------------------------------------------------------------------------
    def upsample_file(self, source: str | Path, out: str | Path, format: str | None = None, overwrite: bool = False,
                      image_size: tuple[int, int] | None = None, progress: bool = True,
                      log: Callable[[str], None] | None = None, video_fps: float | None = None,
                      save_detections: str | Path | None = None) -> Path:
        """Read a pose file (or detect in a video), upsample every track, write ``out``.

        ``out`` is checked first and written atomically. ``video_fps``: the source video's rate, used when
        the file carries none. A video (``io.video.VIDEO_SUFFIXES``) goes through MediaPipe Pose first
        (:meth:`upsample_video`); ``save_detections``: also write its raw detections there (JSON).
        """
        return self._upsample_file(source, out, format, overwrite, image_size, progress, log, video_fps,
                                   save_detections)[0]

    def upsample_video(self, video: str | Path, out: str | Path, overwrite: bool = False,
                       save_detections: str | Path | None = None, progress: bool = True,
                       log: Callable[[str], None] | None = None) -> Path:
        """MediaPipe Pose on every frame of ``video`` (tracking mode; the ``[detect]`` extra), then upsample.

        ``save_detections``: also write MediaPipe's raw landmarks there, in the JSON layout `jumps upsample`
        reads (``jumps_pl.detect``), so that a later run can start from them.
        """
        return self._upsample_file(video, out, "video", overwrite, None, progress, log, None, save_detections)[0]

    def upsample_files(self, sources: list[str | Path], out_dir: str | Path, suffix: str = ".npz",
                       overwrite: bool = False, workers: int = 1, format: str | None = None,
                       log: Callable[[str], None] | None = None, save_detections: bool = False,
                       devices: int = 1, accelerator: str = "cpu", num_nodes: int = 1) -> BatchSummary:
        """Upsample many pose files or videos into ``out_dir`` (``io.batch``: files, globs, folders; one output each).

        Outputs already written are skipped (an interrupted batch resumes) unless ``overwrite``; a file that
        fails is named in the summary and never stops the others. ``workers`` > 1 spreads the files over
        that many processes, each loading the method once. ``save_detections``: a video's raw detections
        go to ``out_dir/<name>.detections.json`` too.

        ``devices`` x ``num_nodes`` > 1: the files run through Lightning's ``Trainer.predict`` with DDP over
        that many processes on ``accelerator`` (``cpu``, ``gpu``, ``auto``), each on its own device
        (``jumps_pl.multi_device``); every process returns the summary, its ``rank`` saying which one it is.
        """
        log = log or (lambda message: print(message, file=sys.stderr))
        if workers < 1:
            raise OptionError("workers", workers, f"workers must be >= 1, got {workers}")
        if devices < 1 or num_nodes < 1:
            raise OptionError("devices", devices, f"devices and num_nodes must be >= 1, got {devices}, {num_nodes}")
        if workers > 1 and devices * num_nodes > 1:
            raise OptionError("workers", workers, "give workers (processes on this machine) or devices (through "
                              "Lightning), not both")
        inputs = expand_inputs(list(sources))
        outputs = output_paths(inputs, Path(out_dir), suffix)
        summary = BatchSummary()
        todo = []
        for source, out in zip(inputs, outputs, strict=True):
            if out.exists() and not overwrite:
                summary.skipped.append(source)
            else:
                todo.append((source, out))
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        if devices * num_nodes > 1:
            from jumps_pl.multi_device import upsample_on_devices

            outcomes, summary.rank = upsample_on_devices(self, todo, format, save_detections, devices, accelerator,
                                                         num_nodes)
            quiet = (lambda message: None) if summary.rank else log
            for position, outcome in outcomes:
                _count(summary, todo[position][0], outcome, quiet)
            return summary
        if workers == 1 or len(todo) <= 1:
            results = (upsample_one(self, source, out, format, save_detections) for source, out in todo)
            for (source, _), result in zip(todo, results, strict=True):
                _count(summary, source, result, log)
            return summary
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        threads = max(1, (os.cpu_count() or 1) // workers)
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
                                 initargs=(self._given, self.config, threads)) as pool:
            futures = [pool.submit(_work, str(source), str(out), format, save_detections) for source, out in todo]
            for (source, _), future in zip(todo, futures, strict=True):
                _count(summary, source, future.result(), log)
        return summary

    def _upsample_file(self, source: str | Path, out: str | Path, format: str | None = None, overwrite: bool = False,
                       image_size: tuple[int, int] | None = None, progress: bool = True,
                       log: Callable[[str], None] | None = None, video_fps: float | None = None,
                       save_detections: str | Path | None = None) -> tuple[Path, list[UpsampledTrack]]:
        log = log or (lambda message: print(message, file=sys.stderr))
        out = Path(out)
        check_output(out, overwrite)  # the one check, before any work
        if save_detections is not None:
            check_output(save_detections, overwrite)
        pose_file = self._read(Path(source), format, image_size, save_detections, log)
        output_kind(out, pose_file)
        fps = self.rate_for(pose_file.fps or video_fps, str(source), log)
        tracks = [t for t in pose_file.tracks if len(t.frames)]
        if len(tracks) > 1 and self.config["upsample"]["untangle"] > 0:
            tracks, moved = untangle_tracks(tracks, self.config["upsample"]["untangle"])
            pose_file = dataclasses.replace(pose_file, tracks=tracks)  # the writers see the tracks as repaired
            if moved:
                log(f"tracks: {moved} frame(s) given back to the person the tracker had exchanged them with")
        frames = sum(int(t.frames[-1] - t.frames[0] + 1) for t in tracks)
        log(f"{source}: {pose_file.format}, {len(tracks)} track(s), {frames} frames at {fps:g} fps "
            f"(method {self.name!r}, model {self.model_fps:g} fps)")
        results = self._upsample_tracks(pose_file, tracks, fps, progress, log)
        if any(r.repair is not None for r in results):
            log(repair_summary(results))
        started = time.perf_counter()
        write_output(pose_file, results, out, fps, self.name)
        log(f"wrote {out}: {len(results)} track(s) ({time.perf_counter() - started:.1f} s writing)")
        return out, results

    def _read(self, source: Path, format: str | None, image_size: tuple[int, int] | None,
              save_detections: str | Path | None, log: Callable[[str], None]) -> PoseFile:
        """A pose file, or a video's MediaPipe detections as one (written to ``save_detections`` if given)."""
        if format != "video" and not (format is None and is_video(source)):
            return self._read_for_format(read_poses(source, format, image_size=image_size))
        from jumps_pl.detect import detect_video
        from jumps_pl.io.mediapipe import pose_file_from_record

        record = detect_video(source, log=log)
        if save_detections is not None:
            write_json(save_detections, record)
            log(f"detections: {save_detections}")
        pose_file = pose_file_from_record(source, record)
        if not any(len(t.frames) for t in pose_file.tracks):
            raise PoseFormatError(f"{source}: MediaPipe Pose found no person in any frame")
        return self._read_for_format(pose_file)

    def _read_for_format(self, pose_file: PoseFile) -> PoseFile:
        """The file read for what its format means, where the format has maps fitted.

        Joints are moved to mocap's centres (``joint_centres.py``), scores go through the score map
        (``scores.py``).
        """
        centre_map, score_map = self.centre_maps.get(pose_file.format), self.score_maps.get(pose_file.format)
        tracks = pose_file.tracks
        if centre_map is not None:
            tracks = [dataclasses.replace(t, keypoints=centre_map(t.keypoints, t.confidence > 0).astype(np.float32))
                      for t in tracks]
        if score_map is not None:
            tracks = [dataclasses.replace(t, confidence=score_map(t.confidence)) for t in tracks]
        return dataclasses.replace(pose_file, tracks=tracks)

    def _upsample_tracks(self, pose_file: PoseFile, tracks: list[Track], fps: float, progress: bool,
                         log: Callable[[str], None]) -> list[UpsampledTrack]:
        from tqdm import tqdm

        infer = self.config["infer"]
        total = sum(windows_for(model_frames(int(t.frames[-1] - t.frames[0] + 1), fps, self.model_fps),
                                self.method.window, infer["overlap"]) for t in tracks)
        # from the first window on (the latent fit reports every iteration), in a terminal only
        bar = tqdm(total=total, unit="window", disable=not progress or not sys.stderr.isatty(), file=sys.stderr,
                   bar_format="{l_bar}{bar}| {n:.1f}/{total} windows [{elapsed}<{remaining}]")
        results, skipped = [], []
        started = time.perf_counter()
        for track in tracks:
            try:
                results.append(self.upsample_track(track, fps, bar.update, pose_file.format))
            except ValueError as err:
                skipped.append(str(err))
        bar.close()
        for message in skipped:
            log(f"skipped: {message}")
        if not results:
            raise ValueError(f"{pose_file.path}: no track could be upsampled")
        log(f"upsampled {len(results)} track(s) in {time.perf_counter() - started:.1f} s")
        return results


# --- batches -----------------------------------------------------------------------------------------
_WORKER: Upsampler | None = None  # the method a worker process loaded once (upsample_files)

# what a file of a batch gave: (frames, relabelled, set aside, uncertain), or the reason it failed
FileOutcome = tuple[int, int, int, int] | str


def upsample_one(upsampler: Upsampler, source: Path, out: Path, format: str | None,
                  save_detections: bool = False) -> FileOutcome:
    """One file of a batch, its failure kept as a reason rather than raised."""
    detections = out.with_name(f"{out.stem}.detections.json") if save_detections and is_video(source) else None
    try:
        _, results = upsampler._upsample_file(source, out, format, overwrite=True, progress=False,
                                              log=lambda message: None, save_detections=detections)
    except (ValueError, FileNotFoundError, IsADirectoryError, PermissionError, OSError) as err:
        return str(err)
    return (sum(len(r.frames) for r in results), *repair_counts(results).values())


def _start_worker(given: dict, config: dict, threads: int) -> None:
    import torch

    global _WORKER
    torch.set_num_threads(threads)
    _WORKER = Upsampler(given["method"], fps=given["fps"], model=given["model"], config=config,
                        latency=given["latency"])


def _work(source: str, out: str, format: str | None, save_detections: bool) -> FileOutcome:
    return upsample_one(_WORKER, Path(source), Path(out), format, save_detections)


def _count(summary: BatchSummary, source: Path, outcome: FileOutcome, log: Callable[[str], None]) -> None:
    if isinstance(outcome, str):
        summary.failed[source] = outcome
        log(f"failed: {source}: {outcome}")
        return
    frames, relabelled, aside, uncertain = outcome
    summary.done.append(source)
    summary.frames += frames
    summary.relabelled += relabelled
    summary.set_aside += aside
    summary.uncertain += uncertain
    log(f"done: {source} ({frames} frames)")


def _same_joints(values: np.ndarray, shape: tuple[int, int], what: str) -> np.ndarray:
    """Per-entry ``values`` (F, J) of the keypoints given, on the joints ``keypoint_array`` keeps."""
    if values.shape != shape:
        raise ValueError(f"{what} must be {shape}, like the keypoints, got {values.shape}")
    return values[:, list(LAYOUTS["coco17"])] if shape[1] == len(COCO17) else values


def upsample(keypoints: np.ndarray, mask: np.ndarray | None = None, confidence: np.ndarray | None = None,
             fps: float | None = None, method: str | None = None, model: str | Path | None = None,
             ckpt: str | Path | None = None, **infer) -> np.ndarray:
    """One call: ``Upsampler(method, model=model or ckpt, **infer).upsample(keypoints, mask, confidence, fps)``."""
    return Upsampler(method, model=model or ckpt, **infer).upsample(keypoints, mask, confidence, fps)


def repair_counts(results: list[UpsampledTrack]) -> dict[RepairCode, int]:
    """How many input entries each repair (every ``RepairCode`` but KEPT) was made to, over ``results``."""
    return {code: sum(int((r.repair == code).sum()) for r in results if r.repair is not None)
            for code in RepairCode if code != RepairCode.KEPT}


def repair_summary(results: list[UpsampledTrack]) -> str:
    """One line: how many input entries were relabelled (left/right) or set aside, in how many frames."""
    counts = repair_counts(results)
    frames = sum(int((r.repair != RepairCode.KEPT).any(-1).sum()) for r in results if r.repair is not None)
    return (f"repairs: {counts[RepairCode.RELABELLED]} input entries relabelled (left/right), "
            f"{counts[RepairCode.SET_ASIDE]} set aside, {counts[RepairCode.UNCERTAIN]} set aside as uncertain, "
            f"in {frames} frames")
