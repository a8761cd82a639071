"""The reference-style loop: the public recover loops' structure (gpu-anchors.md) on the same pixels, loss and
augmentation as the engine, so that a ratio between the two measures execution alone."""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..synthesis import Prepared
from ..synthesis.augment import CropFlipRoll
from ..synthesis.types import initial_pixels
from ..teachers import create_teacher


class _ReferenceBNHook:
    """The public loops' BN hook: mean over (N, H, W), then the variance of a (C, N*H*W) copy."""

    def __init__(self, module: nn.BatchNorm2d):
        self.module, self.loss = module, None
        self.handle = module.register_forward_hook(self)

    def __call__(self, module, inputs, output):
        x = inputs[0]
        mean = x.mean([0, 2, 3])
        var = x.permute(1, 0, 2, 3).contiguous().reshape(x.shape[1], -1).var(1, unbiased=False)
        self.loss = torch.norm(module.running_mean - mean, 2) + torch.norm(module.running_var - var, 2)


def reference_models(p: Prepared) -> tuple[nn.Module, dict[str, nn.Module]]:
    """The reference's own instances: the logit teacher, and one more per BN teacher of the plan (PRISM's
    public code loads them once, before its loop; the bench builds them outside the timed region)."""
    cfg, info = p.config, p.dataset.info
    fresh = lambda name: create_teacher(name, info, weights=cfg.weights, device=torch.device(cfg.device)).model  # noqa: E731
    names = dict.fromkeys(n for b in p.plan for s in b.bn_sets for n in s) if cfg.method == "prism" else {}
    return fresh(cfg.primary), {name: fresh(name) for name in names}


def reference_loop(
    p: Prepared, steps: int, models: tuple[nn.Module, dict[str, nn.Module]] | None = None
) -> Iterator[float]:
    """Optimise p's plan, one IPC index per batch, in the public loops' style; yields each step's loss."""
    cfg, info = p.config, p.dataset.info
    assert cfg.method in ("sre2l", "prism"), "the reference loop is SRe2L's / PRISM's"
    device = torch.device(cfg.device)
    ce_model, bn_instances = models or reference_models(p)
    augment = CropFlipRoll(info.image_size, cfg.crop_scale, flip=cfg.flip, jitter=cfg.jitter)
    for spec in p.plan:
        n = len(spec.classes) // spec.groups
        for g in range(spec.groups):  # the reference optimises each group as its own batch
            # SRe2L's loop uses its one teacher for both terms; PRISM's loads one instance per BN role
            bn_models = [bn_instances[name] for name in spec.bn_sets[g]] if cfg.method == "prism" else [ce_model]
            hooks = [
                [_ReferenceBNHook(m) for m in model.modules() if isinstance(m, nn.BatchNorm2d)] for model in bn_models
            ]
            gen = torch.Generator().manual_seed(spec.seeds[g])
            rows = slice(g * n, (g + 1) * n)
            x = initial_pixels(p, spec.classes[rows], spec.ipc_indices[rows], [gen]).requires_grad_(True)
            targets = torch.tensor(spec.classes[rows], device=device)
            lo, hi = info.pixel_bounds(x)
            opt = torch.optim.Adam([x], lr=cfg.lr, betas=(0.5, 0.9), eps=1e-8)
            for step in range(steps):
                for group in opt.param_groups:
                    group["lr"] = 0.5 * (1 + math.cos(math.pi * step / steps)) * cfg.lr
                x_aug = augment(x, gen)
                ce = F.cross_entropy(ce_model(x_aug), targets)
                per_teacher = []
                for model, model_hooks in zip(bn_models, hooks):
                    if model is not ce_model:
                        model(x_aug)
                    per_teacher.append(
                        sum((cfg.first_bn_multiplier if i == 0 else 1.0) * h.loss for i, h in enumerate(model_hooks))
                    )
                loss = ce + cfg.r_bn * sum(per_teacher) / len(per_teacher)
                opt.zero_grad()
                loss.backward()
                opt.step()
                with torch.no_grad():
                    for c in range(info.channels):  # the public per-channel clip
                        x[:, c] = x[:, c].clamp(float(lo.flatten()[c]), float(hi.flatten()[c]))
                yield loss.item()  # the per-step host sync
            for model_hooks in hooks:
                for h in model_hooks:
                    h.handle.remove()
