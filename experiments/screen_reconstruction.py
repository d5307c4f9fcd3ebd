"""A cheap screen of the prior's precision levers: E and G trained on L_Rec alone (no critic, about a
tenth of an adversarial step) for a fixed number of steps, then the reconstruction error on `val` and
`ood-val` in head sizes (mean, and the share under 0.1). docs/experiments.md lists what it measured.

    python experiments/screen_reconstruction.py --steps 1500 --tag D1Z32 model.downsamplings=1 model.latent_channels=32
    OMP_NUM_THREADS=1 python experiments/screen_reconstruction.py ...   # one thread when running several at once

Adam at 5 x model.lr_generator with betas (0.9, 0.99); the encoder sees the same masked windows as in
training. Appends one JSON line per run to --out (default docs/results/ae-screen-val.jsonl).
"""
from __future__ import annotations

import argparse
import json
import time

import torch

from jumps_pl import skeleton
from jumps_pl.config import load_config, to_container
from jumps_pl.data.datamodule import MocapDataModule
from jumps_pl.methods.jumps.model import JumpsGAN, _squared_error, _velocity
from jumps_pl.models.normalization import fit_normalization


def reconstruction_error(model: JumpsGAN, datamodule: MocapDataModule, split: str) -> dict[str, float]:
    """Mean error (head sizes) and PCKh@0.1 of G(E(x)) with all 21 joints given and with the 12 inputs."""
    model.eval()
    errors: dict[str, list[torch.Tensor]] = {"full": [], "input_only": []}
    with torch.no_grad():
        for batch in datamodule.dataloader(split):
            batch = datamodule.to_2d(batch)
            keypoints, head = batch["keypoints_px"], batch["head_size_px"]
            norm = fit_normalization(keypoints)
            x = norm.apply(keypoints)
            low = torch.zeros(x.shape[:3], dtype=torch.bool)
            low[..., torch.as_tensor(skeleton.INPUT_INDICES)] = True
            for name, mask in (("full", None), ("input_only", low)):
                error = (norm.invert(model.reconstruct(x, mask)) - keypoints).norm(dim=-1) / head[..., None]
                errors[name].append(error)
    model.train()
    out = {}
    for name, parts in errors.items():
        error = torch.cat(parts)
        out[name] = round(error.mean().item(), 4)
        out[f"{name}_pckh0.1"] = round((error < 0.1).float().mean().item(), 4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--tag", default="run")
    parser.add_argument("--out", default="docs/results/ae-screen-val.jsonl")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    config = to_container(load_config(overrides=args.overrides))
    torch.manual_seed(config["seed"])
    datamodule = MocapDataModule(**config["data"])
    datamodule.setup()
    model = JumpsGAN(**config["model"])
    params = list(model.generator.parameters()) + list(model.encoder.parameters())
    optimizer = torch.optim.Adam(params, lr=config["model"]["lr_generator"] * 5, betas=(0.9, 0.99))
    weights = config["model"]["loss_weights"]
    started, step = time.time(), 0
    while step < args.steps:
        for batch in datamodule.train_dataloader():
            batch = datamodule.to_2d(batch, augment=True)
            x = fit_normalization(batch["keypoints_px"]).apply(batch["keypoints_px"])
            x_hat = model.reconstruct(x, model._encoder_mask(x))
            loss = (weights["position"] * _squared_error(x_hat, x)
                    + weights["velocity"] * _squared_error(_velocity(x_hat), _velocity(x)))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step >= args.steps:
                break
    result = {"tag": args.tag, "steps": args.steps, "seconds": round(time.time() - started),
              "overrides": args.overrides, "val": reconstruction_error(model, datamodule, "val"),
              "ood-val": reconstruction_error(model, datamodule, "ood-val")}
    print(json.dumps(result))
    with open(args.out, "a") as handle:
        handle.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
