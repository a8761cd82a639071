"""Penultimate features of any registry teacher: the input of its last Linear layer (works for timm and
torchvision classifiers alike, whatever their head looks like)."""

from __future__ import annotations

import torch
import torch.nn as nn

from .data import DatasetInfo
from .taps import layer_inputs


def last_linear(model: nn.Module) -> nn.Linear:
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError("the feature extractor has no Linear classifier to read features from")
    return linears[-1]


@torch.no_grad()
def embed(
    model: nn.Module, images01: torch.Tensor, info: DatasetInfo, batch_size: int = 500
) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, D) float features and (N, K) logits of images in [0, 1] (normalised with the dataset's statistics first),
    from one forward each."""
    captured: list[torch.Tensor] = []
    logits: list[torch.Tensor] = []
    with layer_inputs([last_linear(model)], lambda i, m, a: captured.append(a.flatten(1).float().cpu())):
        model.eval()
        device = next(model.parameters()).device
        for i in range(0, len(images01), batch_size):
            logits.append(model(info.normalize(images01[i : i + batch_size]).to(device)).float().cpu())
    if not captured:
        return torch.empty(0), torch.empty(0)
    return torch.cat(captured), torch.cat(logits)


def extract_features(
    model: nn.Module, images01: torch.Tensor, info: DatasetInfo, batch_size: int = 500
) -> torch.Tensor:
    """(N, D) float features of images in [0, 1]."""
    return embed(model, images01, info, batch_size)[0]
