"""UMAP of extractor features for one or more runs plus a real sample, seeded, each point keeping its identity
(source, class, index) so that a selected point maps back to its image.

umap's first call in a process JIT-compiles for ~8 s (environment.md section 7); `warm_up` pays it early.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

MAX_POINTS = 4000  # above 4096 umap switches to NN-descent, with another long JIT


def warm_up() -> None:
    import umap
    umap.UMAP(n_neighbors=5, n_epochs=10, random_state=0).fit_transform(np.random.default_rng(0).normal(size=(60, 8)))


def umap_2d(features: torch.Tensor, seed: int = 0, n_neighbors: int = 15) -> np.ndarray:
    import umap
    if len(features) > MAX_POINTS:
        raise ValueError(f"{len(features)} points; embed at most {MAX_POINTS} (fewer real images per class)")
    reducer = umap.UMAP(n_neighbors=min(n_neighbors, len(features) - 1), min_dist=0.1, random_state=seed,
                        metric="cosine", n_jobs=1)
    return reducer.fit_transform(features.float().numpy()).astype(np.float32)


def embed_sets(sets: Sequence[tuple[str, torch.Tensor, np.ndarray, np.ndarray]], seed: int = 0) -> dict:
    """sets: (source name, features, classes, indices). Returns coordinates with each point's identity."""
    feats = torch.cat([f for _, f, _, _ in sets])
    coords = umap_2d(feats, seed=seed)
    ids = [{"source": name, "class": int(c), "index": int(i)} for name, _, cs, idx in sets for c, i in zip(cs, idx)]
    return {"coords": coords.tolist(), "points": ids, "seed": seed}
