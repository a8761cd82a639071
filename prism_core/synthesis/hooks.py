"""Feature-statistics hooks: each hooked layer reports how far the synthetic batch's statistics are
from its targets, as un-squared L2 norms (methods.md section 0).

A forward may carry several equal-size groups (packed batches, see plan.py); statistics and losses are
then per group, exactly as if each group had been forwarded alone.

`StatHook`s live only inside `attached(...)`, which always removes them: no hook outlives a run. Within a
run they stay attached and are switched on per forward (`forward_with_stats`), which is also what lets a
compiled forward keep them: Dynamo traces the hooks into the teacher's graph and returns their losses.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache

import torch
import torch.nn as nn
import torch.nn.functional as F

PATCH = 16


@lru_cache(maxsize=64)
def _upsample_moments(h: int, w: int, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    """For a map of at most 16x16 bilinearly resized to one 16x16 patch (a linear map U), the pixel mean is
    a @ u and the pixel second moment a @ M @ a, with u = mean(U) and M = U U^T / 256."""
    basis = torch.eye(h * w, device=device).view(h * w, 1, h, w)
    up = F.interpolate(basis, size=(PATCH, PATCH), mode="bilinear", align_corners=False).flatten(1)  # (hw, 256)
    return up.mean(1), up @ up.T / up.shape[1]


def patch_stats(a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """G-VBSM's patch statistics: resize up to a multiple of 16, then mean/var per 16x16 grid cell."""
    n, c, h, w = a.shape
    gh, gw = math.ceil(h / PATCH), math.ceil(w / PATCH)
    if gh == gw == 1 and (h, w) != (PATCH, PATCH):  # one patch: the same numbers without materialising 256 pixels
        u, m = _upsample_moments(h, w, str(a.device))
        flat = a.reshape(n * c, h * w)
        mean = (flat @ u).mean()
        second = ((flat @ m) * flat).sum(1).mean()
        return mean.view(1), (second - mean * mean).view(1)
    if (gh * PATCH, gw * PATCH) != (h, w):
        a = F.interpolate(a, size=(gh * PATCH, gw * PATCH), mode="bilinear", align_corners=False)
    cells = a.reshape(n, c, gh, PATCH, gw, PATCH).permute(2, 4, 0, 1, 3, 5).reshape(gh * gw, -1)
    var, mean = torch.var_mean(cells, dim=1, unbiased=False)
    return mean, var


def layer_stats(a: torch.Tensor, patches: bool, groups: int = 1) -> list[torch.Tensor]:
    """Per group (rows of the result): channel mean and biased variance over (N, H, W); with `patches`,
    also the patch mean and variance."""
    var, mean = torch.var_mean(a.view(groups, -1, *a.shape[1:]), dim=(1, 3, 4), unbiased=False)
    if not patches:
        return [mean, var]
    pmean, pvar = zip(*(patch_stats(part) for part in a.chunk(groups)))
    return [mean, var, torch.stack(pmean), torch.stack(pvar)]


class StatHook:
    """Forward hook computing sum_i ||stat_i - target_i||_2 for one layer's input, per group.

    `groups` is how many groups the next forward carries (set through `TeacherStats.expect`).
    With `ema_alpha`, the matched statistic is G-VBSM's straight-through EMA:
    ema_t = a*ema_{t-1} + (1-a)*s_t (no gradient), used as ema_t + (s_t - s_t.detach()).
    """

    def __init__(
        self,
        module: nn.Module,
        targets: Sequence[torch.Tensor],
        patches: bool,
        multiplier: float = 1.0,
        ema_alpha: float | None = None,
    ):
        self.module, self.targets, self.patches = module, list(targets), patches
        self.multiplier, self.ema_alpha = multiplier, ema_alpha
        self.ema: list[torch.Tensor] | None = None  # assumes the same groups every step (G-VBSM: one per batch)
        self.loss: torch.Tensor | None = None
        self.groups = 1
        self.active = True  # off: the teacher is forwarded for its logits only
        self.handle = None

    def __call__(self, module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        if not self.active:
            return
        stats = layer_stats(inputs[0].float(), self.patches, self.groups)
        if self.ema_alpha is not None:
            detached = [s.detach() for s in stats]
            a = self.ema_alpha
            self.ema = detached if self.ema is None else [a * e + (1 - a) * s for e, s in zip(self.ema, detached)]
            stats = [e + (s - s.detach()) for e, s in zip(self.ema, stats)]
        loss = sum(torch.linalg.vector_norm(s - t.to(s), dim=-1) for s, t in zip(stats, self.targets))
        self.loss = self.multiplier * loss

    def reset(self) -> None:
        self.ema, self.loss = None, None


def bn_hooks(model: nn.Module, first_multiplier: float, ema_alpha: float | None = None) -> list[StatHook]:
    """One hook per BatchNorm2d, matched to its running statistics; the first one weighted x first_multiplier."""
    layers = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    return [
        StatHook(
            m,
            [m.running_mean, m.running_var],
            patches=False,
            multiplier=first_multiplier if i == 0 else 1.0,
            ema_alpha=ema_alpha,
        )
        for i, m in enumerate(layers)
    ]


class TeacherStats:
    """All hooks of one teacher; `take()` returns the summed loss of the last forward (one value per group)
    and clears it."""

    def __init__(self, name: str, hooks: list[StatHook]):
        self.name, self.hooks = name, hooks

    def expect(self, groups: int, active: bool = True) -> None:
        for h in self.hooks:
            h.groups, h.active = groups, active

    def take(self) -> torch.Tensor:
        losses = [h.loss for h in self.hooks if h.loss is not None]
        if not losses:
            raise RuntimeError(
                f"teacher {self.name}: no statistics were captured (was it forwarded inside attached()?)"
            )
        for h in self.hooks:
            h.loss = None
        return torch.stack(losses).sum(0)

    def reset(self) -> None:
        for h in self.hooks:
            h.reset()


def forward_with_stats(
    model: nn.Module, stats: TeacherStats | None, x: torch.Tensor, groups: int, with_stats: bool
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One teacher forward: its logits and, `with_stats`, its statistics loss per group (hooks attached).

    The unit that `--compile` compiles: the statistics are returned, not read from the hooks afterwards, so
    they are computed inside the compiled graph."""
    if stats is None:
        return model(x), None
    stats.expect(groups, active=with_stats)
    logits = model(x)
    loss = stats.take() if with_stats else None
    stats.expect(1, active=True)
    return logits, loss


@contextmanager
def attached(stats: Sequence[TeacherStats]) -> Iterator[Sequence[TeacherStats]]:
    """Register every hook for the duration of the block; remove them all on any exit."""
    handles = []
    try:
        for ts in stats:
            for h in ts.hooks:
                h.handle = h.module.register_forward_hook(h)
                handles.append(h.handle)
        yield stats
    finally:
        for handle in handles:
            handle.remove()
        for ts in stats:
            for h in ts.hooks:
                h.handle = None
