"""One optimisation step's loss: the augmentation, the teacher forwards with their statistics, and the loss terms.

`step_loss` is the loop's body up to the backward pass. Eager, a teacher that serves only some groups of a packed
batch is forwarded on those groups alone. Compiled, every served teacher sees the whole batch (one static shape) and
which groups count is a mask tensor; with `graph="step"` the whole function is one graph (compiled.compiled_step),
which then depends only on the CE teacher and the set of teachers served, not on which groups drew them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn as nn

from .augment import CropFlipRoll
from .hooks import TeacherStats
from .objectives import Objective, StepContext


@dataclass(frozen=True)
class Served:
    """A teacher's share of one step."""

    mask: torch.Tensor  # (groups,) bool: the groups whose statistics loss it supplies
    rows: torch.Tensor | None  # their indices, to forward it on those groups only; None: on the whole batch


class Shares:
    """Each step's `Served` record per teacher, made once per batch and pattern (a host-to-device copy syncs a GPU)."""

    def __init__(self, groups: int, device: torch.device, whole_batch: bool):
        self.groups, self.device, self.whole_batch = groups, device, whole_batch
        self.made: dict[tuple[tuple[int, ...], bool], Served] = {}

    def of(self, bn_sets: list[list[str]], ce_name: str) -> dict[str, Served]:
        """Per teacher in any group's set, the groups it serves (the CE teacher's forward is always whole)."""
        served = {}
        for name in dict.fromkeys(sum(bn_sets, [])):
            rows = tuple(g for g, bn_set in enumerate(bn_sets) if name in bn_set)
            whole = self.whole_batch or len(rows) == self.groups or name == ce_name
            if (rows, whole) not in self.made:
                index = torch.tensor(rows, device=self.device)
                mask = torch.zeros(self.groups, dtype=torch.bool, device=self.device).index_fill(0, index, True)
                self.made[rows, whole] = Served(mask, None if whole else index)
            served[name] = self.made[rows, whole]
        return served


@dataclass(frozen=True)
class StepInputs:
    """What the host decides for a step: the augmentation's draws, the CE teacher and who serves which group."""

    draws: torch.Tensor  # (groups, 7): CropFlipRoll.draw
    ce_name: str
    served: dict[str, Served]


@dataclass(frozen=True)
class StepModels:
    """What a batch's steps share: the teachers with their hooks, the terms and the augmentation."""

    models: dict[str, nn.Module]
    stats: dict[str, TeacherStats]
    objective: Objective
    augment: CropFlipRoll
    forward: Callable  # forward_with_stats, or its compiled form (graph="teachers")
    bf16: bool
    channels_last: bool


def step_loss(
    m: StepModels,
    x: torch.Tensor,
    targets: torch.Tensor,
    class_rows: tuple[tuple[tuple[int, ...], ...], ...],
    s: StepInputs,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The total loss (summed over groups) and its report; bf16 for the teachers' forwards only (hooks, CE and the
    other terms read fp32 values)."""
    groups = s.draws.shape[0]
    x_aug = m.augment.apply(x, s.draws)
    if m.channels_last:
        x_aug = x_aug.contiguous(memory_format=torch.channels_last)
    with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=m.bf16):
        # one forward serves CE and, if the CE teacher is in a set, its own statistics term
        ce = m.models[s.ce_name]
        logits, ce_stats = m.forward(ce, m.stats.get(s.ce_name), x_aug, groups, s.ce_name in s.served)
        stat_losses = {}
        for name, share in s.served.items():
            if name == s.ce_name:
                losses = ce_stats
            elif share.rows is None:
                losses = m.forward(m.models[name], m.stats[name], x_aug, groups, True)[1]
            else:
                part = x_aug.view(groups, -1, *x_aug.shape[1:])[share.rows].flatten(0, 1)
                some = m.forward(m.models[name], m.stats[name], part, len(share.rows), True)[1]
                losses = some.new_zeros(groups).index_copy(0, share.rows, some)
            stat_losses[name] = (share.mask, losses)
    return m.objective(StepContext(x, x_aug, targets, logits, stat_losses, groups, class_rows))
