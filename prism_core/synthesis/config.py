"""The run configuration: one dataclass, JSON round-trip, recipe defaults filled in by `resolve`.

Fields left as None take the method's recipe default (see `recipes.py`); a resolved config has every
value explicit, and that is what a run directory records.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

MAX_IPC = 1000  # a stated limit: beyond this a run is almost surely a typo (ImageNet IPC 200 is the field's max)
METHODS = ("sre2l", "prism", "gvbsm")
COMPILE_MODES = ("off", "default", "reduce-overhead", "max-autotune")  # torch.compile modes; "off": eager


class ConfigError(ValueError):
    """The configuration cannot run; the message names the field and the fix."""


@dataclass(frozen=True)
class SynthConfig:
    method: str = "prism"
    dataset: str = "fashion_mnist"
    primary: str = "resnet18"
    bn_pool: tuple[str, ...] | None = None  # PRISM: candidate BN teachers; G-VBSM: the round-robin backbones
    weights: str = "zoo"  # for every teacher: zoo, pretrained, random or a checkpoint path
    checkpoints: dict[str, str] | None = None  # per-teacher checkpoint paths, overriding `weights` for those teachers
    subset_rule: str | None = None  # "official" (primary + 3 slots, p=0.5 each) or "k"
    subset_k: int = 2
    include_primary: bool = True
    selection: str = "pre"  # "pre": drawn once per IPC index; "intra": re-drawn every `reselect_every` steps
    reselect_every: int = 1
    ipc: int = 10
    classes: tuple[int, ...] | None = None  # None: all classes
    iterations: int | None = None
    vary_iterations: bool | None = None  # PRISM's 4000 - 500*(k mod 8), scaled to `iterations`
    lr: float | None = None
    r_bn: float | None = None
    first_bn_multiplier: float = 10.0
    init: str | None = None  # "noise" or "real"
    batch_formation: str | None = None  # "cross-class" or "class-grouped"
    batch_size: int = 100
    pack: int = 1  # reference batches (groups) per forward, each with its own statistics: larger kernels on a GPU
    jitter: int | None = None  # max roll in pixels (None: the references' 32 at 224 px; 2 at <= 64 px)
    crop_scale: tuple[float, float] | None = None  # RandomResizedCrop scale (None: (0.08, 1); (0.5, 1) at <= 64 px)
    flip: bool = True
    tv_l2: float = 0.0
    l2: float = 0.0
    # G-VBSM
    ema_alpha: float = 0.4
    dd_weight: float = 1.0
    dd_tau: float = 4.0
    stats_images: int = 2048  # real images behind the conv/patch reference statistics
    seed: int = 0
    preview_every: int = 0  # steps between preview snapshots (0: none)
    log_every: int = 10  # steps between logged loss values (the only host syncs)
    device: str = "cpu"
    precision: str = "fp32"  # "bf16": teacher forwards under bf16 autocast; statistics and losses stay fp32
    channels_last: bool = False  # NHWC teacher weights and activations (faster convolutions on GPUs)
    compile: str = "off"  # torch.compile mode for the teacher forwards with their statistics (compiled.py)

    # --- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SynthConfig":
        if not isinstance(data, dict):
            raise ConfigError("a config must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown config keys: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        tuples = {"bn_pool", "classes", "crop_scale"}
        return cls(**{k: tuple(v) if k in tuples and v is not None else v for k, v in data.items()})

    @classmethod
    def from_json(cls, text: str) -> "SynthConfig":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigError(f"config is not valid JSON: {err}") from None
        return cls.from_dict(data)

    def replace(self, **changes: Any) -> "SynthConfig":
        return replace(self, **changes)


def validate(cfg: SynthConfig, num_classes: int) -> None:
    """Checks that need no teacher: ranges, choices, class ids. Teacher checks happen when they load."""
    def need(ok: bool, msg: str) -> None:
        if not ok:
            raise ConfigError(msg)

    need(cfg.method in METHODS, f"method must be one of {', '.join(METHODS)}, not {cfg.method!r}")
    need(isinstance(cfg.ipc, int) and cfg.ipc > 0, f"ipc must be a positive integer (images per class), got {cfg.ipc}")
    need(cfg.ipc <= MAX_IPC, f"ipc {cfg.ipc} is beyond the limit of {MAX_IPC} images per class")
    need(cfg.iterations is None or (isinstance(cfg.iterations, int) and cfg.iterations > 0),
         f"iterations must be a positive integer, got {cfg.iterations}")
    need(cfg.lr is None or (isinstance(cfg.lr, (int, float)) and math.isfinite(cfg.lr) and cfg.lr > 0),
         f"lr must be a finite positive number, got {cfg.lr}")
    for name in ("r_bn", "first_bn_multiplier", "tv_l2", "l2", "dd_weight", "dd_tau"):
        value = getattr(cfg, name)
        if value is None:
            continue
        need(math.isfinite(value) and value >= 0, f"{name} must be a finite non-negative number, got {value}")
    need(cfg.classes is None or len(cfg.classes) > 0, "the class list is empty: give at least one class (or omit it for all)")
    bad = [c for c in (cfg.classes or ()) if not isinstance(c, int) or not 0 <= c < num_classes]
    need(not bad, f"class ids {bad} are outside 0..{num_classes - 1}")
    need(cfg.classes is None or len(set(cfg.classes)) == len(cfg.classes), "the class list repeats a class")
    need(cfg.selection in ("pre", "intra"), f"selection must be 'pre' or 'intra', not {cfg.selection!r}")
    need(cfg.reselect_every > 0, "reselect_every must be positive")
    need(cfg.subset_rule in (None, "official", "k"), f"subset_rule must be 'official' or 'k', not {cfg.subset_rule!r}")
    need(cfg.subset_k > 0, "subset_k must be positive")
    need(cfg.init in (None, "noise", "real"), f"init must be 'noise' or 'real', not {cfg.init!r}")
    need(cfg.batch_formation in (None, "cross-class", "class-grouped"),
         f"batch_formation must be 'cross-class' or 'class-grouped', not {cfg.batch_formation!r}")
    need(cfg.batch_size > 0, "batch_size must be positive")
    need(isinstance(cfg.pack, int) and cfg.pack > 0, f"pack must be a positive integer (groups per forward), got {cfg.pack}")
    lo, hi = cfg.crop_scale or (0.08, 1.0)
    need(0 < lo <= hi <= 1, f"crop_scale must satisfy 0 < min <= max <= 1, got {cfg.crop_scale}")
    need(0 <= cfg.ema_alpha < 1, "ema_alpha must be in [0, 1)")
    need(cfg.jitter is None or cfg.jitter >= 0, "jitter must be >= 0")
    need(cfg.log_every > 0 and cfg.preview_every >= 0, "log_every must be positive and preview_every >= 0")
    need(cfg.precision in ("fp32", "bf16"), f"precision must be 'fp32' or 'bf16', not {cfg.precision!r}")
    need(cfg.compile in COMPILE_MODES, f"compile must be one of {', '.join(COMPILE_MODES)}, not {cfg.compile!r}")
