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
    commands = parser.add_subparsers(dest="command", required=True)
    stats = commands.add_parser("data-stats", help="clips, frames and windows per split")
    _add_config_arguments(stats)
    train_parser = commands.add_parser("train", help="train the AE-WGAN (checkpoints and logs under train.run_dir)")
    _add_config_arguments(train_parser)
    baseline_parser = commands.add_parser("train-baseline", help="fit a baseline on the training split "
                                          "(model folder under train.run_dir)")
    baseline_parser.add_argument("name", choices=("ridge", "masked-conv-ae"))
    _add_config_arguments(baseline_parser)
    export_parser = commands.add_parser("export", help="a JUMPS checkpoint as a model folder (weights.pt + config)")
    export_parser.add_argument("ckpt", help="Lightning checkpoint (e.g. runs/NAME/checkpoints/last.ckpt)")
    export_parser.add_argument("--out", required=True, help="model folder to write (e.g. models/my-model)")
    upsample_parser = commands.add_parser("upsample", help="21 joints from a pose estimator's output "
                                          "(AlphaPose, COCO, OpenPose, MediaPipe, .npy, .csv)")
    upsample_parser.add_argument("input", help="pose file, or an OpenPose folder of per-frame JSON files")
    upsample_parser.add_argument("--out", required=True,
                                 help=".json (the input's convention + 21 joints), .npz, .csv, or a folder (OpenPose)")
    upsample_parser.add_argument("--format", choices=("alphapose", "coco", "openpose", "mediapipe", "npy", "csv"),
                                 help="input format (default: from the suffix and content)")
    upsample_parser.add_argument("--fps", type=float, help="the input's frame rate (default: the file's, else "
                                 "upsample.fps, else 30)")
    upsample_parser.add_argument("--model", help="model folder or checkpoint (upsample.model; default: the shipped "
                                 "models/jumps-default)")
    upsample_parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    upsample_parser.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_config_arguments(upsample_parser)
    render_parser = commands.add_parser("render", help="draw input and upsampled skeletons to a GIF or MP4")
    render_parser.add_argument("input", help="what `jumps upsample` wrote (.npz or .json)")
    render_parser.add_argument("--out", required=True, help="FILE.gif or FILE.mp4")
    render_parser.add_argument("--video", help="the source video: draw over its frames (default: a blank canvas)")
    render_parser.add_argument("--fps", type=float, help="playback rate (default: the input's, else the video's)")
    render_parser.add_argument("--width", type=int, help="output width in pixels (default: 480 for GIF, the "
                               "video's for MP4)")
    render_parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    evaluate_parser = commands.add_parser("evaluate", help="the protocol's three tasks, a row per method: "
                                          "Markdown table and JSON")
    evaluate_parser.add_argument("--ckpt", help="JUMPS model folder or checkpoint (evaluate.model; default: the "
                                 "shipped models/jumps-default)")
    evaluate_parser.add_argument("--ckpt-no-encoder", help="model trained with model.use_encoder=false "
                                 "(evaluate.model_no_encoder; default: models/jumps-no-encoder)")
    evaluate_parser.add_argument("--out", default="evaluation.json", help="JSON results (default: %(default)s)")
    evaluate_parser.add_argument("--table", metavar="FILE.md", help="also write the Markdown tables here")
    evaluate_parser.add_argument("--plot", metavar="FILE.png", help="PCKh against threshold, upsampling, added joints")
    evaluate_parser.add_argument("--render", metavar="FILE.png",
                                 help="one example window (evaluate.example): input, JUMPS, ground truth")
    evaluate_parser.add_argument("--wandb", action="store_true",
                                 help="log the results to wandb (logging.project; offline without an account)")
    evaluate_parser.add_argument("--save-predictions", metavar="FILE.npz",
                                 help="predictions, ground truth, head sizes and masks per task and row")
    _add_config_arguments(evaluate_parser)
    sweep_parser = commands.add_parser("sweep", help="run a wandb sweep file's grid locally, one table")
    sweep_parser.add_argument("file", help="wandb sweep YAML (e.g. experiments/sweeps/ablations.yaml)")
    sweep_parser.add_argument("--out", default="sweep.json", help="results JSON; the table goes beside it as .md")
    _add_config_arguments(sweep_parser)
    args, extra = parser.parse_known_args(argv)
    # key=value settings may also follow options (`jumps sweep FILE --out X key=value`)
    if extra and (not hasattr(args, "settings") or any(e.startswith("-") or "=" not in e for e in extra)):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:
        args.settings = [*args.settings, *extra]
    try:
        if args.command == "export":
            return export(args)
        if args.command == "render":
            from jumps_pl.io.video import render

            print(f"rendered: {render(args.input, args.out, args.video, args.fps, args.width, args.overwrite)}")
            return 0
        if args.command == "sweep":
            from jumps_pl.evaluation.sweep import run_sweep

            run_sweep(args.file, list(args.settings), args.out)
            return 0
        cfg = _config_from(args)
        if args.command == "evaluate":
            return evaluate(cfg, args)
        if args.command == "upsample":
            return upsample(cfg, args)
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
    return load_config(config_path, settings)


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
    from jumps_pl.train import run_training, wandb_logged_in

    config = to_container(cfg)
    # DDP starts the other ranks by running this command again: they must use rank 0's run folder,
    # whose name holds a timestamp.
    config["train"]["run_dir"] = os.environ.setdefault("JUMPS_RUN_DIR", config["train"]["run_dir"])
    config["logging"]["name"] = os.environ.setdefault("JUMPS_RUN_NAME", config["logging"]["name"])
    run_dir = run_training(config, wandb_online=wandb_logged_in())
    print(f"run folder: {run_dir}")
    return 0


def upsample(cfg: DictConfig, args: argparse.Namespace) -> int:
    """Read, upsample every track, write; the output is checked first and written atomically."""
    from pathlib import Path

    from tqdm import tqdm

    from jumps_pl.config import to_container
    from jumps_pl.inference.latent_opt import LatentOptimizer
    from jumps_pl.inference.loading import default_model_path, load_model
    from jumps_pl.inference.postprocess import upsample_track, windows_for
    from jumps_pl.io.formats import read_poses
    from jumps_pl.io.writers import check_output, output_kind, write_output

    config = to_container(cfg)
    settings = config["upsample"]
    out = Path(args.out)
    check_output(out, args.overwrite)
    pose_file = read_poses(args.input, args.format)
    output_kind(out, pose_file)
    model, model_config = load_model(args.model or settings["model"] or default_model_path())
    model_fps = float(model_config.get("data", {}).get("fps", 30.0))
    fps = args.fps or pose_file.fps or settings["fps"] or model_fps
    if not fps > 0:
        raise ValueError(f"--fps must be positive, got {fps}")
    optimizer = LatentOptimizer(model, **config["infer"])
    tracks = [t for t in pose_file.tracks if len(t.frames)]
    frames = sum(int(t.frames[-1] - t.frames[0] + 1) for t in tracks)
    print(f"{args.input}: {pose_file.format}, {len(tracks)} track(s), {frames} frames at {fps:g} fps "
          f"(model: {model_fps:g} fps)", file=sys.stderr)
    total = sum(windows_for(int(t.frames[-1] - t.frames[0] + 1), fps, model_fps, model.hparams.window,
                            config["infer"]["overlap"]) for t in tracks)
    bar = tqdm(total=total, unit="window", disable=args.quiet or total <= config["infer"]["batch_windows"],
               file=sys.stderr)
    results, skipped = [], []
    started = time.perf_counter()
    for track in tracks:
        try:
            results.append(upsample_track(optimizer, track, fps, model_fps, settings["min_confidence"], bar.update))
        except ValueError as err:
            skipped.append(str(err))
    bar.close()
    for message in skipped:
        print(f"skipped: {message}", file=sys.stderr)
    if not results:
        raise ValueError(f"{args.input}: no track could be upsampled")
    write_output(pose_file, results, out, fps, overwrite=args.overwrite)
    print(f"wrote {out}: {len(results)} track(s) in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


def train_baseline(cfg: DictConfig, args: argparse.Namespace) -> int:
    from jumps_pl.baselines.train import train_baseline as fit
    from jumps_pl.config import to_container
    from jumps_pl.train import wandb_logged_in

    folder = fit(args.name, to_container(cfg), wandb_online=wandb_logged_in())
    print(f"model folder: {folder}")
    return 0


def export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from jumps_pl.inference.loading import export_model, load_model

    if Path(args.out).exists() and any(Path(args.out).iterdir()):
        raise FileExistsError(f"{args.out} exists and is not empty; choose another --out")
    model, config = load_model(args.ckpt)
    export_model(model, config, "jumps", args.out)
    print(f"model folder: {args.out}")
    return 0


def evaluate(cfg: DictConfig, args: argparse.Namespace) -> int:
    """The rows of ``evaluate.rows`` on ``data.split`` (see jumps_pl/evaluation/rows.py)."""
    from jumps_pl.config import to_container
    from jumps_pl.evaluation.evaluate import evaluate_config

    config = to_container(cfg)
    if args.ckpt:
        config["evaluate"]["model"] = args.ckpt
    if args.ckpt_no_encoder:
        config["evaluate"]["model_no_encoder"] = args.ckpt_no_encoder
    run = None
    if args.wandb:
        import wandb

        from jumps_pl.train import wandb_logged_in

        run = wandb.init(project=config["logging"]["project"], config=config, job_type="evaluate",
                         mode=None if wandb_logged_in() else "offline")
    try:
        evaluate_config(config, out=args.out, table=args.table, plot=args.plot, render=args.render,
                        predictions=args.save_predictions, wandb_run=run)
    finally:
        if run is not None:
            run.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
