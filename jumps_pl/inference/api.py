"""`jumps_pl.upsample`: the library entry point for 2D pose sequences in pixels."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from jumps_pl import skeleton
from jumps_pl.config import load_config, to_container
from jumps_pl.inference.latent_opt import LatentOptimizer
from jumps_pl.inference.loading import default_model_path, load_model


def upsample(keypoints: np.ndarray, mask: np.ndarray | None = None, confidence: np.ndarray | None = None,
             ckpt: str | Path | None = None, **infer_overrides) -> np.ndarray:
    """21-joint sequence (F, 21, 2) px from ``keypoints`` (F, 12, 2) in COCO body order or (F, 21, 2).

    ``mask`` (F, J) marks present entries (default: all finite entries of a 12-joint input, or those of
    a 21-joint one); ``confidence`` (F, J) weights them. ``ckpt``: a model folder or checkpoint (default:
    the shipped ``models/jumps-default``). ``infer_overrides`` replace `infer.*` settings.
    """
    keypoints = np.asarray(keypoints, dtype=np.float32)
    if keypoints.ndim != 3 or keypoints.shape[1:] not in ((12, 2), (21, 2)) or len(keypoints) == 0:
        raise ValueError(f"keypoints must be (F, 12, 2) or (F, 21, 2) with F >= 1, got {keypoints.shape}")
    present = np.isfinite(keypoints).all(-1) if mask is None else np.asarray(mask, dtype=bool)
    if present.shape != keypoints.shape[:2]:
        raise ValueError(f"mask must be {keypoints.shape[:2]}, got {present.shape}")
    full = np.zeros((len(keypoints), skeleton.NUM_JOINTS, 2), dtype=np.float32)
    full_mask = np.zeros(full.shape[:2], dtype=bool)
    full_conf = None
    columns = skeleton.INPUT_INDICES if keypoints.shape[1] == 12 else np.arange(skeleton.NUM_JOINTS)
    full[:, columns] = np.nan_to_num(keypoints)
    full_mask[:, columns] = present
    if confidence is not None:
        full_conf = np.zeros(full.shape[:2], dtype=np.float32)
        full_conf[:, columns] = np.asarray(confidence, dtype=np.float32)
    model, _ = load_model(ckpt or default_model_path())
    infer = {**to_container(load_config())["infer"], **infer_overrides}
    return LatentOptimizer(model, **infer).upsample_sequence(full, full_mask, full_conf)
