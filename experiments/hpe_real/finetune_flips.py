"""Fine-tune the repair's flip detector on a real detector's own left/right swaps (``hpe-real``).

    python experiments/hpe_real/finetune_flips.py --train data/hpe-real/train.npz \
        data/hpe-real/train-seed1.npz --out experiments/checkpoints/flip-detector-real [--epochs 30] \
        [--real-share 0.5] [--average-from K] [key=value ...]

The flip detector (``models.flip_detector``: null, the shipped one) trains on batches that are
``--real-share`` MediaPipe's detections of rendered training windows, read as `jumps upsample` reads
MediaPipe (score map, joint-centre map) and normalized as the repair normalizes a window, labelled with
the pairs MediaPipe gave exchanged (found against the mocap as `hpe-real` scores them:
``jumps_pl.evaluation.detector_errors.flipped_pairs``); and the rest the training windows with the
repository's simulated failures, as the detector was first trained (``flip_training.FlipDetectorTraining``
with its own settings), so that what it learned of those stays. Real windows are mirrored with
probability one half (a swapped pair stays swapped).

After each epoch (a pass over the real windows) the detector is scored on ``hpe-real``'s ``val``
windows: the binary cross-entropy of its per-pair logits against MediaPipe's swaps, the share of swapped
entries it finds and of the others it calls swapped. The model folder of the epoch with the lowest
val loss (with ``--average-from K``: the weights averaged over the ends of epochs K and later) is kept;
with ``--blend A`` the weights written are A x those plus (1 - A) x the starting detector's (the two
interpolated: what was learned of the simulated failures weighs in again). The model folder is written
to ``--out``, with a log of every epoch. The shipped detector is ``--epochs 30 --blend 0.5`` (best epoch
16; 14-17 minutes of one thread on a loaded 2-core CPU) from the detector trained on simulated failures
alone, which is the shipped one of commit 63c3f0c: to make it again, start from that one
(``git show 63c3f0c:jumps_pl/pretrained/flip-detector/weights.pt`` and ``config.yaml`` into a folder, then
``models.flip_detector=FOLDER``).
"""
from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np
import torch
from corpus import (
    batch_split,
    config_and_corpus,
    finetune_parser,
    parse_finetune_args,
    simulated_batches,
)
from finetune_encoder import read_windows
from torch.nn import functional
from torch.optim.swa_utils import AveragedModel

from jumps_pl import skeleton
from jumps_pl.evaluation.detector_errors import flipped_pairs
from jumps_pl.methods.jumps.flip_training import FlipDetectorTraining
from jumps_pl.methods.jumps.latent_opt import _mirrored
from jumps_pl.model_folders import load_state_dict, model_path, read_model_config, write_model_folder
from jumps_pl.models.normalization import fit_normalization

MIRROR = torch.as_tensor(skeleton.MIRROR_PERMUTATION)


def labelled_windows(keypoints: np.ndarray, mask: np.ndarray, target: np.ndarray, head: np.ndarray
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The detector's input (normalized, 0 where missing), its presence, and the swapped pairs (W, T, 6).

    Windows without a frame where both hips and both shoulders were detected are left out (the repair
    has nothing to normalize them by).
    """
    swapped = flipped_pairs(keypoints, target, head, mask)
    usable = mask[..., list(skeleton.TORSO_JOINTS)].all(-1).any(-1)
    keypoints, present, swapped = (torch.as_tensor(a[usable]) for a in (keypoints, mask, swapped))
    norm = fit_normalization(keypoints, present)
    x = torch.where(present[..., None], norm.apply(keypoints), torch.zeros_like(keypoints))
    return x, present.float(), swapped


def scored(net: torch.nn.Module, x: torch.Tensor, present: torch.Tensor, swapped: torch.Tensor) -> dict[str, float]:
    """Binary cross-entropy, swapped entries found, and other entries called swapped, on given pairs."""
    with torch.inference_mode():
        logits = torch.cat([net(x[i:i + 64], present[i:i + 64]) for i in range(0, len(x), 64)])
    both = torch.stack([(present[..., a] > 0) & (present[..., b] > 0) for a, b in skeleton.INPUT_PAIRS], -1)
    loss = functional.binary_cross_entropy_with_logits(logits[both], swapped[both].float())
    called = logits > 0
    return {"loss": float(loss), "found": float(called[swapped & both].float().mean()),
            "false": float(called[~swapped & both].float().mean())}


def main() -> None:
    parser = finetune_parser(__doc__.splitlines()[0], epochs=30, weights="the weights")
    parser.add_argument("--blend", type=float, default=1.0,
                        help="write this share of the fine-tuned weights plus the rest of the starting detector's")
    args, rng = parse_finetune_args(parser)
    config, datamodule = config_and_corpus(args.settings)
    reading = config["upsample"]
    started = time.perf_counter()

    train, val = read_windows(datamodule, reading, args.train)
    real, val = labelled_windows(*train), labelled_windows(*val)
    print(f"{len(real[0])} real training windows ({float(real[2].float().mean()):.4f} of pair entries swapped), "
          f"{len(val[0])} val windows ({float(val[2].float().mean()):.4f}) ({time.perf_counter() - started:.0f} s)",
          flush=True)

    folder = model_path(config["models"], "flip_detector")
    shipped = read_model_config(folder, "flip-detector")
    settings = shipped["baselines"]["flip_detector"]
    if settings.get("reconstruction"):
        raise SystemExit(f"{folder}: a detector that reads the prior's reconstruction is not handled here")
    module = FlipDetectorTraining(**settings)
    module.load_state_dict(load_state_dict(folder))
    optimizer = torch.optim.Adam(module.net.parameters(), lr=args.lr)
    n_real, n_sim, steps = batch_split(args, len(real[0]))
    sims = simulated_batches(datamodule, n_sim)

    module.eval()
    best = (scored(module.net, *val), -1)
    print(f"epoch -1 (as loaded): val {best[0]}", flush=True)
    best_state = copy.deepcopy(module.state_dict())
    log = [f"epoch -1: val {best[0]}"]
    averaged = None
    for epoch in range(args.epochs):
        module.train()
        order = torch.randperm(len(real[0]), generator=rng)
        totals = []
        for step in range(steps):
            loss = torch.zeros(())
            if n_real:
                rows = order[step * n_real:(step + 1) * n_real]
                x, present, swapped = real[0][rows], real[1][rows], real[2][rows]
                flip = (torch.rand(len(x), generator=rng) < 0.5).view(-1, 1, 1)
                x = torch.where(flip[..., None], _mirrored(x), x)
                present = torch.where(flip, present[:, :, MIRROR], present)
                logits = module.net(x, present)
                loss = loss + args.real_share * functional.binary_cross_entropy_with_logits(logits, swapped.float())
            if n_sim:
                loss = loss + (1 - args.real_share) * module._loss({"keypoints_px": next(sims)}, None)["loss"]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            totals.append(float(loss.detach()))
        module.eval()
        now = scored(module.net, *val)
        line = (f"epoch {epoch}: loss {np.mean(totals):.4f}, val loss {now['loss']:.4f} found {now['found']:.3f} "
                f"false {now['false']:.4f} ({time.perf_counter() - started:.0f} s)")
        print(line, flush=True)
        log.append(line)
        if args.average_from is not None and epoch >= args.average_from:  # the running mean of the weights
            if averaged is None:
                averaged = AveragedModel(module, use_buffers=True)
            averaged.update_parameters(module)
        elif now["loss"] < best[0]["loss"]:
            best, best_state = (now, epoch), copy.deepcopy(module.state_dict())
    if averaged is not None:
        mean = averaged.module.state_dict()
        module.load_state_dict(mean)
        module.eval()
        best, best_state = (scored(module.net, *val), f"mean of {args.average_from}-{args.epochs - 1}"), mean
        log.append(f"averaged over epochs {args.average_from}-{args.epochs - 1}: val {best[0]}")
    if args.blend != 1.0:
        start = load_state_dict(folder)
        best_state = {k: args.blend * v + (1 - args.blend) * start[k] if v.is_floating_point() else v
                      for k, v in best_state.items()}
        module.load_state_dict(best_state)
        module.eval()
        log.append(f"blended, {args.blend} x epoch {best[1]} + {1 - args.blend} x the starting detector: "
                   f"val {scored(module.net, *val)}")
    out_config = {**{k: v for k, v in shipped.items() if k != "kind"},
                  "finetune_real": {"train": args.train, "epochs": args.epochs, "best_epoch": best[1],
                                    "real_share": args.real_share, "lr": args.lr, "batch": args.batch,
                                    "average_from": args.average_from, "blend": args.blend, "seed": args.seed,
                                    "from": config["models"]["flip_detector"] or "flip-detector",
                                    "script": "experiments/hpe_real/finetune_flips.py",
                                    "minutes": round((time.perf_counter() - started) / 60, 1)}}
    write_model_folder(args.out, out_config, "flip-detector", best_state)
    Path(args.out, "finetune.log").write_text("\n".join(log) + "\n")
    print(f"wrote {args.out}: epoch {best[1]} (val {best[0]})", flush=True)


if __name__ == "__main__":
    main()
