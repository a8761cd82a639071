"""Which BN teachers supervise a batch (PRISM's set S), drawn from a seeded generator and recorded."""

from __future__ import annotations

import random
from collections.abc import Sequence


def draw_bn_set(
    primary: str, bn_pool: Sequence[str], rule: str, k: int, include_primary: bool, rng: random.Random
) -> list[str]:
    """official: S = {primary} + 3 slots, each filled with p=0.5 by a distinct pool model (methods.md 5.2).
    k: S = {primary} + (k-1) distinct pool models, or k pool models when the primary is excluded.
    With the primary excluded, S is never empty: an empty official draw takes one pool model.
    """
    others = [m for m in bn_pool if m != primary]
    chosen: list[str] = []
    if rule == "official":
        for _ in range(3):
            if rng.random() < 0.5 and len(chosen) < len(others):
                chosen.append(rng.choice([m for m in others if m not in chosen]))
    else:
        want = k if not include_primary else k - 1
        chosen = rng.sample(others, min(want, len(others)))
    if not include_primary and not chosen and others:
        chosen = [rng.choice(others)]
    return ([primary] if include_primary else []) + chosen
