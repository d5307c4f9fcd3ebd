"""The ``jumps`` command line: ``jumps COMMAND [CONFIG.yaml] [key=value ...]``."""
from __future__ import annotations

import argparse
import os
import sys
import time

from omegaconf import DictConfig

from jumps_pl.config import ConfigError, load_config
from jumps_pl.data.bvh import BvhError
from jumps_pl.data.corpus import CorpusError
from jumps_pl.models.jumps_gan import DivergenceError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jumps", description="JUMPS: 2D pose sequence upsampling and completion")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("methods", help="the methods `jumps upsample --method` and `jumps evaluate` rows know")
    stats = commands.add_parser("data-stats", help="clips, frames and windows per split")
    _add_config_arguments(stats)
    train_parser = commands.add_parser("train", help="train the AE-WGAN (checkpoints and logs under train.run_dir)")
    _add_config_arguments(train_parser)
    baseline_parser = commands.add_parser("train-baseline", help="fit a baseline or the flip detector on the "
                                          "training split (model folder under train.run_dir)")
    baseline_parser.add_argument("name", choices=("ridge", "masked-conv-ae", "flip-detector"))
    _add_config_arguments(baseline_parser)
    export_parser = commands.add_parser("export", help="a JUMPS checkpoint as a model folder (weights.pt + config)")
    export_parser.add_argument("ckpt", help="Lightning checkpoint (e.g. runs/NAME/checkpoints/last.ckpt)")
    export_parser.add_argument("--out", required=True, help="model folder to write (e.g. my-models/jumps-long)")
    export_parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    upsample_parser = commands.add_parser("upsample", help="21 joints from a pose estimator's output "
                                          f"({', '.join(_formats())})")
    upsample_parser.add_argument("input", help="pose file, or an OpenPose folder of per-frame JSON files")
    upsample_parser.add_argument("--out", required=True,
                                 help=".json (the input's convention + 21 joints), .npz, .csv, or a folder (OpenPose)")
    upsample_parser.add_argument("--format", choices=_formats(), help="input format (default: from the suffix "
                                 "and content)")
    upsample_parser.add_argument("--method", help="a name from `jumps methods` (upsample.method; default: "
                                 "%(default)s)", default=None)
    upsample_parser.add_argument("--fps", type=float, help="the input's frame rate (default: the file's, else "
                                 "upsample.fps, else the model's, with a notice)")
    upsample_parser.add_argument("--size", metavar="WxH", type=_size, help="image size, for detectors that write "
                                 "normalized coordinates (YOLO labels)")
    upsample_parser.add_argument("--video", help="the source video: its size (and rate when the file has none)")
    upsample_parser.add_argument("--model", help="model folder, checkpoint or shipped model name for the method's "
                                 "model (default: models.* of the config)")
    upsample_parser.add_argument("--latency", type=int, metavar="L", help="process as live use would: each frame "
                                 "computed L frames after it arrives (default: offline, the whole track)")
    upsample_parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    upsample_parser.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_config_arguments(upsample_parser)
    render_parser = commands.add_parser("render", help="draw input and upsampled skeletons to a GIF or MP4")
    render_parser.add_argument("input", help="what `jumps upsample` wrote (.npz, .json or an OpenPose folder)")
    render_parser.add_argument("--out", required=True, help="FILE.gif or FILE.mp4")
    render_parser.add_argument("--video", help="the source video: draw over its frames (default: a blank canvas)")
    render_parser.add_argument("--fps", type=float, help="playback rate (default: the input's, else the video's)")
    render_parser.add_argument("--width", type=int, help="output width in pixels (default: 480 for GIF, the "
                               "video's for MP4)")
    render_parser.add_argument("--uncertainty", action="store_true", help="circle every inferred joint with its "
                               "predicted 90%% error radius")
    render_parser.add_argument("--compare", metavar="OTHER", help="another `jumps upsample` output of the same input "
                               "(e.g. another --method), drawn side by side")
    render_parser.add_argument("--repairs", action="store_true", help="ring the joints whose detection was "
                               "relabelled (magenta: left and right exchanged) or set aside (black)")
    render_parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    evaluate_parser = commands.add_parser("evaluate", help="the protocol's three tasks, a row per method: "
                                          "Markdown table and JSON")
    evaluate_parser.add_argument("--ckpt", help="JUMPS model folder or checkpoint (models.jumps; default: the "
                                 "shipped jumps-default)")
    evaluate_parser.add_argument("--ckpt-no-encoder", help="model trained with model.use_encoder=false "
                                 "(models.jumps_no_encoder; default: the shipped jumps-no-encoder)")
    evaluate_parser.add_argument("--out", default="evaluation.json", help="JSON results (default: %(default)s)")
    evaluate_parser.add_argument("--table", metavar="FILE.md", help="also write the Markdown tables here")
    evaluate_parser.add_argument("--plot", metavar="FILE.png", help="PCKh against threshold, upsampling, added joints")
    evaluate_parser.add_argument("--render", metavar="FILE.png",
                                 help="one example window (evaluate.example): input, JUMPS, ground truth")
    evaluate_parser.add_argument("--wandb", action="store_true",
                                 help="log the results to wandb (logging.project; offline without an account)")
    evaluate_parser.add_argument("--save-predictions", metavar="FILE.npz",
                                 help="predictions, ground truth, head sizes and masks per task and row")
    evaluate_parser.add_argument("--overwrite", action="store_true", help="replace outputs that exist")
    _add_config_arguments(evaluate_parser)
    calibrate_parser = commands.add_parser("calibrate", help="fit each method's per-joint uncertainty on the "
                                           "validation split's HPE task (and check it on another set)")
    calibrate_parser.add_argument("--out", default="calibration.yaml", help="calibration file to write "
                                  "(use it with upsample.calibration=FILE; default: %(default)s)")
    calibrate_parser.add_argument("--split", default="val", choices=("val", "ood-val"), help="fitted on (%(default)s)")
    calibrate_parser.add_argument("--windows", type=int, default=128, help="first N windows of --split (%(default)s)")
    calibrate_parser.add_argument("--methods", help="comma-separated method names (default: evaluate.rows)")
    calibrate_parser.add_argument("--check", metavar="SPLIT", help="also measure it on this set (e.g. test-bench)")
    calibrate_parser.add_argument("--check-windows", type=int, help="first N windows of --check (default: all)")
    calibrate_parser.add_argument("--report", metavar="FILE", help="the check's table (.md) and numbers (.json)")
    calibrate_parser.add_argument("--plot", metavar="FILE.png", help="the check's predicted radius against error")
    calibrate_parser.add_argument("--overwrite", action="store_true", help="replace outputs that exist")
    _add_config_arguments(calibrate_parser)
    sweep_parser = commands.add_parser("sweep", help="run a wandb sweep file's grid locally, one table")
    sweep_parser.add_argument("file", help="wandb sweep YAML (e.g. experiments/sweeps/ablations.yaml)")
    sweep_parser.add_argument("--out", default="sweep.json", help="results JSON; the table goes beside it as .md")
    sweep_parser.add_argument("--overwrite", action="store_true", help="replace outputs that exist")
    _add_config_arguments(sweep_parser)
    args, extra = parser.parse_known_args(argv)
    # key=value settings may also follow options (`jumps sweep FILE --out X key=value`)
    if extra and (not hasattr(args, "settings") or any(e.startswith("-") or "=" not in e for e in extra)):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:
        args.settings = [*args.settings, *extra]
    try:
        if args.command == "methods":
            return list_methods()
        if args.command == "export":
            return export(args)
        if args.command == "render":
            from jumps_pl.io.video import render

            written = render(args.input, args.out, args.video, args.fps, args.width, args.overwrite, args.uncertainty,
                             args.compare, args.repairs)
            print(f"rendered: {written}")
            return 0
        if args.command == "sweep":
            from jumps_pl.evaluation.sweep import run_sweep

            run_sweep(args.file, list(args.settings), args.out, args.overwrite)
            return 0
        cfg = _config_from(args)
        if args.command == "evaluate":
            return evaluate(cfg, args)
        if args.command == "upsample":
            return upsample(cfg, args)
        if args.command == "calibrate":
            return calibrate(cfg, args)
        if args.command == "train-baseline":
            return train_baseline(cfg, args)
        return {"data-stats": data_stats, "train": train}[args.command](cfg)
    except (ConfigError, CorpusError, BvhError, DivergenceError, FileNotFoundError, FileExistsError, ValueError,
            IsADirectoryError, PermissionError) as err:
        print(f"jumps {args.command}: error: {err}", file=sys.stderr)
        return 2


def _add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("settings", nargs="*", metavar="[CONFIG.yaml] key=value",
                        help="an optional YAML merged over the defaults, then overrides such as data.root=DIR")


def _config_from(args: argparse.Namespace) -> DictConfig:
    settings = list(args.settings)
    config_path = settings.pop(0) if settings and "=" not in settings[0] else None
    cfg = load_config(config_path, settings)
    _check_registered(cfg, getattr(args, "method", None))
    return cfg


def _check_registered(cfg: DictConfig, method: str | None) -> None:
    """Method names, which the registry knows (the schema checks the rest; evaluate_config the tasks)."""
    from jumps_pl.methods import check_name

    problems = []
    named = [("--method", method)] if method else []
    named += [("upsample.method", cfg.upsample.method)] + [("evaluate.rows", row) for row in cfg.evaluate.rows]
    for key, name in named:
        try:
            check_name(name, key)
        except ValueError as err:
            problems.append(str(err))
    if problems:
        raise ConfigError("invalid setting" + ("s:\n  " if len(problems) > 1 else ": ") + "\n  ".join(problems))


def data_stats(cfg: DictConfig) -> int:
    """Print clips, frames and windows per split and in total."""
    from jumps_pl.data.datamodule import MocapDataModule

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


def train(cfg: DictConfig) -> int:
    """Train; the run folder gets config.yaml, checkpoints/ (each with the config) and images/."""
    from jumps_pl.config import to_container
    from jumps_pl.loggers import wandb_logged_in
    from jumps_pl.train import run_training

    config = to_container(cfg)
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


def upsample(cfg: DictConfig, args: argparse.Namespace) -> int:
    """Read, upsample every track, write; the output is checked first and written atomically."""
    from jumps_pl.config import to_container
    from jumps_pl.upsampler import Upsampler

    size, video_fps = args.size, None
    if args.video:
        from jumps_pl.io.video import video_rate, video_size

        size, video_fps = size or video_size(args.video), video_rate(args.video)
    try:
        upsampler = Upsampler(args.method, fps=args.fps, model=args.model, config=to_container(cfg),
                              latency=args.latency)
    except ValueError as err:  # name the option the user typed
        flag = "--latency" if "latency" in str(err) else "--fps" if "fps" in str(err) else None
        raise ValueError(f"{flag} {getattr(args, flag[2:])}: {err}" if flag else str(err)) from None
    upsampler.upsample_file(args.input, args.out, args.format, args.overwrite, image_size=size,
                            progress=not args.quiet, video_fps=video_fps)
    return 0


def calibrate(cfg: DictConfig, args: argparse.Namespace) -> int:
    from jumps_pl.config import to_container
    from jumps_pl.evaluation.calibration import run
    from jumps_pl.files import check_output
    from jumps_pl.methods import check_name

    config = to_container(cfg)
    names = [check_name(n.strip(), "--methods") for n in args.methods.split(",")] if args.methods else \
        list(config["evaluate"]["rows"])
    for number, what in ((args.windows, "--windows"), (args.check_windows, "--check-windows")):
        if number is not None and number < 1:
            raise ValueError(f"{what} must be >= 1, got {number}")
    from jumps_pl.schema import EVAL_SPLITS

    if args.check and args.check not in EVAL_SPLITS:
        raise ValueError(f"--check {args.check!r}: allowed {', '.join(EVAL_SPLITS)}")
    for path in (args.out, args.plot, *((f"{args.report}.md", f"{args.report}.json") if args.report else ())):
        if path:
            check_output(path, args.overwrite)
    run(config, names, args.out, args.split, args.windows, args.check, args.check_windows, args.report, args.plot)
    return 0


def list_methods() -> int:
    from jumps_pl.methods import DEFAULT_METHOD, REGISTRY

    width = max(len(name) for name in REGISTRY)
    for name, cls in REGISTRY.items():
        needs = ", ".join(f"models.{m}" for m in cls.models) or "no model"
        default = "  [default]" if name == DEFAULT_METHOD else ""
        print(f"{name:<{width}}  {cls.summary} ({needs}){default}")
    return 0


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


def train_baseline(cfg: DictConfig, args: argparse.Namespace) -> int:
    from jumps_pl.config import to_container
    from jumps_pl.loggers import wandb_logged_in
    from jumps_pl.train_baseline import train_baseline as fit

    folder = fit(args.name, to_container(cfg), wandb_online=wandb_logged_in())
    print(f"model folder: {folder}")
    return 0


def export(args: argparse.Namespace) -> int:
    from jumps_pl.files import check_output
    from jumps_pl.methods.jumps import load_jumps
    from jumps_pl.model_folders import write_model_folder

    check_output(args.out, args.overwrite)
    model, config = load_jumps(args.ckpt)
    write_model_folder(args.out, config, "jumps", state_dict=model.state_dict(), overwrite=args.overwrite)
    print(f"model folder: {args.out}")
    return 0


def evaluate(cfg: DictConfig, args: argparse.Namespace) -> int:
    """The rows of ``evaluate.rows`` on ``data.split`` (see jumps_pl/evaluation/rows.py)."""
    from jumps_pl.config import to_container
    from jumps_pl.evaluation.evaluate import evaluate_config

    config = to_container(cfg)
    if args.ckpt:
        config["models"]["jumps"] = args.ckpt
    if args.ckpt_no_encoder:
        config["models"]["jumps_no_encoder"] = args.ckpt_no_encoder
    from jumps_pl.files import check_output

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
                        predictions=args.save_predictions, start_wandb=start_wandb if args.wandb else None)
    finally:
        for run in runs:
            run.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
