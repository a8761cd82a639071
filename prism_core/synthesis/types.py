"""What the engine, the plan and the methods share: a batch's spec, a prepared run, and the Method interface.

`Method` holds SRe2L's rules (the primary alone supplies CE and statistics), which the methods in methods.py
refine; `Prepared` carries the method object and the device, so no layer looks either up again by name.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import ClassVar

import torch

from ..data import Dataset
from ..selection import Picked
from ..teachers import Teacher
from .augment import CropFlipRoll
from .config import SynthConfig
from .hooks import TeacherStats, bn_hooks
from .objectives import CrossEntropy, Objective, PixelL2, StatAlignment, Term, TotalVariationL2


@dataclass(frozen=True)
class BatchSpec:
    """One optimisation batch: `len(seeds)` equal-size groups, each with its own seed and BN set.

    A group is what the reference code optimises as a batch (cross-class: one IPC index across the
    classes); small-class datasets pack several groups into one forward for speed (up to `batch_size`
    images), which changes no group's statistics, augmentation, BN set or loss.
    """

    index: int
    classes: tuple[int, ...]
    ipc_indices: tuple[int, ...]
    iterations: int
    seeds: tuple[int, ...]
    bn_sets: tuple[
        tuple[str, ...], ...
    ]  # PRISM's S per group (`pre`; the first draw for `intra`); G-VBSM: the backbones

    @property
    def groups(self) -> int:
        return len(self.seeds)

    def to_dict(self) -> dict:
        return asdict(self)


# Who serves a step: the CE teacher and, per group of the batch, the teachers whose statistics count.
TeacherSchedule = Callable[[int], tuple[str, list[list[str]]]]


@dataclass
class Setup:
    """What the loop optimises with, built by the method for one batch (lucent's render-loop shape)."""

    pixels: torch.Tensor  # the init, requires_grad
    optimiser: torch.optim.Optimizer
    lr_at: Callable[[int], float]  # the learning rate at a step
    augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor]
    generators: list[torch.Generator]  # one per group: its init draw and its augmentation
    objective: Objective
    teachers_at: TeacherSchedule


class Method:
    """A synthesis method. Its rules default to SRe2L's (the primary alone supplies CE and statistics), which the other
    methods refine."""

    name: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]  # one line for the CLI's help and the app
    pool_role: ClassVar[str] = ""  # what `bn_pool` means to the method ("": it takes no pool)
    options: ClassVar[tuple[str, ...]] = ()  # config fields only this method reads (the app greys out the rest)
    primary_supplies_ce: ClassVar[bool] = True  # False: the CE teacher changes per step (G-VBSM's round robin)
    optimises: ClassVar[bool] = True  # False: a selection rule, whose run is its init
    # False: the method keeps its own small-image recipe rather than the shared per-init setting (init_settings.py),
    # so a workspace's calibrated setting does not apply to it
    shares_init_setting: ClassVar[bool] = True
    # the published (ImageNet-size) recipe, and the changes tuned for small images (<= 64 px; recipes.py)
    defaults: ClassVar[dict]
    small_image: ClassVar[dict] = {}

    def recipe(self, small: bool) -> dict:
        return {**self.defaults, **(self.small_image if small else {})}

    def check(self, cfg: SynthConfig) -> None:
        """Method-specific checks of a resolved config; raise ConfigError naming the fix."""

    def bn_pool(self, cfg: SynthConfig) -> list[str]:
        """Every teacher that may supply statistics during the run (hooks are built for each)."""
        return [cfg.primary]

    def bn_set(self, cfg: SynthConfig, rng: random.Random) -> tuple[str, ...]:
        """The statistics set a group is planned with (recorded in the run); `rng` is the group's own draw."""
        return (cfg.primary,)

    def schedule(self, cfg: SynthConfig, spec: BatchSpec) -> TeacherSchedule:
        sets = [list(s) for s in spec.bn_sets]
        return lambda step: (cfg.primary, sets)

    def stat_hooks(self, p: Prepared, name: str) -> TeacherStats:
        return TeacherStats(name, bn_hooks(p.teachers[name].model.net, p.config.first_bn_multiplier))

    def stat_term(self, cfg: SynthConfig) -> Term:
        """The statistics term: the mismatch averaged over the teachers of each group's set."""
        return StatAlignment("bn", cfg.r_bn)

    def objective(self, cfg: SynthConfig) -> Objective:
        return Objective(
            [CrossEntropy("ce"), self.stat_term(cfg), TotalVariationL2("tv_l2", cfg.tv_l2), PixelL2("l2", cfg.l2)]
        )

    def setup(self, p: Prepared, spec: BatchSpec) -> Setup:
        """The references' loop pieces: per-group seeded init and augmentation, Adam (0.5, 0.9), cosine lr."""
        cfg = p.config
        gens = [torch.Generator().manual_seed(seed) for seed in spec.seeds]
        torch.manual_seed(spec.seeds[0])
        x = initial_pixels(p, spec.classes, spec.ipc_indices, gens).requires_grad_(True)
        return Setup(
            pixels=x,
            optimiser=torch.optim.Adam([x], lr=cfg.lr, betas=(0.5, 0.9), eps=1e-8),
            lr_at=lambda step: 0.5 * (1 + math.cos(math.pi * step / spec.iterations)) * cfg.lr,
            augment=CropFlipRoll(p.dataset.info.image_size, cfg.crop_scale, flip=cfg.flip, jitter=cfg.jitter),
            generators=gens,
            objective=self.objective(cfg),
            teachers_at=self.schedule(cfg, spec),
        )


@dataclass
class Prepared:
    """Everything a run needs, checked before anything is written to disk."""

    config: SynthConfig
    dataset: Dataset
    teachers: dict[str, Teacher]
    plan: list[BatchSpec]
    method: Method
    device: torch.device  # where this process optimises (torchrun: its local GPU)
    init: dict[int, Picked] | None = None  # per class, the real images a selection rule picked (None: noise)


def initial_pixels(
    p: Prepared, classes: tuple[int, ...], ipc_indices: tuple[int, ...], gens: list[torch.Generator]
) -> torch.Tensor:
    """Real init: image k of each class's selection (the rule's pick); noise init: one normal draw per group's
    generator."""
    info = p.dataset.info
    if p.init is not None:
        x = info.normalize(torch.stack([p.init[c].images01[k] for c, k in zip(classes, ipc_indices)]))
    else:
        n = len(classes) // len(gens)
        x = torch.cat([torch.randn((n, info.channels, info.image_size, info.image_size), generator=g) for g in gens])
    return x.to(p.device)
