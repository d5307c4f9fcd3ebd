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
    evaluate_parser = commands.add_parser("evaluate", help="the protocol's three tasks: Markdown table and JSON")
    evaluate_parser.add_argument("--ckpt", required=True, help="checkpoint of the JUMPS model")
    evaluate_parser.add_argument("--ckpt-no-encoder", help="checkpoint trained with model.use_encoder=false")
    evaluate_parser.add_argument("--out", default="evaluation.json", help="JSON results (default: %(default)s)")
    evaluate_parser.add_argument("--save-predictions", metavar="FILE.npz",
                                 help="predictions, ground truth, head sizes and masks per task and row")
    _add_config_arguments(evaluate_parser)
    args = parser.parse_args(argv)
    try:
        cfg = _config_from(args)
        if args.command == "evaluate":
            return evaluate(cfg, args)
        return {"data-stats": data_stats, "train": train}[args.command](cfg)
    except (ConfigError, CorpusError, BvhError, DivergenceError, FileNotFoundError, ValueError) as err:
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


def evaluate(cfg: DictConfig, args: argparse.Namespace) -> int:
    """Rows JUMPS, JUMPS without alignment (and without encoder, given its checkpoint) on ``data.split``."""
    import torch

    from jumps_pl.config import to_container
    from jumps_pl.data.datamodule import MocapDataModule
    from jumps_pl.evaluation.evaluate import markdown_table, run_evaluation, save_json, save_npz
    from jumps_pl.inference.latent_opt import LatentOptimizer
    from jumps_pl.inference.loading import load_model

    config = to_container(cfg)
    infer = config["infer"]
    model, _ = load_model(args.ckpt)
    optimizers = {"JUMPS": LatentOptimizer(model, **infer),
                  "JUMPS w/o alignment": LatentOptimizer(model, **{**infer, "align": False})}
    if args.ckpt_no_encoder:
        no_encoder, _ = load_model(args.ckpt_no_encoder)
        if no_encoder.encoder is not None:
            raise ValueError(f"{args.ckpt_no_encoder} has an encoder; train it with model.use_encoder=false")
        optimizers["JUMPS w/o encoder"] = LatentOptimizer(no_encoder, **infer)
    datamodule = MocapDataModule(**config["data"])
    datamodule.setup()
    batches = [datamodule.to_2d(b) for b in datamodule.dataloader(config["data"]["split"])]
    target = torch.cat([b["keypoints_px"] for b in batches]).numpy()
    head = torch.cat([b["head_size_px"] for b in batches]).numpy()

    def method(optimizer: LatentOptimizer):
        def run(given):
            as_tensor = (torch.as_tensor(a) for a in (given.keypoints_px, given.mask, given.confidence))
            return optimizer.optimize_windows(*as_tensor)[0].numpy()
        return run

    print(f"evaluating {len(target)} windows of {config['data']['split']} under {config['data']['root']}",
          file=sys.stderr)
    results, arrays = run_evaluation({name: method(opt) for name, opt in optimizers.items()}, target, head,
                                     seed=config["seed"], progress=lambda s: print(f"  {s}", file=sys.stderr))
    print(markdown_table(results))
    save_json(args.out, results)
    print(f"results: {args.out}", file=sys.stderr)
    if args.save_predictions:
        save_npz(args.save_predictions, arrays)
        print(f"predictions: {args.save_predictions}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
