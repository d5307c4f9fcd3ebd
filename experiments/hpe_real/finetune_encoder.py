"""Fine-tune a JUMPS prior's encoder on real detections of rendered training windows (``hpe-real``).

    python experiments/hpe_real/finetune_encoder.py --train data/hpe-real/train.npz \
        data/hpe-real/train-seed1.npz --out experiments/checkpoints/encoder-real [--epochs 12] \
        [--real-share 0.5] [key=value ...]

The encoder alone trains (G and D frozen: the prior G(z) stays as it was), from ``models.jumps``, on
batches that are ``--real-share`` MediaPipe's detections of rendered training windows, read as
`jumps upsample` reads MediaPipe (score map, joint-centre map) and normalized as the default's encoder
normalizes a detector's window, with the mocap of the same window as the target; and the rest the
prior's own training windows under its own masking and corruption (``model.encoder_masking``,
``model.encoder_corruption``), so that what the encoder learned of the simulated detector and of exact
input stays. Real windows are mirrored with probability one half. The losses are the prior's:
L_Rec (position and velocity) and L_Rec_backward, at ``model.loss_weights``.

After each epoch (a pass over the real windows) the encoder's plain reading G(E(x)) of ``hpe-real`` on ``val``
is scored (AUC of PCKh of the added joints, before the landmark map `jumps upsample` then blends the head,
neck and torso with, so the choice rests mostly on joints that map moves); the model folder of the best epoch
(with ``--average-from K``: the weights averaged over the ends of epochs K and later) is written to ``--out``
(``config.yaml`` and ``weights.pt``, as `jumps train` writes one), with a log of every epoch. The shipped
``jumps-noisy`` is ``--epochs 40`` (best epoch 35, 6 minutes of one thread); `jumps onnx` then exports it.
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
    pooled_detections,
    simulated_batches,
    train_truth,
)
from torch.optim.swa_utils import AveragedModel

from jumps_pl import skeleton
from jumps_pl.evaluation.real_detector import real_task, shipped_for, split_truth
from jumps_pl.joint_centres import load_centre_maps
from jumps_pl.methods.jumps.method import load_jumps
from jumps_pl.methods.jumps.model import JumpsGAN, _squared_error, _velocity
from jumps_pl.metrics import pckh_auc
from jumps_pl.model_folders import model_path, write_model_folder
from jumps_pl.models.normalization import fit_normalization
from jumps_pl.scores import load_score_maps

MIRROR = torch.as_tensor(skeleton.MIRROR_PERMUTATION)


def read_detections(detections: dict, reading: dict) -> tuple[np.ndarray, np.ndarray]:
    """A detection file's windows as the default reads them: keypoints (W, T, 21, 2) px and mask."""
    score_map = load_score_maps().get("mediapipe") if reading["scores"] == "calibrated" else None
    centre_map = load_centre_maps().get("mediapipe") if reading["joint_centres"] else None
    task = real_task(detections, reading["min_confidence"], "read", score_map, centre_map)
    return task.keypoints_px, task.mask


def read_windows(datamodule, reading: dict, paths: list[str]) -> tuple[tuple, tuple]:
    """The rendered training windows' detections (pooled from ``paths``) and ``hpe-real`` val's, read as the
    default reads MediaPipe: (keypoints px, mask, mocap target px, head sizes px) for each."""
    train = pooled_detections(paths)
    val = shipped_for(datamodule, "val")
    return ((*read_detections(train, reading), *train_truth(datamodule, train)),
            (*read_detections(val, reading), *split_truth(datamodule, "val")))


def normalized_pairs(keypoints: np.ndarray, mask: np.ndarray, target: np.ndarray
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The encoder's input (0 where missing), its mask and the target, in the detection's normalization.

    Windows without a frame where both hips and both shoulders were detected are left out (nothing to
    normalize them by).
    """
    torso = list(skeleton.HIP_JOINTS) + list(skeleton.SHOULDER_JOINTS)
    usable = mask[..., torso].all(-1).any(-1)
    keypoints, mask, target = (torch.as_tensor(a[usable]) for a in (keypoints, mask, target))
    norm = fit_normalization(keypoints, mask)
    x = torch.where(mask[..., None], norm.apply(keypoints), torch.zeros_like(keypoints))
    return x, mask, norm.apply(target.float())


def mirrored(x: torch.Tensor, mask: torch.Tensor, target: torch.Tensor, rng: torch.Generator):
    """Half the windows mirrored (x -> -x, left and right exchanged), in normalized units."""
    flip = torch.rand(len(x), generator=rng) < 0.5
    sign = torch.tensor([-1.0, 1.0])

    def mirror(a: torch.Tensor, coords: bool) -> torch.Tensor:
        m = a[:, :, MIRROR]
        m = m * sign if coords else m
        shape = (-1,) + (1,) * (a.dim() - 1)
        return torch.where(flip.view(shape), m, a)
    return mirror(x, True), mirror(mask, False), mirror(target, True)


def plain_added_auc(model, x, mask, keypoints, target, head) -> float:
    """AUC of PCKh of the added joints of G(E(x)), in pixels: ``keypoints`` (px) give the normalization."""
    norm = fit_normalization(keypoints, mask)
    with torch.inference_mode():
        out = torch.cat([model.generator(model.encoder(x[i:i + 64], mask[i:i + 64])) for i in range(0, len(x), 64)])
    out = norm.invert(out)
    scored = torch.zeros(out.shape[:3], dtype=torch.bool)
    scored[..., list(skeleton.ADDED_INDICES)] = True
    return float(pckh_auc(out.double(), torch.as_tensor(target).double(), torch.as_tensor(head).double(), scored))


def main() -> None:
    parser = finetune_parser(__doc__.splitlines()[0], epochs=12, weights="the encoder's weights")
    args, rng = parse_finetune_args(parser)
    config, datamodule = config_and_corpus(args.settings)
    reading = config["upsample"]
    started = time.perf_counter()

    (keypoints, mask, target, _), (val_keypoints, val_mask, val_target, val_head) = read_windows(
        datamodule, reading, args.train)
    real = normalized_pairs(keypoints, mask, target)
    val_x, val_m, _ = normalized_pairs(val_keypoints, val_mask, val_target)
    print(f"{len(real[0])} real training windows, {len(val_x)} val windows "
          f"({time.perf_counter() - started:.0f} s)", flush=True)

    folder = model_path(config["models"], "jumps")
    prior, model_config = load_jumps(folder)
    gan = JumpsGAN(**model_config["model"])
    gan.load_state_dict(prior.state_dict())
    gan.train()
    for p in list(gan.generator.parameters()) + list(gan.critic.parameters()):
        p.requires_grad_(False)
    optimizer = torch.optim.Adam(gan.encoder.parameters(), lr=args.lr, betas=tuple(model_config["model"]["betas"]))
    weights = model_config["model"]["loss_weights"]
    n_real, n_sim, steps = batch_split(args, len(real[0]))
    sims = simulated_batches(datamodule, n_sim)

    gan.eval()
    best = (plain_added_auc(gan, val_x, val_m, torch.as_tensor(val_keypoints), val_target, val_head), -1)
    gan.train()
    print(f"epoch -1 (as loaded): val hpe-real plain reading, added AUC {best[0]:.4f}", flush=True)
    best_state = copy.deepcopy(gan.state_dict())
    log = [f"epoch -1: val added {best[0]:.4f}"]
    averaged = None
    for epoch in range(args.epochs):
        order = torch.randperm(len(real[0]), generator=rng)
        totals = []
        for step in range(steps):
            terms = []
            if n_real:
                rows = order[step * n_real:(step + 1) * n_real]
                x, m, target = mirrored(real[0][rows], real[1][rows], real[2][rows], rng)
                terms.append((x, m, target))
            if n_sim:
                clean = fit_normalization(sim := next(sims)).apply(sim)
                terms.append((gan._corrupted(clean), gan._encoder_mask(clean), clean))
            x = torch.cat([t[0] for t in terms])
            m = torch.cat([t[1] for t in terms])
            target = torch.cat([t[2] for t in terms])
            x = torch.where(m[..., None], x, torch.zeros_like(x))
            x_hat = gan.generator(gan.encoder(x, m))
            z = gan.sample_prior(len(x))
            loss = (weights["position"] * _squared_error(x_hat, target)
                    + weights["velocity"] * _squared_error(_velocity(x_hat), _velocity(target))
                    + weights["latent"] * torch.nn.functional.mse_loss(gan.encoder(gan.generator(z)), z))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            totals.append(float(loss.detach()))
        gan.eval()
        auc = plain_added_auc(gan, val_x, val_m, torch.as_tensor(val_keypoints), val_target, val_head)
        gan.train()
        line = (f"epoch {epoch}: loss {np.mean(totals):.4f}, val added {auc:.4f} "
                f"({time.perf_counter() - started:.0f} s)")
        print(line, flush=True)
        log.append(line)
        if args.average_from is not None and epoch >= args.average_from:  # the running mean of the weights
            if averaged is None:
                averaged = AveragedModel(gan, use_buffers=True)
            averaged.update_parameters(gan)
        elif auc > best[0]:
            best, best_state = (auc, epoch), copy.deepcopy(gan.state_dict())
    if args.average_from is not None:
        mean = averaged.module.state_dict()
        gan.load_state_dict(mean)
        gan.eval()
        best = (plain_added_auc(gan, val_x, val_m, torch.as_tensor(val_keypoints), val_target, val_head),
                f"mean of {args.average_from}-{args.epochs - 1}")
        best_state = mean
        log.append(f"averaged over epochs {args.average_from}-{args.epochs - 1}: val added {best[0]:.4f}")
    out_config = {**{k: v for k, v in model_config.items() if k != "kind"},
                  "finetune_real": {"train": args.train, "epochs": args.epochs, "best_epoch": best[1],
                                    "real_share": args.real_share, "lr": args.lr, "batch": args.batch,
                                    "average_from": args.average_from,
                                    "seed": args.seed, "from": config["models"]["jumps"] or "jumps-default",
                                    "script": "experiments/hpe_real/finetune_encoder.py",
                                    "minutes": round((time.perf_counter() - started) / 60, 1)}}
    write_model_folder(args.out, out_config, "jumps", best_state)
    Path(args.out, "finetune.log").write_text("\n".join(log) + "\n")
    print(f"wrote {args.out}: epoch {best[1]} (val added {best[0]:.4f})", flush=True)


if __name__ == "__main__":
    main()
