"""Fine-tune ``masked-conv-ae`` on real detections of rendered training windows (``hpe-real``).

    python experiments/hpe_real/finetune_infill.py --train data/hpe-real/train.npz \
        data/hpe-real/train-seed1.npz data/hpe-real/train-seed2.npz \
        --out experiments/checkpoints/masked-conv-ae-real [--epochs 24] [--real-share 0.5] \
        [--blend-out experiments/checkpoints/masked-conv-ae-noisy --blend 0.5] [key=value ...]

The baseline gets what the default's encoder and flip detector learn from: the same windows, read the
same way. The U-Net (``models.masked_conv_ae``: null, the shipped one) trains on batches that are
``--real-share`` MediaPipe's detections of rendered training windows, read as `jumps upsample` reads
MediaPipe (score map, joint-centre map; the entries below ``upsample.min_confidence`` missing) and
normalized as the network normalizes a window, with the mocap of the same window as the target; and the
rest the training windows under its own training masking and noise (``baselines.masked_conv_ae``), so
that what it learned of exact input and of the simulated detector stays. Real windows are mirrored with
probability one half. The loss is its own: squared position error plus ``velocity_weight`` times that
of the velocities.

After each epoch (a pass over the real windows) the network's reading of ``hpe-real``'s ``val`` windows is
scored (AUC of PCKh of the added and of the input joints; the added joints as the network gives them, before
the landmark map `jumps upsample` then blends the head, neck and torso with, so the choice rests mostly on
joints that map moves). The model folder of the epoch with the best added AUC (with ``--average-from K``: the
weights averaged over the ends of epochs K and later) is written to ``--out`` with a log of every epoch; with
``--blend-out``, a second folder holds ``--blend`` x those weights plus the rest of the starting network's
(the two interpolated: what was learned of exact input and of the simulated detector weighs in again). `jumps
onnx` then exports them.

The shipped ``masked-conv-ae-real`` (the ``masked-conv-ae (real)`` row) is ``--epochs 24`` on the three
files above (best epoch 11; 16 minutes of one thread), and ``masked-conv-ae-noisy`` (the default's infill
net for noisy windows, ``models.masked_conv_ae_noisy``) its ``--blend 0.5``.
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
from finetune_encoder import mirrored, normalized_pairs, read_windows
from torch.optim.swa_utils import AveragedModel

from jumps_pl import skeleton
from jumps_pl.methods.masked_conv_ae.method import load_masked_conv_ae
from jumps_pl.methods.masked_conv_ae.model import MaskedConvAE
from jumps_pl.methods.masked_conv_ae.networks import predict_px
from jumps_pl.metrics import pckh_auc
from jumps_pl.model_folders import model_path, read_model_config, write_model_folder
from jumps_pl.models.normalization import fit_normalization


def reading_auc(net, keypoints: np.ndarray, mask: np.ndarray, target: np.ndarray, head: np.ndarray
                ) -> tuple[float, float]:
    """AUC of PCKh of the network's added and input joints on windows given in px."""
    with torch.inference_mode():
        out = torch.cat([predict_px(net, torch.as_tensor(keypoints[i:i + 64]), torch.as_tensor(mask[i:i + 64]))
                         for i in range(0, len(keypoints), 64)])
    aucs = []
    for joints in (skeleton.ADDED_INDICES, skeleton.INPUT_INDICES):
        scored = torch.zeros(out.shape[:3], dtype=torch.bool)
        scored[..., list(joints)] = True
        aucs.append(float(pckh_auc(out.double(), torch.as_tensor(target).double(), torch.as_tensor(head).double(),
                                   scored)))
    return aucs[0], aucs[1]


def main() -> None:
    parser = finetune_parser(__doc__.splitlines()[0], epochs=24, weights="the network's weights")
    parser.add_argument("--blend-out", help="a second model folder to write, with the blended weights")
    parser.add_argument("--blend", type=float, default=0.5,
                        help="--blend-out's share of the fine-tuned weights; the rest is the starting network's")
    args, rng = parse_finetune_args(parser)
    config, datamodule = config_and_corpus(args.settings)
    reading = config["upsample"]
    started = time.perf_counter()

    (keypoints, mask, target, _), (val_keypoints, val_mask, val_target, val_head) = read_windows(
        datamodule, reading, args.train)
    real = normalized_pairs(keypoints, mask, target)
    print(f"{len(real[0])} real training windows, {len(val_keypoints)} val windows "
          f"({time.perf_counter() - started:.0f} s)", flush=True)

    folder = model_path(config["models"], "masked_conv_ae")
    model_config = read_model_config(folder, "masked-conv-ae")
    model = MaskedConvAE(**model_config["baselines"]["masked_conv_ae"])
    model.load_state_dict(load_masked_conv_ae(folder).state_dict())
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    velocity_weight = float(model.hparams.velocity_weight)
    n_real, n_sim, steps = batch_split(args, len(real[0]))
    sims = simulated_batches(datamodule, n_sim)

    def simulated(keypoints_px: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Training windows masked and made noisy as the network was first trained (``MaskedConvAE._loss``)."""
        target = fit_normalization(keypoints_px).apply(keypoints_px)
        m = model._training_mask(target.shape[:3], target.device)
        noisy = torch.rand(len(target), 1, 1, 1) < model.hparams.noise_prob
        sigma = torch.rand(len(target), 1, 1, 1) * model.hparams.noise_max
        return target + noisy * sigma * torch.randn_like(target), m, target

    model.eval()
    best = (reading_auc(model.net, val_keypoints, val_mask, val_target, val_head), -1)
    print(f"epoch -1 (as loaded): val hpe-real added / input AUC {best[0][0]:.4f} / {best[0][1]:.4f}", flush=True)
    best_state = copy.deepcopy(model.state_dict())
    log = [f"epoch -1: val added / input {best[0][0]:.4f} / {best[0][1]:.4f}"]
    averaged = None
    model.train()
    for epoch in range(args.epochs):
        order = torch.randperm(len(real[0]), generator=rng)
        totals = []
        for step in range(steps):
            terms = []
            if n_real:
                rows = order[step * n_real:(step + 1) * n_real]
                terms.append(mirrored(real[0][rows], real[1][rows], real[2][rows], rng))
            if n_sim:
                terms.append(simulated(next(sims)))
            x, m, target = (torch.cat([t[i] for t in terms]) for i in range(3))
            pred = model.net(torch.where(m[..., None], x, torch.zeros_like(x)), m)
            position = (pred - target).pow(2).sum((-2, -1)).mean()
            velocity = ((pred[:, 1:] - pred[:, :-1]) - (target[:, 1:] - target[:, :-1])).pow(2).sum((-2, -1)).mean()
            loss = position + velocity_weight * velocity
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            totals.append(float(loss.detach()))
        model.eval()
        auc = reading_auc(model.net, val_keypoints, val_mask, val_target, val_head)
        model.train()
        line = (f"epoch {epoch}: loss {np.mean(totals):.4f}, val added / input {auc[0]:.4f} / {auc[1]:.4f} "
                f"({time.perf_counter() - started:.0f} s)")
        print(line, flush=True)
        log.append(line)
        if args.average_from is not None and epoch >= args.average_from:  # the running mean of the weights
            if averaged is None:
                averaged = AveragedModel(model, use_buffers=True)
            averaged.update_parameters(model)
        elif auc[0] > best[0][0]:
            best, best_state = (auc, epoch), copy.deepcopy(model.state_dict())
    if args.average_from is not None:
        best_state = averaged.module.state_dict()
        model.load_state_dict(best_state)
        model.eval()
        best = (reading_auc(model.net, val_keypoints, val_mask, val_target, val_head),
                f"mean of {args.average_from}-{args.epochs - 1}")
        log.append(f"averaged over epochs {args.average_from}-{args.epochs - 1}: "
                   f"val added / input {best[0][0]:.4f} / {best[0][1]:.4f}")
    recipe = {"train": args.train, "epochs": args.epochs, "best_epoch": best[1], "real_share": args.real_share,
              "lr": args.lr, "batch": args.batch, "average_from": args.average_from, "seed": args.seed,
              "from": config["models"]["masked_conv_ae"] or "masked-conv-ae",
              "script": "experiments/hpe_real/finetune_infill.py",
              "minutes": round((time.perf_counter() - started) / 60, 1)}
    out_config = {**{k: v for k, v in model_config.items() if k != "kind"}, "finetune_real": recipe}
    write_model_folder(args.out, out_config, "masked-conv-ae", best_state)
    Path(args.out, "finetune.log").write_text("\n".join(log) + "\n")
    print(f"wrote {args.out}: epoch {best[1]} (val added / input {best[0][0]:.4f} / {best[0][1]:.4f})", flush=True)
    if args.blend_out:
        start = load_masked_conv_ae(folder).state_dict()
        blended = {k: args.blend * v + (1 - args.blend) * start[k] if v.is_floating_point() else v
                   for k, v in best_state.items()}
        model.load_state_dict(blended)
        model.eval()
        auc = reading_auc(model.net, val_keypoints, val_mask, val_target, val_head)
        write_model_folder(args.blend_out, {**out_config, "finetune_real": {**recipe, "blend": args.blend}},
                           "masked-conv-ae", blended)
        print(f"wrote {args.blend_out}: {args.blend} x those weights + {1 - args.blend} x the starting ones "
              f"(val added / input {auc[0]:.4f} / {auc[1]:.4f})", flush=True)


if __name__ == "__main__":
    main()
