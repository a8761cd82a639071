"""Architectural-prior fit: how far a run's images are from each teacher's BN running statistics, per layer
(the quantity PRISM optimises, measured on teachers inside and outside the synthesis)."""

from __future__ import annotations

import torch

from ..data import DatasetInfo
from ..taps import layer_inputs
from ..teachers import Teacher


@torch.no_grad()
def bn_mismatch(teacher: Teacher, images01: torch.Tensor, info: DatasetInfo) -> list[float]:
    """Per BN layer: ||mu - running_mean||_2 + ||var - running_var||_2 over the whole image set (no augmentation)."""
    layers = teacher.bn_layers
    out: dict[int, float] = {}

    def mismatch(i: int, module: torch.nn.Module, a: torch.Tensor) -> None:
        var, mean = torch.var_mean(a.float(), dim=(0, 2, 3), unbiased=False)
        out[i] = float(
            torch.linalg.vector_norm(mean - module.running_mean) + torch.linalg.vector_norm(var - module.running_var)
        )

    with layer_inputs(layers, mismatch):
        device = next(teacher.model.parameters()).device
        teacher.model(info.normalize(images01).to(device))
    return [out[i] for i in range(len(layers))]
