"""Online FKD-style relabelling: the teachers label exactly the crops, flips and CutMix the student sees,
so no soft-label files are stored; the mixing parameters are recorded so a run can be replayed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..crops import sample_crop


@dataclass(frozen=True)
class MixConfig:
    crop_scale: tuple[float, float] = (0.25, 1.0)
    flip: bool = True
    cutmix_alpha: float = 1.0  # lambda ~ Beta(alpha, alpha); 0 disables CutMix


def random_resized_crops(
    x: torch.Tensor,
    scale: tuple[float, float],
    flip: bool,
    gen: torch.Generator,
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
) -> tuple[torch.Tensor, list[tuple]]:
    """Per-image RandomResizedCrop (+ flip), as the FKD relabel; returns the crops and their boxes."""
    n, _, h, w = x.shape
    out, boxes = torch.empty_like(x), []
    for i in range(n):
        box = sample_crop(h, w, scale, ratio, gen)
        top, left, ch, cw = box
        crop = F.interpolate(
            x[i : i + 1, :, top : top + ch, left : left + cw], size=(h, w), mode="bilinear", align_corners=False
        )
        flipped = flip and bool(torch.rand((), generator=gen) < 0.5)
        out[i] = crop[0].flip(-1) if flipped else crop[0]
        boxes.append((*box, flipped))
    return out, boxes


def cutmix(x: torch.Tensor, alpha: float, gen: torch.Generator) -> tuple[torch.Tensor, dict]:
    """One box and one lambda for the whole batch, plus a permutation (as FKD's CutMix)."""
    if alpha <= 0:
        return x, {}
    lam = float(np.random.default_rng(int(torch.randint(0, 2**31, (), generator=gen))).beta(alpha, alpha))
    n, _, h, w = x.shape
    perm = torch.randperm(n, generator=gen)
    cut_h, cut_w = int(h * math.sqrt(1 - lam)), int(w * math.sqrt(1 - lam))
    cy, cx = int(torch.randint(0, h, (), generator=gen)), int(torch.randint(0, w, (), generator=gen))
    y0, y1, x0, x1 = max(cy - cut_h // 2, 0), min(cy + cut_h // 2, h), max(cx - cut_w // 2, 0), min(cx + cut_w // 2, w)
    mixed = x.clone()
    mixed[:, :, y0:y1, x0:x1] = x[perm][:, :, y0:y1, x0:x1]
    return mixed, {"lam": lam, "box": (y0, y1, x0, x1), "perm": perm.tolist()}


def student_view(x01: torch.Tensor, cfg: MixConfig, gen: torch.Generator) -> tuple[torch.Tensor, dict]:
    """The augmented batch the student (and the relabelling teachers) see, with its replay record."""
    crops, boxes = random_resized_crops(x01, cfg.crop_scale, cfg.flip, gen)
    mixed, mix = cutmix(crops, cfg.cutmix_alpha, gen)
    return mixed, {"crops": boxes, "cutmix": mix}


class SoftLabeler(nn.Module):
    """Ensemble soft labels with G-VBSM's rule: mean_m(Z_m / ||Z_m||_F * mean_m' ||Z_m'||_F).

    With one teacher this is its raw logits."""

    def __init__(self, teachers: Sequence[nn.Module]):
        super().__init__()
        self.teachers = nn.ModuleList(teachers)

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = [t.eval()(x).float() for t in self.teachers]
        if len(logits) == 1:
            return logits[0]
        norms = torch.stack([z.norm() for z in logits])
        return torch.stack([z / n * norms.mean() for z, n in zip(logits, norms)]).mean(0)
