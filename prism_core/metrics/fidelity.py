"""Fidelity to real data, per class in feature space (Naeem et al. 2020), so that "diverse" cannot mean
"noise": precision/density (synthetic images inside the real manifold), recall/coverage (real modes
reached), plus the mean cosine similarity of each synthetic image to its nearest real image."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .records import Fidelity


def _kth_radius(x: torch.Tensor, k: int) -> torch.Tensor:
    d = torch.cdist(x, x)
    k = min(k, len(x) - 1)
    return d.topk(k + 1, largest=False).values[:, -1]  # +1 skips the point itself


def prdc(real: torch.Tensor, fake: torch.Tensor, k: int = 5) -> Fidelity:
    real, fake = real.float(), fake.float()
    r_real = _kth_radius(real, k)
    d = torch.cdist(real, fake)  # (R, F)
    inside = d <= r_real[:, None]
    precision = inside.any(0).float().mean()
    density = inside.float().sum(0).mean() / min(k, len(real) - 1)
    r_fake = _kth_radius(fake, k) if len(fake) > 1 else torch.full((1,), float("inf"))
    recall = (d.T <= r_fake[:, None]).any(0).float().mean()
    coverage = (d.min(1).values <= r_real).float().mean()
    nearest = (F.normalize(fake, dim=1) @ F.normalize(real, dim=1).T).max(1).values.mean()
    return Fidelity(float(precision), float(recall), float(density), float(coverage), float(nearest))


def per_class_fidelity(
    real: torch.Tensor, real_classes: np.ndarray, fake: torch.Tensor, fake_classes: np.ndarray, k: int = 5
) -> dict[int, Fidelity]:
    out = {}
    for c in np.unique(fake_classes):
        r = real[torch.as_tensor(np.flatnonzero(real_classes == c))]
        f = fake[torch.as_tensor(np.flatnonzero(fake_classes == c))]
        if len(r) > 1:
            out[int(c)] = prdc(r, f, k)
    return out
