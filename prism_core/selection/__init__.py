"""Real-image selection: coreset rules and RDED, as selection runs and as the init of a synthesis."""

from __future__ import annotations

import numpy as np
import torch

from ..data import get_dataset
from .rded import RDED
from .rules import (
    CCS,
    Candidates,
    Difficulty,
    Easy,
    First,
    Herding,
    KCenter,
    Picked,
    Random,
    Rule,
    SelectionError,
    Selector,
    too_few_candidates,
)

RULES: dict[str, Rule] = {
    r.name: r for r in (First(), Random(), Herding(), KCenter(), Easy(), Difficulty(), CCS(), RDED())
}
DEFAULT_SELECTOR = "regnetx_002"  # in the embedded zoo: neither the soft-label teacher (resnet18) nor the extractor


def register_rule(rule: Rule) -> Rule:
    """Add a rule: `--init` and, through a selection method, `--method` offer it from then on."""
    RULES[rule.name] = rule
    return rule


def get_rule(name: str) -> Rule:
    if name not in RULES:
        raise SelectionError(f"selection rule must be one of {', '.join(RULES)}, not {name!r}")
    return RULES[name]


def random_real_subset(dataset_name: str, classes: list[int], ipc: int, seed: int) -> tuple[torch.Tensor, np.ndarray]:
    """The random rule's images of the classes, stacked, with their labels: the random-real baseline."""
    picked = RULES["random"].pick(get_dataset(dataset_name).split("train"), classes, ipc, seed, None)
    return torch.cat([picked[c].images01 for c in classes]), np.repeat(classes, ipc)


__all__ = [
    "RULES",
    "DEFAULT_SELECTOR",
    "Rule",
    "Picked",
    "Candidates",
    "Selector",
    "SelectionError",
    "too_few_candidates",
    "get_rule",
    "register_rule",
    "random_real_subset",
    "First",
    "Random",
    "Herding",
    "KCenter",
    "Easy",
    "Difficulty",
    "CCS",
    "RDED",
]
