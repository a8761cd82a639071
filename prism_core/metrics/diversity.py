"""Intra-class diversity: the mean pairwise cosine similarity of features among a class's images
(PRISM's Fig. 4 metric; lower is more diverse)."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def cosine_matrix(features: torch.Tensor) -> torch.Tensor:
    f = F.normalize(features.float(), dim=1)
    return f @ f.T


def mean_offdiag(sim: torch.Tensor) -> float:
    n = sim.shape[0]
    if n < 2:
        return float("nan")
    return float((sim.sum() - sim.diagonal().sum()) / (n * (n - 1)))


def intra_class_cosine(features: torch.Tensor, classes: np.ndarray) -> dict[int, float]:
    """Per class: mean off-diagonal cosine similarity among its images (NaN for a class with one image)."""
    classes = np.asarray(classes)
    return {int(c): mean_offdiag(cosine_matrix(features[torch.as_tensor(np.flatnonzero(classes == c))]))
            for c in np.unique(classes)}


def summarize(per_class: dict[int, float]) -> dict[str, float]:
    values = np.array([v for v in per_class.values() if not np.isnan(v)])
    return {"mean": float(values.mean()) if len(values) else float("nan"),
            "std": float(values.std()) if len(values) else float("nan")}
