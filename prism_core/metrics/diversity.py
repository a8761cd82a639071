"""Intra-class diversity in a feature space: the mean pairwise cosine similarity among a class's images
(PRISM's Fig. 4 metric; lower is more diverse), the Vendi score (the effective number of distinct images;
higher is more diverse) and the near-duplicate rate."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from .records import Summary


def cosine_matrix(features: torch.Tensor) -> torch.Tensor:
    f = F.normalize(features.float(), dim=1)
    return f @ f.T


def mean_offdiag(sim: torch.Tensor) -> float:
    n = sim.shape[0]
    if n < 2:
        return float("nan")
    return float((sim.sum() - sim.diagonal().sum()) / (n * (n - 1)))


NEAR_DUPLICATE = 0.95  # cosine similarity at or above which two images of a class count as near-duplicates


def per_class(
    features: torch.Tensor, classes: np.ndarray, measure: Callable[[torch.Tensor], float]
) -> dict[int, float]:
    classes = np.asarray(classes)
    return {int(c): measure(features[torch.as_tensor(np.flatnonzero(classes == c))]) for c in np.unique(classes)}


def intra_class_cosine(features: torch.Tensor, classes: np.ndarray) -> dict[int, float]:
    """Per class: mean off-diagonal cosine similarity among its images (NaN for a class with one image)."""
    return per_class(features, classes, lambda f: mean_offdiag(cosine_matrix(f)))


def vendi(features: torch.Tensor) -> float:
    """exp(entropy of the eigenvalues of K/n), K the cosine kernel (Friedman & Dieng 2023): from 1 (all images
    alike) to n (all orthogonal); unlike mean cosine it counts modes, so one odd image cannot lift it much."""
    n = len(features)
    if n == 0:
        return float("nan")
    eig = torch.linalg.eigvalsh(cosine_matrix(features).double() / n).clamp(min=0)
    eig = eig[eig > 1e-12]
    return float(torch.exp(-(eig * eig.log()).sum()))


def near_duplicate_rate(features: torch.Tensor, classes: np.ndarray, threshold: float = NEAR_DUPLICATE) -> float:
    """The fraction of images whose most similar other image of the same class has cosine >= threshold."""

    def dupes(f: torch.Tensor) -> float:
        if len(f) < 2:
            return 0.0
        sim = cosine_matrix(f).fill_diagonal_(-1.0)
        return float((sim.max(1).values >= threshold).sum())

    counts = per_class(features, classes, dupes)
    return sum(counts.values()) / max(len(features), 1)


def summarize(per_class: dict[int, float]) -> Summary:
    values = np.array([v for v in per_class.values() if not np.isnan(v)])
    if not len(values):
        return Summary(float("nan"), float("nan"))
    return Summary(float(values.mean()), float(values.std()))
