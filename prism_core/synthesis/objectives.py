"""Loss terms as named, weighted objects (in the spirit of lucent's objectives).

Each term computes its unweighted value from a `StepContext`; the `Objective` weights and sums them and
reports every term (and the statistics loss per teacher) as device tensors, so logging needs no sync.
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
    stat_losses: dict[str, torch.Tensor] = field(default_factory=dict)  # per teacher in the statistics set


@dataclass
class Term:
    name: str
    weight: float = 1.0

    def value(self, ctx: StepContext) -> torch.Tensor:
        raise NotImplementedError


class CrossEntropy(Term):
    """The CE teacher's cross-entropy on the augmented batch."""

    def value(self, ctx: StepContext) -> torch.Tensor:
        return F.cross_entropy(ctx.logits.float(), ctx.targets)


class StatAlignment(Term):
    """Statistics mismatch (BN, plus conv/patch for G-VBSM) averaged over the teachers in the set."""

    def value(self, ctx: StepContext) -> torch.Tensor:
        return torch.stack(list(ctx.stat_losses.values())).mean()


@dataclass
class DataDensification(Term):
    """G-VBSM's DD: KL(softmax(eig/tau) || softmax(eig)) of each class's Gram matrix; flatter spectra, more diversity."""

    tau: float = 4.0

    def value(self, ctx: StepContext) -> torch.Tensor:
        x = F.adaptive_avg_pool2d(ctx.x_aug.float(), 32) if ctx.x_aug.shape[-1] > 32 else ctx.x_aug.float()
        total = x.new_zeros(())
        for c in torch.unique(ctx.targets):
            xc = x[ctx.targets == c].flatten(1)
            if len(xc) < 2:
                continue
            eig = torch.linalg.eigvalsh(xc @ xc.T)
            soft = F.softmax(eig.detach() / self.tau, dim=0)
            total = total + F.kl_div(F.log_softmax(eig, dim=0), soft, reduction="sum")
        return total


class TotalVariationL2(Term):
    """DeepInversion's TV prior: L2 norms of horizontal, vertical and both diagonal differences."""

    def value(self, ctx: StepContext) -> torch.Tensor:
        x = ctx.x_aug.float()
        d = [x[..., :, :-1] - x[..., :, 1:], x[..., :-1, :] - x[..., 1:, :],
             x[..., 1:, :-1] - x[..., :-1, 1:], x[..., :-1, :-1] - x[..., 1:, 1:]]
        return sum(torch.linalg.vector_norm(t) for t in d)


class PixelL2(Term):
    def value(self, ctx: StepContext) -> torch.Tensor:
        return torch.linalg.vector_norm(ctx.x_aug.float())


@dataclass
class Objective:
    terms: list[Term]

    def __call__(self, ctx: StepContext) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Total loss and a report: each weighted term, plus `stats/<teacher>` (unweighted, per teacher)."""
        report = {t.name: t.weight * t.value(ctx) for t in self.terms if t.weight}
        total = torch.stack(list(report.values())).sum()
        report.update({f"stats/{name}": v.detach() for name, v in ctx.stat_losses.items()})
        return total, {k: v.detach() for k, v in report.items()}

    def describe(self) -> str:
        return " + ".join(f"{t.weight:g}*{t.name}" for t in self.terms if t.weight)
