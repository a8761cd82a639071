"""A run is a deterministic batch plan: specs that any process can optimise independently.

Each spec carries its own seed, so a batch's images do not depend on which process runs it, in
which order, or whether the run was resumed: the property that resume and torchrun sharding rely on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .config import SynthConfig
from .types import BatchSpec, Method


def batch_seed(seed: int, index: int) -> int:
    return (seed * 1_000_003 + index * 7919 + 17) % (2**31)


def iterations_for(cfg: SynthConfig, k: int) -> int:
    """PRISM's varying iterations, 4000 - 500*(k mod 8), scaled so IPC index 0 gets `cfg.iterations`."""
    if not cfg.vary_iterations:
        return cfg.iterations
    return max(1, round(cfg.iterations * (4000 - 500 * (k % 8)) / 4000))


def _bn_set(cfg: SynthConfig, method: Method, draw_key: int) -> tuple[str, ...]:
    return method.bn_set(cfg, random.Random(batch_seed(cfg.seed, 10_000_000 + draw_key)))


@dataclass(frozen=True)
class _Group:
    pairs: tuple[tuple[int, int], ...]  # (class, ipc index)
    seed: int
    iterations: int
    bn_set: tuple[str, ...]


def _groups(cfg: SynthConfig, method: Method) -> list[_Group]:
    """cross-class: one image of up to batch_size classes at the same IPC index (SRe2L/PRISM);
    class-grouped: consecutive (class, k) pairs in class-major order (G-VBSM)."""
    classes = list(cfg.classes)
    if cfg.batch_formation == "cross-class":
        chunks = [
            [(c, k) for c in classes[i : i + cfg.batch_size]]
            for k in range(cfg.ipc)
            for i in range(0, len(classes), cfg.batch_size)
        ]
    else:
        pairs = [(c, k) for c in classes for k in range(cfg.ipc)]
        chunks = [pairs[i : i + cfg.batch_size] for i in range(0, len(pairs), cfg.batch_size)]
    groups = []
    for index, chunk in enumerate(chunks):
        ks = {k for _, k in chunk}
        k = min(ks)
        groups.append(
            _Group(
                tuple(chunk),
                batch_seed(cfg.seed, index),
                iterations_for(cfg, k) if len(ks) == 1 else cfg.iterations,
                # `pre` draws S once per IPC index (as the official code), shared by its chunks
                _bn_set(cfg, method, k if len(ks) == 1 else cfg.ipc + index),
            )
        )
    return groups


def make_plan(cfg: SynthConfig, method: Method) -> list[BatchSpec]:
    """Groups of the same size and iteration count are packed, in order, into batches of <= batch_size * pack
    images (pack = 1: a dataset with fewer classes than batch_size still packs its small groups)."""
    bins: dict[tuple[int, int], list[list[_Group]]] = {}
    order: list[list[_Group]] = []
    for g in _groups(cfg, method):
        open_bins = bins.setdefault((len(g.pairs), g.iterations), [])
        if not open_bins or (len(open_bins[-1]) + 1) * len(g.pairs) > cfg.batch_size * cfg.pack:
            open_bins.append([])
            order.append(open_bins[-1])
        open_bins[-1].append(g)
    return [
        BatchSpec(
            index=i,
            classes=tuple(c for g in packed for c, _ in g.pairs),
            ipc_indices=tuple(k for g in packed for _, k in g.pairs),
            iterations=packed[0].iterations,
            seeds=tuple(g.seed for g in packed),
            bn_sets=tuple(g.bn_set for g in packed),
        )
        for i, packed in enumerate(order)
    ]
