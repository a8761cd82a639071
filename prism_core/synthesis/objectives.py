"""Loss terms as named, weighted objects (in the spirit of lucent's objectives).

Each term computes its unweighted value from a `StepContext`, one value per group of a packed batch
(plan.py); the `Objective` weights and sums the terms over terms and groups, so each group gets the
gradient it would get alone, and reports per-group means, the numbers a group would report alone. Every
term (and the statistics loss per teacher) stays a device tensor, so logging needs no sync.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F


@dataclass
class StepContext:
    x: torch.Tensor  # the pixels being optimised (normalised space)
    x_aug: torch.Tensor  # their augmented view, as the teachers saw it
    targets: torch.Tensor
    logits: torch.Tensor  # of the CE teacher
    # per teacher in a statistics set: ((groups,) bool, the groups it served; (groups,) its loss, read where served)
    stat_losses: dict[str, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict)
    groups: int = 1
    # per group, the rows of each class within it (host ints: fixed shapes for a compiled step)
    class_rows: tuple[tuple[tuple[int, ...], ...], ...] = ()

    def per_group(self, t: torch.Tensor) -> torch.Tensor:
        """(N, ...) -> (groups, N/groups, ...)"""
        return t.view(self.groups, -1, *t.shape[1:])


def served_mean(served: torch.Tensor, losses: torch.Tensor) -> torch.Tensor:
    """A teacher's mean loss over the groups it served (the other entries are ignored, whatever they hold)."""
    return torch.where(served, losses, 0).sum() / served.sum()


@dataclass
class Term:
    name: str
    weight: float = 1.0

    def value(self, ctx: StepContext) -> torch.Tensor:
        raise NotImplementedError


class CrossEntropy(Term):
    """The CE teacher's cross-entropy on the augmented batch."""

    def value(self, ctx: StepContext) -> torch.Tensor:
        return ctx.per_group(F.cross_entropy(ctx.logits.float(), ctx.targets, reduction="none")).mean(1)


class StatAlignment(Term):
    """Statistics mismatch (BN, plus conv/patch for G-VBSM) averaged over the teachers in each group's set."""

    def value(self, ctx: StepContext) -> torch.Tensor:
        total = ctx.logits.new_zeros(ctx.groups, dtype=torch.float32)
        count = torch.zeros_like(total)
        for served, losses in ctx.stat_losses.values():
            total = total + torch.where(served, losses, 0)
            count = count + served
        return total / count


@dataclass
class BalancedStatAlignment(Term):
    """StatAlignment with every teacher on an equal footing: each teacher's loss over its own value when it first
    served the group in this batch, times the mean of those first values (so the term keeps its overall scale and
    the recipe's weight). Without it a teacher with 80 BN layers outweighs one with 20."""

    start: dict[str, torch.Tensor] = field(default_factory=dict)  # per teacher: first value per group (NaN: not yet)

    def value(self, ctx: StepContext) -> torch.Tensor:
        total = ctx.logits.new_zeros(ctx.groups, dtype=torch.float32)
        count = torch.zeros_like(total)
        for name, (served, losses) in ctx.stat_losses.items():
            ref = self.start.get(name, torch.full_like(total, float("nan")))
            self.start[name] = torch.where(served & torch.isnan(ref), losses.detach().float(), ref)
        scale = torch.nanmean(torch.stack(list(self.start.values())), dim=0)  # per group: mean first value
        for name, (served, losses) in ctx.stat_losses.items():
            ref = torch.where(served, self.start[name], 1)  # 1 where not served: no NaN reaches the gradient
            total = total + torch.where(served, losses / ref * scale, 0)
            count = count + served
        return total / count


@dataclass
class DataDensification(Term):
    """G-VBSM's DD: KL(softmax(eig/tau) || softmax(eig)) of each class's Gram matrix; flatter spectra, more
    diversity."""

    tau: float = 4.0

    def value(self, ctx: StepContext) -> torch.Tensor:
        x = F.adaptive_avg_pool2d(ctx.x_aug.float(), 32) if ctx.x_aug.shape[-1] > 32 else ctx.x_aug.float()
        values = []
        for xg, classes in zip(ctx.per_group(x), ctx.class_rows):
            total = x.new_zeros(())
            for rows in classes:
                if len(rows) < 2:
                    continue
                xc = xg[list(rows)].flatten(1)
                eig = torch.linalg.eigvalsh(xc @ xc.T)
                soft = F.softmax(eig.detach() / self.tau, dim=0)
                total = total + F.kl_div(F.log_softmax(eig, dim=0), soft, reduction="sum")
            values.append(total)
        return torch.stack(values)


class TotalVariationL2(Term):
    """DeepInversion's TV prior: L2 norms of horizontal, vertical and both diagonal differences."""

    def value(self, ctx: StepContext) -> torch.Tensor:
        x = ctx.x_aug.float()
        d = [
            x[..., :, :-1] - x[..., :, 1:],
            x[..., :-1, :] - x[..., 1:, :],
            x[..., 1:, :-1] - x[..., :-1, 1:],
            x[..., :-1, :-1] - x[..., 1:, 1:],
        ]
        return sum(torch.linalg.vector_norm(ctx.per_group(t).flatten(1), dim=1) for t in d)


class PixelL2(Term):
    """DeepInversion's L2 prior, as the official code takes it: the mean over images of each image's L2 norm."""

    def value(self, ctx: StepContext) -> torch.Tensor:
        return torch.linalg.vector_norm(ctx.per_group(ctx.x_aug.float()).flatten(2), dim=2).mean(1)


@dataclass
class Objective:
    terms: list[Term]

    def __call__(self, ctx: StepContext) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Total loss (summed over groups) and a report averaged over groups: the total, each weighted term,
        and `stats/<teacher>` (unweighted, per teacher)."""
        per_group = {t.name: t.weight * t.value(ctx) for t in self.terms if t.weight}
        total = torch.stack(list(per_group.values())).sum()
        terms = {name: v.mean() for name, v in per_group.items()}
        # the total's mean over groups, summed from the terms': as `total / groups`, inductor (torch 2.14) folds the
        # division by one group away and returns the loss itself without its gradient
        report = {"total": torch.stack(list(terms.values())).sum(), **terms}
        report.update({f"stats/{name}": served_mean(*pair) for name, pair in ctx.stat_losses.items()})
        return total, {k: v.detach() for k, v in report.items()}
