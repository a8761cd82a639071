"""G-VBSM's reference statistics: conv-input channel and patch mean/variance over real training data.

Computed once per teacher as the dataset average of per-batch statistics (batches of 256 with
RandomResizedCrop + flip, as the reference), cached on disk keyed by teacher name and weights hash.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import load_file, save_file

from ..atomic import replacing
from ..data import Dataset
from ..taps import layer_inputs
from ..teachers import Teacher
from .augment import CropFlipRoll
from .hooks import layer_stats

CACHE_DIR = Path(os.environ.get("PRISM_CACHE_DIR", Path.home() / ".cache" / "prism_studio"))


def conv_layers(model: nn.Module) -> list[nn.Conv2d]:
    return [m for m in model.modules() if isinstance(m, nn.Conv2d)]


@torch.no_grad()
def conv_reference_stats(
    teacher: Teacher, dataset: Dataset, n_images: int, seed: int = 0, device: str = "cpu"
) -> list[list[torch.Tensor]]:
    """Per conv layer: [channel mean, channel var, patch mean, patch var] of its input on real data."""
    info = dataset.info
    where = info.name.replace("/", "_").replace(":", "_")
    key = f"{teacher.name}_{teacher.weights_sha256[:16]}_{where}_{n_images}_{seed}"
    path = CACHE_DIR / "conv_stats" / f"{key}.safetensors"
    layers = conv_layers(teacher.model.net)
    if path.is_file():
        flat = load_file(str(path))
        return [[flat[f"{i}.{j}"] for j in range(4)] for i in range(len(layers))]
    split = dataset.split("train")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(split))[:n_images]
    gen = torch.Generator().manual_seed(seed)
    augment = CropFlipRoll(info.image_size)
    sums: list[list[torch.Tensor]] | None = None
    captured: list[list[torch.Tensor]] = []
    with layer_inputs(layers, lambda i, m, a: captured.append([s[0] for s in layer_stats(a.float(), True)])):
        batches = [order[i : i + 256] for i in range(0, len(order), 256)]
        for idx in batches:
            captured.clear()
            x = augment(info.normalize(split.load(idx)), gen).to(device)
            teacher.model(x)
            weight = len(idx) / len(order)
            if sums is None:
                sums = [[s * weight for s in stats] for stats in captured]
            else:
                sums = [[a + s * weight for a, s in zip(acc, stats)] for acc, stats in zip(sums, captured)]
    result = [[s.cpu() for s in stats] for stats in sums]
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp:
        save_file({f"{i}.{j}": s.contiguous() for i, stats in enumerate(result) for j, s in enumerate(stats)}, str(tmp))
    return result
