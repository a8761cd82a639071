"""The references' augmentation: one RandomResizedCrop and flip shared by a group, then a roll.

Parameters come from a seeded generator so that a batch's trajectory is reproducible. The transform has two forms:
the public code's (`__call__`: slice, resize; a shape that changes with every draw, which the bench's reference loop
keeps) and the engine's (`apply`: the same bilinear resampling as two matrix products of fixed shapes, built from the
drawn parameters as tensors, so a compiled step traces it once). They agree to float rounding (tested).
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

    def draw(self, height: int, width: int, gens: list[torch.Generator], steps: int = 1) -> torch.Tensor:
        """`steps` draws from each group's generator, in the order the steps take them, as a (steps, groups, 7) CPU
        tensor: row `step` is what `apply` takes at that step."""
        rows = [[self.sample(height, width, g) for g in gens] for _ in range(steps)]
        return torch.tensor(rows, dtype=torch.float32)

    def apply(self, x: torch.Tensor, draws: torch.Tensor) -> torch.Tensor:
        """Group g of `x` (equal chunks along the batch) cropped, resized, flipped and rolled by `draws[g]`: per
        group, rows R_y (size x H) and columns R_x (size x W) of bilinear weights, and out = R_y @ image @ R_x^T."""
        groups = draws.shape[0]
        top, left, h, w, flip, dy, dx = draws.unbind(1)
        rows = self._resampling(top, h, dy, torch.zeros_like(flip), x.shape[-2])
        cols = self._resampling(left, w, dx, flip, x.shape[-1])
        xg = x.reshape(groups, -1, *x.shape[-2:])
        out = rows.unsqueeze(1) @ xg @ cols.transpose(1, 2).unsqueeze(1)
        return out.reshape(*x.shape[:-2], self.size, self.size)

    def _resampling(
        self, start: torch.Tensor, length: torch.Tensor, shift: torch.Tensor, flip: torch.Tensor, full: int
    ) -> torch.Tensor:
        """(groups, size, full): output index -> weights over input pixels, as F.interpolate's bilinear resize
        (align_corners=False) of the window [start, start + length) computes them, then flipped and rolled."""
        out = torch.arange(self.size, device=start.device, dtype=torch.float32)
        rolled = torch.remainder(out - shift[:, None], self.size)  # roll: output i shows pre-roll (i - shift)
        index = torch.where(flip[:, None] > 0, self.size - 1 - rolled, rolled)  # flip before the roll
        length = length[:, None]
        src = ((index + 0.5) * (length / self.size) - 0.5).clamp(min=0)
        src = torch.minimum(src, length - 1)
        low = src.floor()
        frac = src - low
        high = torch.minimum(low + 1, length - 1)
        start = start[:, None]
        hot = lambda i: F.one_hot((start + i).long(), full).float()  # noqa: E731
        return hot(low) * (1 - frac)[..., None] + hot(high) * frac[..., None]
