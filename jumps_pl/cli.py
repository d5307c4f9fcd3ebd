"""The ``jumps`` command line: ``jumps COMMAND [options] [CONFIG.yaml] [key=value ...]``.

A table of commands (``COMMANDS``): each has its arguments and one handler, ``handler(args) -> exit
code``. Errors a user can fix (settings, files, values) end with exit 2 and a message naming them.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from omegaconf import DictConfig

from jumps_pl.config import ConfigError, load_config
from jumps_pl.data.bvh import BvhError
from jumps_pl.data.corpus import CorpusError
from jumps_pl.detect import DetectorMissing
from jumps_pl.errors import DivergenceError, ExporterMissing, OptionError

# the command-line flag of each option an ``OptionError`` may name
_FLAGS = {"fps": "--fps", "latency": "--latency", "model": "--model", "method": "--method", "workers": "--workers",
          "devices": "--devices"}


@dataclass(frozen=True)
class Command:
    """One ``jumps`` command: its help, its arguments and its handler."""

    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] = lambda parser: None
    settings: bool = True  # takes [CONFIG.yaml] key=value settings


def main(argv: list[str] | None = None) -> int:
    """Run ``jumps`` with ``argv`` (default: the process's arguments); returns the exit code."""
    parser = argparse.ArgumentParser(prog="jumps", description="JUMPS: 2D pose sequence upsampling and completion")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        sub = subparsers.add_parser(command.name, help=command.help, description=command.help)
        command.arguments(sub)
        if command.settings:
            sub.add_argument("settings", nargs="*", metavar="[CONFIG.yaml] key=value",
                             help="an optional YAML merged over the defaults, then overrides (key=value)")
    args, extra = parser.parse_known_args(argv)
    # key=value settings may also follow options (`jumps sweep FILE --out X key=value`)
    if extra and (not hasattr(args, "settings") or any(e.startswith("-") or "=" not in e for e in extra)):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:
        args.settings = [*args.settings, *extra]
    try:
        return next(c for c in COMMANDS if c.name == args.command).run(args)
    except OptionError as err:
        flag = _FLAGS.get(err.option, err.option)
        print(f"jumps {args.command}: error: {flag} {err.value}: {err}", file=sys.stderr)
        return 2
    except (ConfigError, CorpusError, BvhError, DivergenceError, FileNotFoundError, FileExistsError, ValueError,
            IsADirectoryError, PermissionError, DetectorMissing, ExporterMissing) as err:
        print(f"jumps {args.command}: error: {err}", file=sys.stderr)
        return 2


def _config_from(args: argparse.Namespace) -> DictConfig:
    settings = list(args.settings)
    config_path = settings.pop(0) if settings and "=" not in settings[0] else None
    cfg = load_config(config_path, settings)
    _check_registered(cfg)
    return cfg


def _check_registered(cfg: DictConfig) -> None:
    """Method names in the settings, which the registry knows (the schema checks the rest)."""
    from jumps_pl.methods import resolve_method

    problems = []
    named = [("upsample.method", cfg.upsample.method)] + [("evaluate.rows", row) for row in cfg.evaluate.rows]
    for key, name in named:
        try:
            resolve_method(name, key)
        except OptionError as err:
            problems.append(f"{key}: {err}")
    if problems:
        raise ConfigError("invalid setting" + ("s:\n  " if len(problems) > 1 else ": ") + "\n  ".join(problems))


# --- handlers -------------------------------------------------------------------------------------
def list_methods(args: argparse.Namespace) -> int:
    """Print every method: slug, display name, summary, the model folders it reads."""
    from jumps_pl.methods.catalog import DEFAULT_METHOD, METHODS

    width = max(len(entry.slug) for entry in METHODS)
    for entry in METHODS:
        default = "  [default]" if entry.name == DEFAULT_METHOD else ""
        print(f"{entry.slug:<{width}}  {entry.name!r}: {entry.summary}{default}")
    return 0


def data_stats(args: argparse.Namespace) -> int:
    """Print clips, frames and windows per split and in total."""
    from jumps_pl.data.datamodule import MocapDataModule

    cfg = _config_from(args)
    started = time.perf_counter()
    datamodule = MocapDataModule(**cfg.data)
    datamodule.setup()
    seconds = time.perf_counter() - started
    stats = datamodule.stats()
    print(f"data root: {cfg.data.root}  (loaded in {seconds:.1f} s)")
    print(f"windows: T={cfg.data.window}, train stride {cfg.data.train_stride}, eval stride {cfg.data.eval_stride}")
    print(f"{'split':<11}{'clips':>8}{'frames':>10}{'windows':>10}")
    for split, row in stats.items():
        print(f"{split:<11}{row['clips']:>8}{row['frames']:>10}{row['windows']:>10}")
    return 0


def train(args: argparse.Namespace) -> int:
    """Train; the run folder gets config.yaml, checkpoints/ (each with the config) and images/."""
    from jumps_pl.config import to_container
    from jumps_pl.loggers import wandb_logged_in
    from jumps_pl.training import run_training

    config = to_container(_config_from(args))
    # DDP starts the other ranks by running this command again (with LOCAL_RANK set): they must use
    # rank 0's run folder, whose name holds a timestamp. Rank 0 hands it down for its run only, so a
    # second `main(["train", ...])` in the same process gets its own folder.
    shared = {"JUMPS_RUN_DIR": ("train", "run_dir"), "JUMPS_RUN_NAME": ("logging", "name")}
    if "LOCAL_RANK" in os.environ and "JUMPS_RUN_DIR" in os.environ:
        for key, (section, name) in shared.items():
            config[section][name] = os.environ.get(key)
        run_dir = run_training(config, wandb_online=wandb_logged_in())
    else:
        before = {key: os.environ.get(key) for key in shared}
        os.environ.update({key: str(config[section][name]) for key, (section, name) in shared.items()
                           if config[section][name] is not None})
        try:
            run_dir = run_training(config, wandb_online=wandb_logged_in())
        finally:
            for key, value in before.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    print(f"run folder: {run_dir}")
    return 0


def train_baseline(args: argparse.Namespace) -> int:
    """Fit a model of the training registry; print its model folder."""
    from jumps_pl.config import to_container
    from jumps_pl.loggers import wandb_logged_in
    from jumps_pl.training import train_baseline as fit

    folder = fit(args.name, to_container(_config_from(args)), wandb_online=wandb_logged_in())
    print(f"model folder: {folder}")
    return 0


def export(args: argparse.Namespace) -> int:
    """A JUMPS checkpoint as a model folder."""
    from jumps_pl.files import check_output
    from jumps_pl.methods.jumps.method import load_jumps
    from jumps_pl.model_folders import write_model_folder

    check_output(args.out, args.overwrite)
    model, config = load_jumps(args.ckpt)
    write_model_folder(args.out, config, "jumps", state_dict=model.state_dict(), overwrite=args.overwrite)
    print(f"model folder: {args.out}")
    return 0


def onnx(args: argparse.Namespace) -> int:
    """Each model folder's forward-only networks as NAME.onnx beside its weights, for a stream's ONNX Runtime."""
    import importlib

    from jumps_pl.model_folders import read_model_config
    from jumps_pl.runtime import export_network

    families = {"jumps": "jumps", "flip-detector": "jumps", "masked-conv-ae": "masked_conv_ae"}
    for folder in args.folders:
        kind = read_model_config(folder)["kind"]
        if kind not in families:
            raise ValueError(f"{folder}: a {kind} model has no networks to export (those of "
                             f"{', '.join(families)} do)")
        method = importlib.import_module(f"jumps_pl.methods.{families[kind]}.method")
        for name, (module, inputs, names) in method.forward_networks(folder).items():
            print(f"wrote {export_network(module, inputs, names, folder, name)}")
    return 0


def upsample(args: argparse.Namespace) -> int:
    """Read, upsample every track, write; the output is checked first and written atomically."""
    from pathlib import Path

    from jumps_pl.config import to_container
    from jumps_pl.io.video import is_video
    from jumps_pl.upsampler import Upsampler

    # argparse gives every positional before the first option to the inputs: a CONFIG.yaml or key=value
    # among them is a setting
    settings = [item for item in args.input if _is_setting(item)]
    args.input = [item for item in args.input if not _is_setting(item)]
    args.settings = [*settings, *args.settings, *_device_setting(args)]
    if not args.input:
        raise ValueError("no input file given")
    if (args.out is None) == (args.out_dir is None):
        raise ValueError("give --out (one input) or --out-dir (any number of inputs)")
    if args.out is not None and len(args.input) > 1:
        raise ValueError(f"{len(args.input)} inputs: write them with --out-dir DIR, one output each")
    cfg = _config_from(args)
    size, video_fps = args.size, None
    if args.video:
        from jumps_pl.io.video import video_rate, video_size

        size, video_fps = size or video_size(args.video), video_rate(args.video)
    upsampler = Upsampler(args.method, fps=args.fps, model=args.model, config=to_container(cfg), latency=args.latency)
    if args.out is not None:
        detections = None
        if args.save_detections and is_video(args.input[0]):
            detections = Path(args.out).with_name(f"{Path(args.out).stem}.detections.json")
        upsampler.upsample_file(args.input[0], args.out, args.format, args.overwrite, image_size=size,
                                progress=not args.quiet, video_fps=video_fps, save_detections=detections)
        return 0
    summary = upsampler.upsample_files(args.input, args.out_dir, f".{args.out_format}", args.overwrite,
                                       args.workers, args.format, save_detections=args.save_detections,
                                       devices=args.devices, accelerator=args.accelerator, num_nodes=args.num_nodes)
    if summary.rank == 0:
        for line in summary.lines():
            print(line)
    return 1 if summary.failed else 0


def _device_setting(args: argparse.Namespace) -> list[str]:
    """``--device X`` as the setting it stands for (after the others: the flag wins)."""
    return [] if args.device is None else [f"infer.device={args.device}"]


def _is_setting(item: str) -> bool:
    from pathlib import Path

    return item.endswith((".yaml", ".yml")) or ("=" in item and not Path(item).exists())


def render(args: argparse.Namespace) -> int:
    """Draw what `jumps upsample` wrote."""
    from jumps_pl.io.video import render as draw

    written = draw(args.input, args.out, args.video, args.fps, args.width, args.overwrite, args.uncertainty,
                   args.compare, args.repairs)
    print(f"rendered: {written}")
    return 0


def evaluate(args: argparse.Namespace) -> int:
    """The rows of ``evaluate.rows`` on ``data.split`` (``jumps_pl/evaluation/evaluate.py``)."""
    from jumps_pl.config import to_container
    from jumps_pl.evaluation.evaluate import evaluate_config
    from jumps_pl.files import check_output

    args.settings = [*args.settings, *_device_setting(args)]
    config = to_container(_config_from(args))
    if args.ckpt:
        config["models"]["jumps"] = args.ckpt
    if args.ckpt_no_encoder:
        config["models"]["jumps_no_encoder"] = args.ckpt_no_encoder
    for path in (args.out, args.table, args.plot, args.render, args.save_predictions):
        if path:
            check_output(path, args.overwrite)
    runs = []

    def start_wandb():  # once the data and the methods have loaded: a failed start leaves no wandb run
        import wandb

        from jumps_pl.loggers import wandb_logged_in

        runs.append(wandb.init(project=config["logging"]["project"], config=config, job_type="evaluate",
                               mode=None if wandb_logged_in() else "offline"))
        return runs[0]

    try:
        evaluate_config(config, out=args.out, table=args.table, plot=args.plot, render=args.render,
                        predictions=args.save_predictions, quiet=args.quiet,
                        start_wandb=start_wandb if args.wandb else None)
    finally:
        for run in runs:
            run.finish()
    return 0


def calibrate(args: argparse.Namespace) -> int:
    """Fit each method's per-joint uncertainty (and check it on another set)."""
    from jumps_pl.config import to_container
    from jumps_pl.evaluation.calibration import run
    from jumps_pl.files import check_output
    from jumps_pl.methods import resolve_method
    from jumps_pl.schema import EVAL_SPLITS

    config = to_container(_config_from(args))
    names = [resolve_method(n.strip(), "--methods") for n in args.methods.split(",")] if args.methods else \
        list(config["evaluate"]["rows"])
    for number, what in ((args.windows, "--windows"), (args.check_windows, "--check-windows")):
        if number is not None and number < 1:
            raise ValueError(f"{what} must be >= 1, got {number}")
    if args.check and args.check not in EVAL_SPLITS:
        raise ValueError(f"--check {args.check!r}: allowed {', '.join(EVAL_SPLITS)}")
    for path in (args.out, args.plot, *((f"{args.report}.md", f"{args.report}.json") if args.report else ())):
        if path:
            check_output(path, args.overwrite)
    run(config, names, args.out, args.split, args.windows, args.check, args.check_windows, args.report, args.plot)
    return 0


def detect_windows(args: argparse.Namespace) -> int:
    """Render a set's windows as a mannequin and run MediaPipe Pose on them (``hpe-real``'s input)."""
    from jumps_pl.config import to_container
    from jumps_pl.data.corpus import check_root
    from jumps_pl.data.datamodule import MocapDataModule
    from jumps_pl.detect import PoseDetector
    from jumps_pl.evaluation import real_detector
    from jumps_pl.files import check_output

    config = to_container(_config_from(args))
    if args.windows is not None and args.windows < 1:
        raise ValueError(f"--windows must be >= 1, got {args.windows}")
    if args.split == "train" and args.windows is None:
        raise ValueError("train: give --windows N (the windows are drawn from the training split with --seed)")
    out = args.out or f"{args.split}.npz"
    check_output(out, args.overwrite)
    check_root(config["data"]["root"])
    PoseDetector().close()   # a missing extra fails before the corpus loads
    datamodule = MocapDataModule(**config["data"])
    datamodule.setup()
    started = time.perf_counter()

    def report(done: int, total: int) -> None:
        if done % 8 == 0 or done == total:
            print(f"{done}/{total} windows, {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)

    if args.videos:
        os.makedirs(args.videos, exist_ok=True)
    detections = real_detector.detect_windows(datamodule, args.split, args.windows, args.seed, report, args.videos)
    real_detector.save_detections(out, detections)
    found = detections["found"]
    print(f"{out}: {found.shape[0]} windows, a person in {found.mean():.1%} of frames ({detections['detector']})")
    return 0


def sweep(args: argparse.Namespace) -> int:
    """Run a wandb sweep file's grid locally."""
    from jumps_pl.evaluation.sweep import run_sweep

    run_sweep(args.file, list(args.settings), args.out, args.overwrite)
    return 0


# --- arguments ------------------------------------------------------------------------------------
def _train_baseline_arguments(parser: argparse.ArgumentParser) -> None:
    from jumps_pl.methods.catalog import TRAINABLES

    parser.add_argument("name", choices=tuple(TRAINABLES),
                        help="; ".join(f"{name}: {entry.summary}" for name, entry in TRAINABLES.items()))


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ckpt", help="Lightning checkpoint (e.g. runs/NAME/checkpoints/last.ckpt)")
    parser.add_argument("--out", required=True, help="model folder to write (e.g. my-models/jumps-long)")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")


def _onnx_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folders", nargs="+", help="model folders (jumps, flip-detector, masked-conv-ae) to export")


def _upsample_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", nargs="+", help="pose file(s), folders of them, globs, or a per-frame folder "
                        "(OpenPose, MMPose, YOLO labels), or videos (MediaPipe Pose detects first: the [detect] "
                        "extra); several inputs need --out-dir")
    parser.add_argument("--out", help="one input's output: .json (the input's convention + 21 joints), .npz, "
                        ".csv, or a folder (OpenPose)")
    parser.add_argument("--out-dir", metavar="DIR", help="many inputs: DIR/<input name>.<--out-format>; outputs "
                        "already there are skipped (an interrupted batch resumes) unless --overwrite")
    parser.add_argument("--out-format", choices=("npz", "json", "csv"), default="npz",
                        help="with --out-dir (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="with --out-dir: spread the files over N processes (default: %(default)s)")
    parser.add_argument("--devices", type=int, default=1, metavar="N",
                        help="with --out-dir: spread the files over N devices through Lightning (DDP; default: "
                        "%(default)s)")
    parser.add_argument("--accelerator", choices=("cpu", "gpu", "auto"), default="cpu",
                        help="with --devices: the devices' kind (default: %(default)s)")
    parser.add_argument("--num-nodes", type=int, default=1, metavar="K",
                        help="with --devices: machines, each with N devices (default: %(default)s)")
    parser.add_argument("--format", choices=_formats(), help="input format (default: from the suffix and content)")
    parser.add_argument("--method", help="a slug or name from `jumps methods` (default: upsample.method, "
                        "the default method 'JUMPS + fusion', slug jumps-fusion)")
    parser.add_argument("--fps", type=float, help="the input's frame rate (default: the file's, else upsample.fps, "
                        "else the model's, with a notice)")
    parser.add_argument("--size", metavar="WxH", type=_size, help="image size, for detectors that write normalized "
                        "coordinates (YOLO labels)")
    parser.add_argument("--video", help="the source video: its size (and rate when the file has none)")
    parser.add_argument("--model", help="model folder, checkpoint or shipped model name for the method's model "
                        "(default: models.* of the config)")
    parser.add_argument("--latency", type=int, metavar="L", help="process as live use would: each frame computed "
                        "L frames after it arrives (default: offline, the whole track)")
    parser.add_argument("--device", help="where the networks run: cpu, cuda, cuda:N or auto (infer.device; "
                        "default: cpu)")
    parser.add_argument("--save-detections", action="store_true", help="a video input: also write MediaPipe's "
                        "raw landmarks beside the output (<output name>.detections.json)")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _render_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="what `jumps upsample` wrote (.npz, .json or an OpenPose folder)")
    parser.add_argument("--out", required=True, help="FILE.gif or FILE.mp4")
    parser.add_argument("--video", help="the source video: draw over its frames (default: a blank canvas)")
    parser.add_argument("--fps", type=float, help="playback rate (default: the input's, else the video's)")
    parser.add_argument("--width", type=int, help="output width in pixels (default: 480 for GIF, the video's for "
                        "MP4)")
    parser.add_argument("--uncertainty", action="store_true", help="circle every inferred joint with its predicted "
                        "90%% error radius")
    parser.add_argument("--compare", metavar="OTHER", help="another `jumps upsample` output of the same input "
                        "(e.g. another --method), drawn side by side")
    parser.add_argument("--repairs", action="store_true", help="ring the joints whose detection was relabelled "
                        "(magenta: left and right exchanged) or set aside (black)")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")


def _evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ckpt", help="JUMPS model folder or checkpoint (models.jumps; default: the shipped "
                        "jumps-default)")
    parser.add_argument("--ckpt-no-encoder", help="model trained with model.use_encoder=false "
                        "(models.jumps_no_encoder; default: the shipped jumps-no-encoder)")
    parser.add_argument("--out", default="evaluation.json", help="JSON results (default: %(default)s)")
    parser.add_argument("--table", metavar="FILE.md", help="also write the Markdown tables here")
    parser.add_argument("--plot", metavar="FILE.png", help="PCKh against threshold, upsampling, added joints")
    parser.add_argument("--render", metavar="FILE.png", help="one example window (evaluate.example): the input, "
                        "the default method, JUMPS and the ground truth")
    parser.add_argument("--device", help="where the networks run: cpu, cuda, cuda:N or auto (infer.device; "
                        "default: cpu)")
    parser.add_argument("--wandb", action="store_true",
                        help="log the results to wandb (logging.project; offline without an account)")
    parser.add_argument("--save-predictions", metavar="FILE.npz",
                        help="predictions, ground truth, head sizes and masks per task and row")
    parser.add_argument("--overwrite", action="store_true", help="replace outputs that exist")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no table on the screen")


def _calibrate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="calibration.yaml", help="calibration file to write "
                        "(use it with upsample.calibration=FILE; default: %(default)s)")
    parser.add_argument("--split", default="val", choices=("val", "ood-val"), help="fitted on (%(default)s)")
    parser.add_argument("--windows", type=int, default=128, help="first N windows of --split (%(default)s)")
    parser.add_argument("--methods", help="comma-separated method slugs or names (default: evaluate.rows)")
    parser.add_argument("--check", metavar="SPLIT", help="also measure it on this set (e.g. test-bench)")
    parser.add_argument("--check-windows", type=int, help="first N windows of --check (default: all)")
    parser.add_argument("--report", metavar="FILE", help="the check's table (.md) and numbers (.json)")
    parser.add_argument("--plot", metavar="FILE.png", help="the check's predicted radius against error")
    parser.add_argument("--overwrite", action="store_true", help="replace outputs that exist")


def _detect_windows_arguments(parser: argparse.ArgumentParser) -> None:
    from jumps_pl.schema import REAL_SETS

    parser.add_argument("split", choices=REAL_SETS, help="the set whose windows are rendered")
    parser.add_argument("--windows", type=int, help="first N windows only (default: all); train: N windows "
                        "drawn from the training split (required), weighed by data.source_balance and data.balance_by, "
                        "each under a camera drawn from data.train_camera")
    parser.add_argument("--seed", type=int, default=0, help="seeds each window's look, and the training windows "
                        "and cameras (%(default)s; the shipped files' seed)")
    parser.add_argument("--out", help="detection file to write (default: SPLIT.npz)")
    parser.add_argument("--videos", metavar="DIR", help="also write each window's rendered video here")
    parser.add_argument("--overwrite", action="store_true", help="replace an output that exists")


def _sweep_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="wandb sweep YAML (e.g. experiments/sweeps/ablations.yaml)")
    parser.add_argument("--out", default="sweep.json", help="results JSON; the table goes beside it as .md")
    parser.add_argument("--overwrite", action="store_true", help="replace outputs that exist")


def _version() -> str:
    from jumps_pl import __version__

    return __version__


def _formats() -> tuple[str, ...]:
    from jumps_pl.io.formats import FORMATS

    return tuple(FORMATS)


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size {text!r}: expected WxH, e.g. 1920x1080") from None
    if width <= 0 or height <= 0:
        raise argparse.ArgumentTypeError(f"--size {text!r}: width and height must be positive")
    return width, height


COMMANDS: tuple[Command, ...] = (
    Command("methods", "the methods `jumps upsample --method` and `jumps evaluate` rows know (slug, name)",
            list_methods, settings=False),
    Command("data-stats", "clips, frames and windows per split", data_stats),
    Command("train", "train the AE-WGAN (checkpoints and logs under train.run_dir)", train),
    Command("train-baseline", "fit a baseline or the flip detector on the training split (model folder under "
            "train.run_dir)", train_baseline, _train_baseline_arguments),
    Command("export", "a JUMPS checkpoint as a model folder (weights.pt + config)", export, _export_arguments,
            settings=False),
    Command("onnx", "a model folder's forward-only networks as ONNX files, which a stream runs on ONNX Runtime "
            "(upsample.live_runtime; needs the onnx and onnxscript packages)", onnx, _onnx_arguments, settings=False),
    Command("upsample", "21 joints from a pose estimator's output (AlphaPose, COCO, OpenPose, MediaPipe, YOLO, "
            "MMPose, .npy, .csv)", upsample, _upsample_arguments),
    Command("render", "draw input and upsampled skeletons to a GIF or MP4", render, _render_arguments,
            settings=False),
    Command("evaluate", "the protocol's tasks (upsampling, completion, hpe, hpe-confident, hpe-real, "
            "hpe-confident-wide), a row per method: Markdown table and JSON", evaluate, _evaluate_arguments),
    Command("calibrate", "fit each method's per-joint uncertainty on the validation split's HPE task (and check "
            "it on another set)", calibrate, _calibrate_arguments),
    Command("sweep", "run a wandb sweep file's grid locally, one table", sweep, _sweep_arguments),
    Command("detect-windows", "render a set's windows as a mannequin and run MediaPipe Pose on them (the "
            "hpe-real task's input; needs the [detect] extra)", detect_windows, _detect_windows_arguments),
)


if __name__ == "__main__":
    sys.exit(main())
