"""UMAP of extractor features for one or more runs plus a real sample, seeded, each point keeping its identity
(source, class, index) so that a selected point maps back to its image.

umap's first call in a process JIT-compiles for ~8 s (environment.md section 7); `warm_up` pays it early, and
`embed_runs` keeps every projection on disk by what it depends on, so a picture seen once (or shipped with the
example runs) comes back at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..atomic import atomic_json
from ..data import get_dataset
from ..features import extract_features
from ..synthesis.runstore import Run
from ..teachers import create_teacher
from .run_metrics import content_key, model_weights, real_reference, run_images01

VERSION = 1  # of the stored projections
DEFAULT_REAL_PER_CLASS = 30  # real test images per class beside the runs (the Embeddings page's default)
Features = Callable[[str, torch.Tensor, str], torch.Tensor]  # (extractor, images in [0, 1], dataset) -> (N, D)

MAX_POINTS = 4000  # above 4096 umap switches to NN-descent, with another long JIT
RUN_POINTS = 1000  # at most this many points of one run: a large run is shown by its first IPC indices


@dataclass(frozen=True)
class Point:
    """Where a projected point comes from: a run (by name) or "real", the image's class and its IPC index (a run)
    or test-split index (real)."""

    source: str
    label: int  # the class
    index: int


@dataclass(frozen=True, eq=False)  # compare to_json(): an array field has no truth value
class Embedding:
    """A UMAP projection: one (x, y) per point, in the points' order, and the seed that drew it."""

    coords: np.ndarray  # (N, 2)
    points: tuple[Point, ...]
    seed: int

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Embedding:
        points = tuple(Point(p["source"], p["class"], p["index"]) for p in d["points"])
        return cls(np.asarray(d["coords"], dtype=np.float32).reshape(-1, 2), points, d["seed"])

    def to_json(self) -> dict[str, Any]:
        points = [{"source": p.source, "class": p.label, "index": p.index} for p in self.points]
        return {"coords": self.coords.tolist(), "points": points, "seed": self.seed}


def warm_up() -> None:
    import umap  # deferred: umap (numba) takes seconds to import; only embeddings need it

    umap.UMAP(n_neighbors=5, n_epochs=10, random_state=0).fit_transform(np.random.default_rng(0).normal(size=(60, 8)))


def umap_2d(features: torch.Tensor, seed: int = 0, n_neighbors: int = 15) -> np.ndarray:
    import umap  # deferred: umap (numba) takes seconds to import; only embeddings need it

    if len(features) > MAX_POINTS:
        raise ValueError(f"{len(features)} points; embed at most {MAX_POINTS} (fewer real images per class)")
    reducer = umap.UMAP(
        n_neighbors=min(n_neighbors, len(features) - 1), min_dist=0.1, random_state=seed, metric="cosine", n_jobs=1
    )
    return reducer.fit_transform(features.float().numpy()).astype(np.float32)


def embed_sets(sets: Sequence[tuple[str, torch.Tensor, np.ndarray, np.ndarray]], seed: int = 0) -> Embedding:
    """sets: (source name, features, classes, indices). Returns coordinates with each point's identity."""
    coords = umap_2d(torch.cat([f for _, f, _, _ in sets]), seed=seed)
    points = tuple(Point(name, int(c), int(i)) for name, _, cs, idx in sets for c, i in zip(cs, idx))
    return Embedding(coords, points, seed)


def embed_runs(
    runs: Sequence[Run],
    extractor: str,
    per_class: int,
    folders: Sequence[Path],
    features: Features | None = None,
    seed: int = 0,
) -> Embedding:
    """UMAP of the runs' images (of a run with more than RUN_POINTS, its first IPC indices of every class) plus
    `per_class` real test images of every class (points' sources: run names and "real"). Read from the first of
    `folders` that holds it, else computed and stored in the last one, under a key of the runs' contents, the
    extractor, `per_class` and the seed."""
    runs = sorted(runs, key=lambda r: r.name)
    key = hashlib.sha256(
        json.dumps([VERSION, extractor, per_class, seed, [(r.name, content_key(r)) for r in runs]]).encode()
    ).hexdigest()[:24]
    for folder in folders:
        if (Path(folder) / f"{key}.json").is_file():
            return Embedding.from_json(json.loads((Path(folder) / f"{key}.json").read_text()))
    dataset = runs[0].config().dataset
    info = get_dataset(dataset).info
    weights = model_weights(runs[0])
    features = features or (
        lambda name, x, ds: extract_features(create_teacher(name, info, weights=weights).model, x, info)
    )
    sets = []
    for run in runs:
        cfg = run.config()
        x, classes, ks = run_images01(run, max_ipc=max(1, RUN_POINTS // len(cfg.classes)))
        sets.append((run.name, features(extractor, x, dataset), classes, ks))
    if per_class:
        x, labels, idx = real_reference(dataset, np.arange(info.num_classes), per_class)
        sets.append(("real", features(extractor, x, dataset), labels, idx))
    emb = embed_sets(sets, seed=seed)
    Path(folders[-1]).mkdir(parents=True, exist_ok=True)
    atomic_json(Path(folders[-1]) / f"{key}.json", emb.to_json())
    return emb
