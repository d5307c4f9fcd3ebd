"""The rows of `jumps evaluate`: JUMPS, its ablations, the design change, and the baselines.

Each row is a method ``TaskInput -> (N, T, 21, 2) px``. Rows that share work share it: ``JUMPS +
ridge transfer`` post-processes the ``JUMPS`` row's predictions instead of optimizing again.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from jumps_pl.evaluation.evaluate import Method
from jumps_pl.evaluation.tasks import TaskInput

ROWS = ("JUMPS", "JUMPS w/o alignment", "JUMPS w/o encoder", "JUMPS + ridge transfer",
        "ridge", "ridge+savgol", "masked-conv-ae")
# Which shipped model folder (models/NAME) each evaluate.* path defaults to.
DEFAULT_FOLDERS = {"model": "jumps-default", "model_no_encoder": "jumps-no-encoder", "ridge": "ridge",
                   "masked_conv_ae": "masked-conv-ae"}


def model_path(evaluate_cfg: dict, key: str) -> Path:
    """``evaluate.<key>`` or, when null, the shipped model folder."""
    from jumps_pl.inference.loading import default_model_path

    value = evaluate_cfg.get(key)
    return Path(value) if value else default_model_path(DEFAULT_FOLDERS[key])


def build_rows(config: dict, rows: list[str] | tuple[str, ...] | None = None, log=None) -> dict[str, Method]:
    """Methods for ``rows`` (default ``evaluate.rows``), loading the models they need."""
    from jumps_pl.baselines.ridge import savgol, transfer_residual
    from jumps_pl.inference.latent_opt import LatentOptimizer
    from jumps_pl.inference.loading import load_masked_conv_ae, load_model, load_ridge

    log = log or (lambda message: print(message, file=sys.stderr))
    evaluate, infer = config["evaluate"], config["infer"]
    rows = list(rows or evaluate["rows"])
    unknown = [r for r in rows if r not in ROWS]
    if unknown:
        raise ValueError(f"evaluate.rows: unknown row {unknown[0]!r}; known: {', '.join(ROWS)}")
    methods: dict[str, Method] = {}
    cache: dict[str, object] = {}  # the JUMPS row's last task input and predictions

    def latent(optimizer: LatentOptimizer, keep: bool = False) -> Method:
        def run(given: TaskInput) -> np.ndarray:
            if keep and cache.get("given") is given:
                return cache["out"]
            tensors = (torch.as_tensor(a) for a in (given.keypoints_px, given.mask, given.confidence))
            out = optimizer.optimize_windows(*tensors)[0].numpy()
            if keep:
                cache.update(given=given, out=out)
            return out
        return run

    needs_jumps = {"JUMPS", "JUMPS w/o alignment", "JUMPS + ridge transfer"} & set(rows)
    model = load_model(model_path(evaluate, "model"))[0] if needs_jumps else None
    ridge = (load_ridge(model_path(evaluate, "ridge"))
             if {"ridge", "ridge+savgol", "JUMPS + ridge transfer"} & set(rows) else None)
    sg = config["baselines"]["savgol"]
    for row in rows:
        if row == "JUMPS":
            methods[row] = latent(LatentOptimizer(model, **infer), keep=True)
        elif row == "JUMPS w/o alignment":
            methods[row] = latent(LatentOptimizer(model, **{**infer, "align": False}))
        elif row == "JUMPS w/o encoder":
            path = model_path(evaluate, "model_no_encoder")
            if not path.exists():
                log(f"row {row!r} skipped: no model at {path} (train one with model.use_encoder=false)")
                continue
            no_encoder = load_model(path)[0]
            if no_encoder.encoder is not None:
                raise ValueError(f"{path} has an encoder; the row {row!r} needs one trained with "
                                 "model.use_encoder=false")
            methods[row] = latent(LatentOptimizer(no_encoder, **infer))
        elif row == "JUMPS + ridge transfer":
            jumps = methods.get("JUMPS") or latent(LatentOptimizer(model, **infer), keep=True)
            methods[row] = (lambda g, jumps=jumps:
                            transfer_residual(ridge, jumps(g), g.keypoints_px, g.mask))
        elif row == "ridge":
            methods[row] = lambda g: ridge.predict(g.keypoints_px, g.mask)
        elif row == "ridge+savgol":
            methods[row] = lambda g: savgol(ridge.predict(g.keypoints_px, g.mask), sg["window"], sg["order"])
        elif row == "masked-conv-ae":
            path = model_path(evaluate, "masked_conv_ae")
            if not path.exists():
                log(f"row {row!r} skipped: no model at {path} (jumps train-baseline masked-conv-ae)")
                continue
            net = load_masked_conv_ae(path)

            def run(given: TaskInput, net=net) -> np.ndarray:
                with torch.no_grad():
                    return net.predict_px(torch.as_tensor(given.keypoints_px),
                                          torch.as_tensor(given.mask)).numpy()
            methods[row] = run
    return methods
