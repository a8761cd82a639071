"""Quantisation to 8 bits: exactly what a saved PNG (and a preview) holds."""

from __future__ import annotations

import torch


def to_uint8(x01: torch.Tensor) -> torch.Tensor:
    """[0, 1] floats (any shape, any device) -> uint8 on the same device, rounded to the nearest level."""
    return (x01.clamp(0, 1) * 255).round().to(torch.uint8)
