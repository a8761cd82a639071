"""A run is a deterministic batch plan: specs that any process can optimise independently.

Each spec carries its own seed, so a batch's images do not depend on which process runs it, in
which order, or whether the run was resumed: the property that resume and torchrun sharding rely on.
"""
from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from .config import SynthConfig
from .selection import draw_bn_set


@dataclass(frozen=True)
class BatchSpec:
    index: int
    classes: tuple[int, ...]
    ipc_indices: tuple[int, ...]
    seed: int
    iterations: int
    bn_set: tuple[str, ...]  # PRISM's S for `pre` selection (the first draw for `intra`); G-VBSM: the backbones

    def to_dict(self) -> dict:
        return asdict(self)


def batch_seed(seed: int, index: int) -> int:
    return (seed * 1_000_003 + index * 7919 + 17) % (2**31)


def iterations_for(cfg: SynthConfig, k: int) -> int:
    """PRISM's varying iterations, 4000 - 500*(k mod 8), scaled so IPC index 0 gets `cfg.iterations`."""
    if not cfg.vary_iterations:
        return cfg.iterations
    return max(1, round(cfg.iterations * (4000 - 500 * (k % 8)) / 4000))


def _bn_set(cfg: SynthConfig, draw_key: int) -> tuple[str, ...]:
    if cfg.method == "sre2l":
        return (cfg.primary,)
    if cfg.method == "gvbsm":
        return tuple(cfg.bn_pool)
    rng = random.Random(batch_seed(cfg.seed, 10_000_000 + draw_key))
    return tuple(draw_bn_set(cfg.primary, cfg.bn_pool, cfg.subset_rule, cfg.subset_k, cfg.include_primary, rng))


def make_plan(cfg: SynthConfig) -> list[BatchSpec]:
    """cross-class: one image of up to batch_size classes at the same IPC index (SRe2L/PRISM);
    class-grouped: consecutive (class, k) pairs in class-major order (G-VBSM)."""
    classes = list(cfg.classes)
    groups: list[list[tuple[int, int]]] = []
    if cfg.batch_formation == "cross-class":
        for k in range(cfg.ipc):
            for i in range(0, len(classes), cfg.batch_size):
                groups.append([(c, k) for c in classes[i:i + cfg.batch_size]])
    else:
        pairs = [(c, k) for c in classes for k in range(cfg.ipc)]
        groups = [pairs[i:i + cfg.batch_size] for i in range(0, len(pairs), cfg.batch_size)]
    plan = []
    for index, group in enumerate(groups):
        ks = [k for _, k in group]
        same_k = len(set(ks)) == 1
        plan.append(BatchSpec(
            index=index,
            classes=tuple(c for c, _ in group),
            ipc_indices=tuple(ks),
            seed=batch_seed(cfg.seed, index),
            iterations=iterations_for(cfg, ks[0]) if same_k else cfg.iterations,
            # `pre` draws S once per IPC index (as the official code), shared by that index's batches
            bn_set=_bn_set(cfg, ks[0] if same_k else cfg.ipc + index),
        ))
    return plan
