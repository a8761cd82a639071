"""The references' augmentation: one RandomResizedCrop and flip shared by the whole batch, then a roll.

Parameters come from a seeded generator so that a batch's trajectory is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..crops import sample_crop


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
        x = x[..., top : top + h, left : left + w]
        if (h, w) != (self.size, self.size):
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
        if flip:
            x = x.flip(-1)
        if dy or dx:
            x = torch.roll(x, shifts=(dy, dx), dims=(-2, -1))
        return x
