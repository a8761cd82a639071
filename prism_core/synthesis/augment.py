"""The references' augmentation: one RandomResizedCrop and flip shared by the whole batch, then a roll.

Parameters come from a seeded generator so that a batch's trajectory is reproducible.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


def sample_crop(height: int, width: int, scale: tuple[float, float], ratio: tuple[float, float],
                gen: torch.Generator) -> tuple[int, int, int, int]:
    """(top, left, h, w) of a RandomResizedCrop, following torchvision's get_params, drawn from `gen`
    (synthesis crops a whole batch with one draw; the relabel, each image with its own)."""
    def uniform(lo: float, hi: float) -> float:
        return lo + (hi - lo) * float(torch.rand((), generator=gen))

    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = area * uniform(*scale)
        aspect = math.exp(uniform(*log_ratio))
        w, h = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
        if 0 < w <= width and 0 < h <= height:
            top = int(torch.randint(0, height - h + 1, (), generator=gen))
            left = int(torch.randint(0, width - w + 1, (), generator=gen))
            return top, left, h, w
    in_ratio = width / height  # fall back to a central crop, as torchvision does
    w, h = (width, round(width / ratio[0])) if in_ratio < ratio[0] else \
           (round(height * ratio[1]), height) if in_ratio > ratio[1] else (width, height)
    return (height - h) // 2, (width - w) // 2, h, w


@dataclass(frozen=True)
class CropFlipRoll:
    size: int
    scale: tuple[float, float] = (0.08, 1.0)
    ratio: tuple[float, float] = (3 / 4, 4 / 3)
    flip: bool = True
    jitter: int = 0

    def sample(self, height: int, width: int, gen: torch.Generator) -> tuple[int, int, int, int, bool, int, int]:
        """(top, left, h, w, flip, dy, dx)."""
        crop = sample_crop(height, width, self.scale, self.ratio, gen)
        flip = self.flip and bool(torch.rand((), generator=gen) < 0.5)
        dy = int(torch.randint(0, self.jitter + 1, (), generator=gen)) if self.jitter else 0
        dx = int(torch.randint(0, self.jitter + 1, (), generator=gen)) if self.jitter else 0
        return (*crop, flip, dy, dx)

    def __call__(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        top, left, h, w, flip, dy, dx = self.sample(x.shape[-2], x.shape[-1], gen)
        x = x[..., top:top + h, left:left + w]
        if (h, w) != (self.size, self.size):
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
        if flip:
            x = x.flip(-1)
        if dy or dx:
            x = torch.roll(x, shifts=(dy, dx), dims=(-2, -1))
        return x
