"""RandomResizedCrop boxes drawn from a seeded generator: the synthesis augmentation, the relabel's crops and RDED's
patches all draw them here."""

from __future__ import annotations

import math

import torch


def sample_crop(
    height: int, width: int, scale: tuple[float, float], ratio: tuple[float, float], gen: torch.Generator
) -> tuple[int, int, int, int]:
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
    w, h = (
        (width, round(width / ratio[0]))
        if in_ratio < ratio[0]
        else (round(height * ratio[1]), height)
        if in_ratio > ratio[1]
        else (width, height)
    )
    return (height - h) // 2, (width - w) // 2, h, w
