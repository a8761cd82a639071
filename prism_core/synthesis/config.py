"""The run configuration: one dataclass, JSON round-trip, recipe defaults filled in by `resolve`.

Fields left as None take the method's recipe default (see `recipes.py`); a resolved config has every
value explicit, and that is what a run directory records.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ..data import EMBEDDED_DATASET
from ..fields import opt
from ..selection import DEFAULT_SELECTOR, RULES, KCenter, too_few_candidates

MAX_IPC = 1000  # a stated limit: beyond this a run is almost surely a typo (ImageNet IPC 200 is the field's max)
COMPILE_MODES = ("off", "default", "reduce-overhead", "max-autotune")  # torch.compile modes; "off": eager
GRAPHS = ("teachers", "step")  # what --compile compiles (compiled.py)


class ConfigError(ValueError):
    """The configuration cannot run; the message names the field and the fix."""


@dataclass(frozen=True)
class SynthConfig:
    """A synthesis run. Fields left None take the method's recipe default (recipes.py)."""

    method: str = opt(
        "prism", "the method (methods.py): sre2l, prism, gvbsm, a selection or a registered one", label="Method"
    )
    dataset: str = opt(EMBEDDED_DATASET, f"{EMBEDDED_DATASET}, folder:/path/to/imagefolder or imagenet_shape[:SIZE]")
    primary: str = opt("resnet18", "the logit (CE) teacher, e.g. resnet18", label="Primary (logit) teacher")
    bn_pool: tuple[str, ...] | None = opt(None, "BN teachers: PRISM's candidate pool, G-VBSM's round-robin backbones")
    weights: str = opt("zoo", "every teacher's weights: zoo, pretrained, random or a checkpoint file")
    checkpoints: dict[str, str] | None = opt(None, "per-teacher checkpoint files, overriding `weights` for those")
    subset_rule: str | None = opt(
        None,
        "PRISM's BN set: official (primary + 3 slots, p=0.5 each) or k teachers",
        ("official", "k"),
        label="Subset rule",
    )
    subset_k: int = opt(2, "PRISM's k rule: teachers in the BN set", label="k teachers", bounds=(1, 10))
    include_primary: bool = opt(True, "PRISM: the primary is also in the BN set", label="Primary also in the BN set")
    selection: str = opt(
        "pre",
        "PRISM's BN set drawn once per IPC index (pre) or re-drawn while optimising (intra)",
        ("pre", "intra"),
        label="Teacher selection",
    )
    reselect_every: int = opt(
        1,
        "intra selection: re-draw the BN set every K steps",
        label="Re-draw every K steps (intra)",
        bounds=(1, 10_000),
    )
    ipc: int = opt(10, "images per class", label="Images per class (IPC)", bounds=(0, MAX_IPC))
    classes: tuple[int, ...] | None = opt(None, "class ids (default: all)", label="Classes")
    iterations: int | None = opt(None, "optimisation steps per batch", label="Iterations per batch", bounds=(0, None))
    vary_iterations: bool | None = opt(None, "PRISM's 4000 - 500*(k mod 8) steps for IPC index k, scaled to iterations")
    lr: float | None = opt(
        None, "Adam learning rate on the pixels (cosine schedule)", label="Learning rate", bounds=(0.0, None)
    )
    r_bn: float | None = opt(
        None, "weight of the statistics (BN) term", label="Statistics (BN) weight", bounds=(0.0, None)
    )
    first_bn_multiplier: float = opt(10.0, "extra weight of the first statistics layer")
    residual_every: int = opt(
        0,
        "every K steps mix the images back toward the real images they started from, x = alpha x + (1 - alpha) init, "
        "and restart Adam's moments (FADRM's data residual); 0: off. Real-image inits only",
        label="Residual to the init every K steps (0: off)",
        bounds=(0, None),
    )
    multires_size: int = opt(
        0,
        "optimise the first steps' pixels at this lower size (px), then upsample them and go on at full size "
        "(FADRM's multi-resolution); the teachers still see full-size crops; 0: off",
        label="Lower size for the first steps (px, 0: off)",
        bounds=(0, None),
    )
    multires_fraction: float = opt(
        0.5,
        "the share of each batch's steps at the lower size",
        label="Share of steps at the lower size",
        bounds=(0.0, 1.0),
    )
    residual_alpha: float = opt(
        0.5,
        "the share of the optimised images kept at each residual step",
        label="Residual: share kept",
        bounds=(0.0, 1.0),
    )
    init: str | None = opt(
        None,
        "start from noise or from real images picked by a selection rule: first (the k-th "
        "training image of each class; alias real), random, herding, kcenter, easy, "
        "difficulty or rded",
        ("noise", *RULES, "real"),
        label="Init",
    )
    selector: str = opt(
        DEFAULT_SELECTOR,
        "the model that embeds and scores real images for a selection rule (init "
        "or method); best one that takes no part in the evaluation",
        label="Selector (embeds and scores real images for the rule)",
    )
    candidates: int | None = opt(
        None,
        "training images per class a selection rule draws (with the seed) to choose "
        "from; 0: all (default: the rule's own, 1,000; RDED's 300)",
    )
    kcenter_start: str = opt(
        "random",
        "k-center's first image: random (seeded; Sener and Savarese's and DeepCore's) or mean (the candidate nearest "
        "the class mean, so that IPC 1 is herding's image). Its features are L2-normalised",
        KCenter.STARTS,
    )
    batch_formation: str | None = opt(
        None,
        "one IPC index across classes (cross-class) or consecutive images of a class (class-grouped)",
        ("cross-class", "class-grouped"),
        label="Batch formation",
    )
    batch_size: int = opt(100, "images per reference batch")
    pack: int = opt(
        1,
        "reference batches per forward, each keeping its own statistics, seed and BN set (GPU speed; "
        "the images do not change)",
    )
    jitter: int | None = opt(None, "max roll in pixels (default: the references' 32 at 224 px; 2 at <= 64 px)")
    crop_scale: tuple[float, float] | None = opt(None, "RandomResizedCrop scale (default 0.08,1; 0.5,1 at <= 64 px)")
    flip: bool = opt(True, "random horizontal flip")
    tv_l2: float = opt(0.0, "weight of DeepInversion's total-variation prior")
    l2: float = opt(0.0, "weight of the pixel L2 prior")
    ema_alpha: float = opt(0.4, "G-VBSM: EMA of the matched statistics")
    dd_weight: float = opt(1.0, "G-VBSM: weight of data densification")
    dd_tau: float = opt(4.0, "G-VBSM: data densification temperature")
    stats_images: int = opt(2048, "G-VBSM: real images behind the conv/patch reference statistics")
    seed: int = opt(0, "seeds every batch's init, augmentation and BN-set draws", label="Seed", bounds=(0, None))
    preview_every: int = opt(0, "steps between preview snapshots (0: none)")
    snapshots: int = opt(
        16,
        "trajectory frames kept per batch (uint8, evenly spaced, plus the init and the result): "
        "Gallery's step slider and `export --gif`; 0 for research-scale runs",
    )
    log_every: int = opt(10, "steps between logged loss values (the only host syncs)")
    device: str = opt("cpu", "cpu, cuda or cuda:N (under torchrun, cuda is each rank's GPU)")
    precision: str = opt(
        "fp32", "bf16: teacher forwards under autocast; statistics and losses stay fp32", ("fp32", "bf16")
    )
    channels_last: bool = opt(False, "NHWC teacher weights and activations (faster convolutions on GPUs)")
    compile: str = opt(
        "off",
        "torch.compile the teacher forwards with their statistics (default mode; "
        "reduce-overhead adds CUDA graphs); once per teacher and shape",
        COMPILE_MODES,
    )
    graph: str = opt(
        "teachers",
        "what --compile compiles: each teacher forward with its statistics (teachers: a graph per teacher, any BN-set "
        "schedule) or the whole step (step: augmentation, forwards, loss terms, then Adam and the clip; a graph per "
        "CE teacher and served set, so best when the sets are few: SRe2L, a fixed PRISM set, G-VBSM)",
        GRAPHS,
    )

    def __post_init__(self) -> None:
        if self.init == "real":  # the name before selection rules: the first k images of each class
            object.__setattr__(self, "init", "first")

    # --- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SynthConfig:
        if not isinstance(data, dict):
            raise ConfigError("a config must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown config keys: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        tuples = {"bn_pool", "classes", "crop_scale"}
        return cls(**{k: tuple(v) if k in tuples and v is not None else v for k, v in data.items()})

    @classmethod
    def from_json(cls, text: str) -> SynthConfig:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigError(f"config is not valid JSON: {err}") from None
        return cls.from_dict(data)

    def replace(self, **changes: Any) -> SynthConfig:
        return replace(self, **changes)


def help_for(name: str) -> str:
    """A field's help text: the same words for its CLI flag, its config-file key and the app's form."""
    return next(f.metadata["help"] for f in fields(SynthConfig) if f.name == name)


def validate(cfg: SynthConfig, num_classes: int) -> None:
    """Checks that need no teacher: ranges, choices, class ids. Teacher checks happen when they load."""

    def need(ok: bool, msg: str) -> None:
        if not ok:
            raise ConfigError(msg)

    need(isinstance(cfg.ipc, int) and cfg.ipc > 0, f"ipc must be a positive integer (images per class), got {cfg.ipc}")
    need(cfg.ipc <= MAX_IPC, f"ipc {cfg.ipc} is beyond the limit of {MAX_IPC} images per class")
    need(
        cfg.iterations is None or (isinstance(cfg.iterations, int) and cfg.iterations >= 0),
        f"iterations must be a non-negative integer (0 only for a selection), got {cfg.iterations}",
    )
    need(
        cfg.lr is None or (isinstance(cfg.lr, (int, float)) and math.isfinite(cfg.lr) and cfg.lr > 0),
        f"lr must be a finite positive number, got {cfg.lr}",
    )
    for name in ("r_bn", "first_bn_multiplier", "tv_l2", "l2", "dd_weight", "dd_tau"):
        value = getattr(cfg, name)
        if value is None:
            continue
        need(math.isfinite(value) and value >= 0, f"{name} must be a finite non-negative number, got {value}")
    need(
        cfg.classes is None or len(cfg.classes) > 0,
        "the class list is empty: give at least one class (or omit it for all)",
    )
    bad = [c for c in (cfg.classes or ()) if not isinstance(c, int) or not 0 <= c < num_classes]
    need(not bad, f"class ids {bad} are outside 0..{num_classes - 1}")
    need(cfg.classes is None or len(set(cfg.classes)) == len(cfg.classes), "the class list repeats a class")
    need(cfg.selection in ("pre", "intra"), f"selection must be 'pre' or 'intra', not {cfg.selection!r}")
    need(cfg.reselect_every > 0, "reselect_every must be positive")
    need(cfg.subset_rule in (None, "official", "k"), f"subset_rule must be 'official' or 'k', not {cfg.subset_rule!r}")
    need(cfg.subset_k > 0, "subset_k must be positive")
    need(cfg.init in (None, "noise", *RULES), f"init must be noise or one of {', '.join(RULES)}, not {cfg.init!r}")
    need(
        cfg.candidates is None or (isinstance(cfg.candidates, int) and cfg.candidates >= 0),
        f"candidates must be a non-negative integer (0: the whole class), got {cfg.candidates}",
    )
    need(not cfg.candidates or cfg.candidates >= cfg.ipc, too_few_candidates(cfg.candidates or 0, cfg.ipc))
    need(cfg.multires_size >= 0, f"multires_size must be >= 0 (0: off), got {cfg.multires_size}")
    need(0 < cfg.multires_fraction < 1, f"multires_fraction must be in (0, 1), got {cfg.multires_fraction}")
    need(cfg.residual_every >= 0, f"residual_every must be >= 0 (0: off), got {cfg.residual_every}")
    need(0 < cfg.residual_alpha <= 1, f"residual_alpha must be in (0, 1], got {cfg.residual_alpha}")
    need(
        not cfg.residual_every or cfg.init != "noise",
        "the residual mixes the images back toward the real images they started from: give a real-image init "
        "(--init first, herding, ...), or residual_every 0",
    )
    need(
        cfg.kcenter_start in KCenter.STARTS,
        f"kcenter_start must be {KCenter.said_starts()}, not {cfg.kcenter_start!r}",
    )
    need(
        cfg.batch_formation in (None, "cross-class", "class-grouped"),
        f"batch_formation must be 'cross-class' or 'class-grouped', not {cfg.batch_formation!r}",
    )
    need(cfg.batch_size > 0, "batch_size must be positive")
    need(
        isinstance(cfg.pack, int) and cfg.pack > 0,
        f"pack must be a positive integer (groups per forward), got {cfg.pack}",
    )
    lo, hi = cfg.crop_scale or (0.08, 1.0)
    need(0 < lo <= hi <= 1, f"crop_scale must satisfy 0 < min <= max <= 1, got {cfg.crop_scale}")
    need(0 <= cfg.ema_alpha < 1, "ema_alpha must be in [0, 1)")
    need(cfg.jitter is None or cfg.jitter >= 0, "jitter must be >= 0")
    need(cfg.log_every > 0 and cfg.preview_every >= 0, "log_every must be positive and preview_every >= 0")
    need(isinstance(cfg.snapshots, int) and cfg.snapshots >= 0, f"snapshots must be >= 0, got {cfg.snapshots}")
    need(cfg.precision in ("fp32", "bf16"), f"precision must be 'fp32' or 'bf16', not {cfg.precision!r}")
    need(cfg.compile in COMPILE_MODES, f"compile must be one of {', '.join(COMPILE_MODES)}, not {cfg.compile!r}")
    need(cfg.graph in GRAPHS, f"graph must be one of {', '.join(GRAPHS)}, not {cfg.graph!r}")
    need(
        cfg.graph == "teachers" or cfg.compile != "off",
        "graph 'step' is what --compile compiles: add --compile default",
    )
