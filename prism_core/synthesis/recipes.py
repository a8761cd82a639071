"""Recipe defaults filled into a config: each method is a configuration of the same engine, not a copy of it.

The published ImageNet values (methods.md) hold at ImageNet scale. For small images (<= 64 px, the
embedded 32 px Fashion-MNIST zoo) the augmentation is milder (crop scale 0.5-1, roll <= 2 px: a 0.08 crop
of 32 px is a 9 px patch) and the noise-init recipes were tuned so that a held-out zoo model recognises
their images (benchmarks/defaults.py measures it); the iteration budgets fit 2 CPU cores. Each method's
values live on its object (methods.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import fields

from .config import SynthConfig
from .types import Method


def resolve(cfg: SynthConfig, method: Method, image_size: int, num_classes: int) -> SynthConfig:
    """Fill every None with `method`'s default (the method `cfg` names), so the stored config is complete."""
    small = image_size <= 64
    defaults = method.recipe(small)
    changes = {f.name: defaults[f.name] for f in fields(cfg) if getattr(cfg, f.name) is None and f.name in defaults}
    if cfg.classes is None:
        changes["classes"] = tuple(range(num_classes))
    if cfg.jitter is None:
        changes["jitter"] = 2 if small else round(32 * image_size / 224)
    if cfg.crop_scale is None:
        changes["crop_scale"] = (0.5, 1.0) if small else (0.08, 1.0)
    return cfg.replace(**changes)


def pool_within(cfg: SynthConfig, method: Method, teachers: Collection[str]) -> SynthConfig:
    """`cfg` with the method's default BN pool cut to `teachers` (a workspace's zoo); a pool the user named is kept as
    named, and refused later if the zoo lacks one of it."""
    pool = method.defaults.get("bn_pool")
    if cfg.bn_pool is not None or not pool:
        return cfg
    return cfg.replace(bn_pool=tuple(t for t in pool if t in teachers))
