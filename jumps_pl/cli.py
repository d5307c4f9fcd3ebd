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
    evaluate_parser.add_argument("--save-predictions", metavar="FILE.npz",
                                 help="predictions, ground truth, head sizes and masks per task and row")
    _add_config_arguments(evaluate_parser)
    args = parser.parse_args(argv)
    try:
        if args.command == "export":
            return export(args)
        cfg = _config_from(args)
        if args.command == "evaluate":
            return evaluate(cfg, args)
        if args.command == "train-baseline":
            return train_baseline(cfg, args)
        return {"data-stats": data_stats, "train": train}[args.command](cfg)
    except (ConfigError, CorpusError, BvhError, DivergenceError, FileNotFoundError, FileExistsError, ValueError) as err:
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
    evaluate_config(config, out=args.out, table=args.table, plot=args.plot, render=args.render,
                    predictions=args.save_predictions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
