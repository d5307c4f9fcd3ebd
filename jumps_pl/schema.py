"""The config's schema: types (OmegaConf structured configs) and allowed values (ranges, choices).

``jumps_pl/configs/default.yaml`` stays the only place defaults live: every field here is ``MISSING``
and takes its value from there. OmegaConf checks types and unknown keys when layers merge over the
schema; ``check_values`` then checks ranges and choices, so a wrong setting stops a command before any
work, with the key, the value and what is allowed.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Optional  # noqa: UP035 (OmegaConf reads typing annotations at run time)

from omegaconf import MISSING


def _f(min: float | None = None, max: float | None = None, gt: float | None = None, choices: tuple | None = None,
       odd: bool = False, length: int | None = None) -> Any:
    """A field with its allowed values in the metadata (the default comes from default.yaml)."""
    rules = {k: v for k, v in (("min", min), ("max", max), ("gt", gt), ("choices", choices), ("length", length))
             if v is not None}
    if odd:
        rules["odd"] = True
    return field(default=MISSING, metadata=rules)


EVAL_SPLITS = ("test-bench", "test", "val", "all", "ood-val", "ood-test")
LOGGERS = ("wandb", "csv", "tensorboard")
# The protocol's tasks (jumps_pl/evaluation/tasks.py makes them)
TASKS = ("upsampling", "completion", "hpe", "hpe-confident", "hpe-real", "hpe-confident-wide")
# What a flip detector's logits name (methods/jumps/flip_detector.py) and the flip mixes it trains on
# (models/corruption.py: detector_failures)
FLIP_LABELS = ("parts", "pairs")
# What a frame's left/right labelling can exchange in the repair (methods/jumps/relabel.py)
LABELLINGS = ("parts", "chains")
FLIP_MIXES = ("protocol", "wide", "both")
# The sets hpe-real has real detections of (jumps_pl/evaluation/real_detector.py, `jumps detect-windows`)
REAL_SETS = ("val", "test-bench", "ood-test", "ood-val", "train")
# How `jumps upsample` reads a detector's scores (jumps_pl/scores.py)
SCORE_READINGS = ("calibrated", "raw")
# How hpe-real reads the detector's scores (jumps_pl/evaluation/real_detector.py): as `jumps upsample` does
# (upsample.scores), or ignored (every detected joint at 0.99)
REAL_SCORES = ("read", "ignored")
# How the fusion fills a joint's gaps (jumps_pl/methods/fusion/fuse.py)
GAP_CURVES = ("linear", "cubic", "pchip")
NOISY_ADDED = ("map", "reading")  # fusion.noisy_added: where a noisy window's added joints come from
# How the latent fit's learning rate runs over its iterations (jumps_pl/methods/jumps/latent_opt.py)
LR_SCHEDULES = ("constant", "cosine")
# What runs a stream's forward-only networks (jumps_pl/runtime.py)
LIVE_RUNTIMES = ("onnxruntime", "torch")


@dataclass
class CameraSchema:
    """Types of the ``data.eval_camera`` and ``data.train_camera`` sections: the ranges cameras are drawn from."""

    yaw_deg: list[float] = _f(length=2)
    pitch_deg: list[float] = _f(length=2)
    distance_m: list[float] = _f(length=2)
    focal_px: float = _f(gt=0)
    principal_px: list[float] = _f(length=2)


@dataclass
class DataSchema:
    """Types of the ``data.*`` section: the mocap corpus, its windows, cameras and augmentation."""

    root: str = MISSING
    cache_dir: Optional[str] = MISSING
    load_workers: int = _f(min=1)
    max_clips: Optional[int] = _f(min=1)
    fps: float = _f(gt=0)
    window: int = _f(min=8)
    train_stride: int = _f(min=1)
    eval_stride: int = _f(min=1)
    batch_size: int = _f(min=1)
    num_workers: int = _f(min=0)
    seed: int = MISSING
    mirror: bool = MISSING
    split: str = _f(choices=EVAL_SPLITS)
    bench_windows: int = _f(min=1)
    bench_seed: int = MISSING
    eval_camera: CameraSchema = field(default_factory=CameraSchema)
    train_camera: CameraSchema = field(default_factory=CameraSchema)
    ood_sources: list[str] = MISSING
    ood_stride: int = _f(min=1)
    source_balance: float = _f(min=0, max=1)
    balance_by: str = MISSING
    speed: list[float] = _f(gt=0, length=2)
    bone_jitter: float = _f(min=0, max=0.5)
    time_warp: float = _f(min=0, max=0.95)


@dataclass
class LossWeightsSchema:
    """Types of the ``model.loss_weights`` section: the weight of each training loss term."""

    adversarial: float = _f(min=0)
    mix: float = _f(min=0)
    position: float = _f(min=0)
    velocity: float = _f(min=0)
    latent: float = _f(min=0)


@dataclass
class EncoderMaskingSchema:
    """Types of the ``model.encoder_masking`` section: how the encoder's training inputs are made incomplete."""

    input_only_prob: float = _f(min=0, max=1)
    drop_max: float = _f(min=0, max=1)
    burst_prob: float = _f(min=0, max=1)
    burst_share_max: float = _f(min=0, max=1)


@dataclass
class EncoderCorruptionSchema:
    """Types of the ``model.encoder_corruption`` section: a detector's failures on the encoder's input in L_Rec."""

    flip_prob: float = _f(min=0, max=1)
    foreign_prob: float = _f(min=0, max=1)
    noise_prob: float = _f(min=0, max=1)
    noise_max: float = _f(min=0)


@dataclass
class ModelSchema:
    """Types of the ``model.*`` section: the JUMPS AE-WGAN's architecture and training."""

    window: int = _f(min=8)
    width: int = _f(min=1)
    latent_channels: int = _f(min=1)
    downsamplings: int = _f(min=0, max=6)
    use_encoder: bool = MISSING
    n_critic: int = _f(min=1)
    gp_weight: float = _f(min=0)
    lr_critic: float = _f(gt=0)
    lr_generator: float = _f(gt=0)
    lr_reconstruction: Optional[float] = _f(gt=0)
    betas: list[float] = _f(min=0, max=1, length=2)
    loss_weights: LossWeightsSchema = field(default_factory=LossWeightsSchema)
    encoder_masking: EncoderMaskingSchema = field(default_factory=EncoderMaskingSchema)
    nan_policy: str = _f(choices=("stop", "skip"))
    reconstruction_epochs: int = _f(min=0)
    encoder_only_from: Optional[int] = _f(min=0)
    encoder_corruption: EncoderCorruptionSchema = field(default_factory=EncoderCorruptionSchema)


@dataclass
class LatentEvalSchema:
    """Types of the ``train.latent_eval`` section: the latent-fit evaluation on a validation subset while training."""

    every_n_epochs: int = _f(min=0)
    windows: int = _f(min=1)
    iterations: int = _f(min=0)
    starts: int = _f(min=1)


@dataclass
class TrainSchema:
    """Types of the ``train.*`` section: the run folder, resuming, checkpoints and logged images."""

    run_dir: str = MISSING
    resume: Optional[str] = MISSING
    checkpoint_every_n_steps: Optional[int] = _f(min=1)
    checkpoint_every_minutes: float = _f(min=0)
    image_every_n_epochs: int = _f(min=0)
    image_samples: int = _f(min=1)
    latent_eval: LatentEvalSchema = field(default_factory=LatentEvalSchema)


@dataclass
class RepairSchema:
    """Types of the ``infer.repair`` section: repairing a detector's confident failures (flips, outliers)."""

    enabled: bool = MISSING
    reference: str = _f(choices=("fit", "encoder"))
    robust_scale: float = _f(gt=0)
    ratio: float = _f(gt=0, max=1)
    outlier: float = _f(gt=0)
    iterations: int = _f(min=0)
    rounds: int = _f(min=1)
    continuity_ratio: float = _f(min=0, max=1)
    temporal: float = _f(min=0)
    labelling: str = _f(choices=LABELLINGS)
    flip_cost: float = _f(min=0)
    switch_cost: float = _f(min=0)
    lone: float = _f(min=0)
    detector: float = _f(min=0)
    detector_views: int = _f(choices=(1, 2, 4))
    uncertain_below: float = _f(min=0, max=1)


@dataclass
class GapCurveSchema:
    """Types of the ``fusion.gap_curve`` section: the curve through a joint's gaps, for exact and noisy input."""

    exact: str = _f(choices=GAP_CURVES)
    noisy: str = _f(choices=GAP_CURVES)


@dataclass
class FusionSchema:
    """Types of the ``fusion.*`` section: `JUMPS + fusion`, the latent fit fused with the observations."""

    repair: bool = MISSING
    repair_rounds: int = _f(min=1)
    uncertain_below: float = _f(min=0, max=1)
    noise_threshold: float = _f(min=0)
    scored_noisy: bool = MISSING
    mirror_reading: bool = MISSING
    noisy_added: str = _f(choices=NOISY_ADDED)
    smoothing: float = _f(min=0)
    robust: float = _f(min=0)
    gap_prior: float = _f(min=0, max=1)
    gap_curve: GapCurveSchema = field(default_factory=GapCurveSchema)
    transfer: list[float] = _f(min=0, max=1, length=9)
    ensemble: float = _f(min=0, max=1)
    ensemble_exact: float = _f(min=0, max=1)
    landmark_reader: float = _f(min=0, max=1)
    fit_starts: int = _f(min=1)
    fit_iterations: int = _f(min=0)
    live_fit_iterations: int = _f(min=0)
    live_repair_start: bool = MISSING
    live_repair_rounds: int = _f(min=1)


@dataclass
class InferSchema:
    """Types of the ``infer.*`` section: the latent optimization at inference, and its repair."""

    starts: int = _f(min=1)
    iterations: int = _f(min=0)
    keep_starts: Optional[int] = _f(min=1)
    keep_after: int = _f(min=0)
    lr: float = _f(gt=0)
    lr_schedule: str = _f(choices=LR_SCHEDULES)
    prior_weight: float = _f(min=0)
    latent_weight: float = _f(min=0)
    smooth_weight: float = _f(min=0)
    align: bool = MISSING
    encoder_start: bool = MISSING
    overlap: int = _f(min=0)
    batch_windows: int = _f(min=1)
    seed: int = MISSING
    device: str = MISSING  # cpu, cuda, cuda:N or auto: checked when the models load (jumps_pl/methods/base.py)
    repair: RepairSchema = field(default_factory=RepairSchema)


@dataclass
class ModelsSchema:
    """Types of the ``models.*`` section: the model folder each method loads (null: the shipped default)."""

    jumps: Optional[str] = MISSING
    jumps_no_encoder: Optional[str] = MISSING
    ridge: Optional[str] = MISSING
    masked_conv_ae: Optional[str] = MISSING
    flip_detector: Optional[str] = MISSING
    jumps_noisy: Optional[str] = MISSING
    masked_conv_ae_real: Optional[str] = MISSING
    masked_conv_ae_noisy: Optional[str] = MISSING
    landmark_reader: Optional[str] = MISSING


@dataclass
class UpsampleSchema:
    """Types of the ``upsample.*`` section: `jumps upsample` on real pose-estimator output."""

    method: str = MISSING  # a registered method: checked by the registry (jumps_pl.methods)
    min_confidence: float = _f(min=0, max=1)
    scores: str = _f(choices=SCORE_READINGS)
    joint_centres: bool = MISSING
    landmarks: bool = MISSING
    untangle: float = _f(min=0, max=1)
    calibration: Optional[str] = MISSING
    fps: Optional[float] = _f(gt=0)
    live_runtime: str = _f(choices=LIVE_RUNTIMES)


@dataclass
class EvaluateSchema:
    """Types of the ``evaluate.*`` section: `jumps evaluate`'s rows, tasks and windows."""

    rows: list[str] = MISSING  # registered methods: checked by the registry
    tasks: list[str] = _f(choices=TASKS)
    windows: Optional[int] = _f(min=1)
    example: int = _f(min=0)
    real_scores: str = _f(choices=REAL_SCORES)
    by_style: list[str] = _f(choices=TASKS)


@dataclass
class RidgeSchema:
    """Types of the ``baselines.ridge`` section."""

    alpha: float = _f(min=0)
    passes: int = _f(min=1)


@dataclass
class SavgolSchema:
    """Types of the ``baselines.savgol`` section: the Savitzky-Golay filter of ridge+savgol."""

    window: int = _f(min=3, odd=True)
    order: int = _f(min=0)


@dataclass
class OneEuroSchema:
    """Types of the ``baselines.one_euro`` section: the One Euro filter of ridge+one-euro."""

    min_cutoff: float = _f(gt=0)
    beta: float = _f(min=0)
    d_cutoff: float = _f(gt=0)


@dataclass
class GaussianSchema:
    """Types of the ``baselines.gaussian`` section: the Gaussian filter of ridge+gaussian."""

    sigma: float = _f(gt=0)


@dataclass
class ContinuitySchema:
    """Types of the ``baselines.continuity`` section: the continuity repair of continuity+ridge+savgol."""

    ratio: float = _f(gt=0, max=1)
    outlier: float = _f(gt=0)
    lone: float = _f(min=0)


@dataclass
class MaskedConvAESchema:
    """Types of the ``baselines.masked_conv_ae`` section: the masked-conv-ae baseline and its training."""

    width: int = _f(min=1)
    downsamplings: int = _f(min=0, max=6)
    lr: float = _f(gt=0)
    velocity_weight: float = _f(min=0)
    missing_share_max: float = _f(min=0, max=1)
    noise_prob: float = _f(min=0, max=1)
    noise_max: float = _f(min=0)


@dataclass
class FlipDetectorSchema:
    """Types of the ``baselines.flip_detector`` section: the flip detector and its training."""

    width: int = _f(min=1)
    downsamplings: int = _f(min=0, max=6)
    lr: float = _f(gt=0)
    missing_share_max: float = _f(min=0, max=1)
    noise_max: float = _f(min=0)
    flip_prob: float = _f(min=0, max=1)
    foreign_prob: float = _f(min=0, max=1)
    outlier_share: float = _f(min=0, max=1)
    labels: str = _f(choices=FLIP_LABELS)
    flip_mix: str = _f(choices=FLIP_MIXES)
    flip_frames: list[int] = _f(length=2)
    reconstruction: bool = MISSING
    prior: Optional[str] = MISSING
    start_from: Optional[str] = MISSING


@dataclass
class BaselinesSchema:
    """Types of the ``baselines.*`` section: the methods evaluated beside JUMPS, and the flip detector."""

    ridge: RidgeSchema = field(default_factory=RidgeSchema)
    savgol: SavgolSchema = field(default_factory=SavgolSchema)
    one_euro: OneEuroSchema = field(default_factory=OneEuroSchema)
    gaussian: GaussianSchema = field(default_factory=GaussianSchema)
    continuity: ContinuitySchema = field(default_factory=ContinuitySchema)
    masked_conv_ae: MaskedConvAESchema = field(default_factory=MaskedConvAESchema)
    masked_conv_ae_epochs: int = _f(min=1)
    masked_conv_ae_average_from: int = _f(min=0)
    flip_detector: FlipDetectorSchema = field(default_factory=FlipDetectorSchema)
    flip_detector_epochs: int = _f(min=1)
    flip_detector_average_from: int = _f(min=0)


@dataclass
class LoggingSchema:
    """Types of the ``logging.*`` section: the training runs' experiment logger."""

    logger: str = _f(choices=LOGGERS)
    project: str = MISSING
    name: str = MISSING


@dataclass
class Schema:
    """Types of the whole config, a field per section; ``trainer.*`` takes any Lightning Trainer argument."""

    seed: int = MISSING
    data: DataSchema = field(default_factory=DataSchema)
    model: ModelSchema = field(default_factory=ModelSchema)
    train: TrainSchema = field(default_factory=TrainSchema)
    infer: InferSchema = field(default_factory=InferSchema)
    fusion: FusionSchema = field(default_factory=FusionSchema)
    models: ModelsSchema = field(default_factory=ModelsSchema)
    upsample: UpsampleSchema = field(default_factory=UpsampleSchema)
    evaluate: EvaluateSchema = field(default_factory=EvaluateSchema)
    baselines: BaselinesSchema = field(default_factory=BaselinesSchema)
    # Passed through to pytorch_lightning.Trainer: any Trainer argument; the common ones are checked
    # by ``check_trainer`` (types and values as Lightning takes them).
    trainer: dict[str, Any] = field(default_factory=dict)
    logging: LoggingSchema = field(default_factory=LoggingSchema)


def _rules() -> dict[str, dict]:
    """``{dotted key: rules}`` for every field with allowed values."""
    out: dict[str, dict] = {}

    def walk(cls, prefix: str) -> None:
        for f in fields(cls):
            key = f"{prefix}{f.name}"
            factory = f.default_factory if f.default_factory is not MISSING else None  # type: ignore[misc]
            if factory is not None and is_dataclass(factory):
                walk(factory, key + ".")
            elif f.metadata:
                out[key] = dict(f.metadata)
    walk(Schema, "")
    return out


RULES = _rules()


def _allowed(rules: dict) -> str:
    parts = []
    if "choices" in rules:
        parts.append("one of " + ", ".join(map(str, rules["choices"])))
    if "length" in rules:
        parts.append(f"a list of {rules['length']} numbers")
    if "gt" in rules:
        parts.append(f"> {rules['gt']:g}")
    if "min" in rules and "max" in rules:
        parts.append(f"in [{rules['min']:g}, {rules['max']:g}]")
    elif "min" in rules:
        parts.append(f">= {rules['min']:g}")
    elif "max" in rules:
        parts.append(f"<= {rules['max']:g}")
    if rules.get("odd"):
        parts.append("odd")
    return ", ".join(parts)


def _breaks(value: Any, rules: dict) -> bool:
    if value is None:
        return False  # Optional fields; a None where it is not allowed is OmegaConf's to refuse
    if "length" in rules and (not isinstance(value, list) or len(value) != rules["length"]):
        return True
    values = value if isinstance(value, list) else [value]
    for v in values:
        if "choices" in rules and v not in rules["choices"]:
            return True
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if v != v or ("gt" in rules and not v > rules["gt"]) or ("min" in rules and v < rules["min"]) \
                    or ("max" in rules and v > rules["max"]) or (rules.get("odd") and int(v) % 2 == 0):
                return True
    return False


def _get(config: dict, key: str) -> Any:
    node: Any = config
    for part in key.split("."):
        node = node[part]
    return node


def check_values(config: dict, default_trainer: dict | None = None) -> list[str]:
    """Every problem of a resolved config dict, as ``key=value: what is allowed`` lines.

    ``trainer.*`` values equal to ``default_trainer`` (the package defaults) are not checked against
    Lightning, so that a command that does not train never imports it.
    """
    problems = [f"{key}={_get(config, key)!r}: allowed {_allowed(rules)}" for key, rules in RULES.items()
                if _breaks(_get(config, key), rules)]
    data, model, baselines, infer = config["data"], config["model"], config["baselines"], config["infer"]
    if model["window"] % 2 ** model["downsamplings"]:
        problems.append(f"model.window={model['window']!r}: must be divisible by 2^model.downsamplings "
                        f"= {2 ** model['downsamplings']}")
    if not infer["overlap"] < data["window"]:
        problems.append(f"infer.overlap={infer['overlap']!r}: must be < data.window ({data['window']})")
    if not baselines["savgol"]["order"] < baselines["savgol"]["window"]:
        problems.append(f"baselines.savgol.order={baselines['savgol']['order']!r}: must be < baselines.savgol.window "
                        f"({baselines['savgol']['window']})")
    if isinstance(data["speed"], list) and len(data["speed"]) == 2 and data["speed"][0] > data["speed"][1]:
        problems.append(f"data.speed={data['speed']!r}: allowed [low, high] with low <= high")
    for camera in ("eval_camera", "train_camera"):
        for name in ("yaw_deg", "pitch_deg", "distance_m"):
            low_high = data[camera][name]
            if isinstance(low_high, list) and len(low_high) == 2 and low_high[0] > low_high[1]:
                problems.append(f"data.{camera}.{name}={low_high!r}: allowed [low, high] with low <= high")
    return problems + check_trainer(config.get("trainer", {}), default_trainer)


_TRAINER_INTS = {"max_epochs": -1, "max_steps": -1, "min_epochs": 0, "min_steps": 0, "log_every_n_steps": 1,
                 "accumulate_grad_batches": 1, "num_sanity_val_steps": -1, "check_val_every_n_epoch": 1}


def check_trainer(trainer: dict, defaults: dict | None = None) -> list[str]:
    """``trainer.*``: every key an argument of pytorch_lightning.Trainer, the common ones of the types it takes.

    Problems are returned as messages naming the key, the value and what Lightning takes. Keys whose
    value is the one in ``defaults`` are taken as checked: Lightning is imported only to check others.
    """
    changed = {key: value for key, value in trainer.items() if defaults is None or defaults.get(key, ...) != value}
    problems = []
    if changed:
        import inspect

        import pytorch_lightning as pl

        known = set(inspect.signature(pl.Trainer).parameters) - {"logger", "callbacks", "default_root_dir"}
        problems = [f"trainer.{key}={value!r}: not an argument of pytorch_lightning.Trainer"
                    + _did_you_mean_among(key, known) for key, value in changed.items() if key not in known]
    for key, lowest in _TRAINER_INTS.items():
        value = trainer.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
            problems.append(f"trainer.{key}={value!r}: allowed an integer >= {lowest} (or null)")
    for key in ("limit_train_batches", "limit_val_batches", "limit_test_batches", "val_check_interval"):
        value = trainer.get(key)
        if value is not None and not _fraction_or_count(value):
            problems.append(f"trainer.{key}={value!r}: allowed a share in [0, 1] (float) or a number of batches "
                            "(integer >= 0)")
    devices = trainer.get("devices")
    if devices is not None and not _devices_ok(devices):
        problems.append(f"trainer.devices={devices!r}: allowed a positive integer, -1 (all), 'auto', "
                        "a list of device indices, or a string of them such as '0,1'")
    for key in ("accelerator", "strategy", "precision"):
        value = changed.get(key)
        if value is not None:
            known = _lightning_choices(key)
            if str(value) not in known:
                problems.append(f"trainer.{key}={value!r}: allowed one of {', '.join(sorted(known))}")
    return problems


def _fraction_or_count(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return 0 <= value <= 1 if isinstance(value, float) else value >= 0


def _did_you_mean_among(key: str, names: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, sorted(names), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_accelerator(trainer: dict) -> list[str]:
    """Whether the accelerator asked for is on this machine (checked by the commands that train)."""
    accelerator = str(trainer.get("accelerator", "auto"))
    if accelerator in ("auto", "cpu"):
        return []
    from pytorch_lightning.accelerators import AcceleratorRegistry

    names = ("cuda", "mps") if accelerator == "gpu" else (accelerator,)
    if any(AcceleratorRegistry.get(name).is_available() for name in names if name in
           AcceleratorRegistry.available_accelerators()):
        return []
    return [f"trainer.accelerator={accelerator!r}: no such device on this machine (torch "
            f"{__import__('torch').__version__}); use trainer.accelerator=cpu, or install a torch build for it"]


def _devices_ok(devices: Any) -> bool:
    if isinstance(devices, bool):
        return False
    if isinstance(devices, int):
        return devices >= 1 or devices == -1
    if isinstance(devices, list):
        return bool(devices) and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in devices)
    if isinstance(devices, str):
        text = devices.strip()
        if text in ("auto", "-1"):
            return True
        parts = [p for p in text.split(",") if p.strip()]
        return bool(parts) and all(p.strip().isdigit() for p in parts) and (len(parts) > 1 or int(parts[0]) >= 1
                                                                           or text.endswith(","))
    return False


def _lightning_choices(key: str) -> set[str]:
    """What Lightning itself accepts for ``accelerator``, ``strategy`` and ``precision``."""
    if key == "accelerator":
        from pytorch_lightning.accelerators import AcceleratorRegistry

        return {"auto", "gpu", *AcceleratorRegistry.available_accelerators()}
    if key == "strategy":
        from pytorch_lightning.strategies import StrategyRegistry

        return {"auto", *StrategyRegistry.available_strategies()}
    from typing import get_args

    from pytorch_lightning.trainer.connectors.accelerator_connector import _PRECISION_INPUT

    values: set[str] = set()
    for arg in get_args(_PRECISION_INPUT):
        values.update(str(v) for v in (get_args(arg) or (arg,)))
    return values
