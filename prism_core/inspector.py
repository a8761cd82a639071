"""One synthetic image under the loupe: what shaped it, what it started from, whether it copies a training image,
and whether architectures other than its teachers recognise it.

`inspect_image` reads the run's records; `nearest_real` compares against the whole training split in a held-out
extractor's features (computed once per extractor and kept on disk, `split_features`); `zoo_probabilities` asks
every zoo teacher. The app's Gallery and Embeddings pages show these; nothing here knows about Streamlit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .atomic import replacing
from .data import get_dataset, real_image_indices
from .features import extract_features
from .records import BnSet
from .synthesis.runstore import Run, RunError
from .teachers import create_teacher, read_manifest, zoo_dir_of


@dataclass(frozen=True)
class ImageStory:
    """What shaped one image: its batch and group, the group's seed, each BN set that served the group with its step
    count, the batch's final loss terms, and the training images it started from (RDED: one per patch)."""

    batch: int
    group: int
    seed: int
    bn_sets_used: dict[BnSet, int]
    final_losses: dict[str, float]
    iterations: int
    init: str
    sources: list[int]

    @property
    def init_train_index(self) -> int | None:
        return self.sources[0] if self.sources else None


def inspect_image(run: Run, cls: int, k: int) -> ImageStory:
    """The recorded story of image (cls, k): its batch, its group's seed, the BN sets that served its group (with
    step counts), its batch's final loss terms, and, for real init, the training image it started from."""
    for index, rec in run.finished().items():
        if (cls, k) in rec.pairs:
            position = rec.pairs.index((cls, k))
            group = rec.group_of(position)
            cfg = run.config()
            sources = list(rec.sources[position]) if rec.sources else []  # a selection's picks (RDED: per patch)
            if not sources and cfg.init == "first":  # runs stored before sources were recorded
                sources = real_image_indices(get_dataset(cfg.dataset).split("train"), [(cls, k)])
            return ImageStory(
                index,
                group,
                rec.seeds[group],
                rec.bn_sets_used[group] if rec.bn_sets_used else {},
                rec.final_losses,
                rec.iterations,
                cfg.init,
                sources,
            )
    raise RunError(f"{run.path}: no finished image of class {cls} with IPC index {k}")


# the first images of the training split in file order: about 1,000 per class on Fashion-MNIST, which holds every
# image a real init starts from up to IPC 1,000 (the k-th of its class), at a sixth of the whole split's cost
BANK_IMAGES = 10_000


def split_features(
    extractor: str,
    dataset_name: str,
    split: str,
    cache_dir: Path | str | None = None,
    limit: int | None = BANK_IMAGES,
    progress: Callable[[float], None] | None = None,
    weights: str = "zoo",
) -> np.ndarray:
    """(N, D) float16 features of the first `limit` images of a split (all with None), kept on disk under the
    extractor's weights digest."""
    ds = get_dataset(dataset_name)
    teacher = create_teacher(extractor, ds.info, weights=weights)
    data = ds.split(split)
    n = len(data) if limit is None else min(limit, len(data))
    key = hashlib.sha256(f"{dataset_name}:{split}:{n}:{extractor}:{teacher.weights_sha256}".encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"{extractor}-{split}-{key}.npy" if cache_dir is not None else None
    if path is not None and path.is_file():
        return np.load(path, allow_pickle=False)
    chunk, parts = 2000, []
    for start in range(0, n, chunk):
        idx = np.arange(start, min(start + chunk, n))
        parts.append(extract_features(teacher.model, data.load(idx), ds.info).half().numpy())
        if progress is not None:
            progress(min(1.0, (start + chunk) / n))
    feats = np.concatenate(parts)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path) as tmp:
            with open(tmp, "wb") as f:
                np.save(f, feats, allow_pickle=False)
    return feats


def nearest_real(
    image01: torch.Tensor, extractor: str, dataset_name: str, bank: np.ndarray, n: int = 5, weights: str = "zoo"
) -> list[tuple[int, float]]:
    """The `n` images of the bank (split indices, any class) closest to `image01` (C, H, W) in cosine similarity of
    the extractor's features: a memorisation check (a near-copy scores close to 1)."""
    info = get_dataset(dataset_name).info
    f = extract_features(create_teacher(extractor, info, weights=weights).model, image01[None], info).float()
    sims = F.cosine_similarity(torch.from_numpy(bank).float(), f, dim=1)
    top = torch.topk(sims, n)
    return [(int(i), float(s)) for s, i in zip(top.values, top.indices)]


@torch.no_grad()
def zoo_probabilities(image01: torch.Tensor, cls: int, dataset_name: str, weights: str = "zoo") -> dict[str, float]:
    """Every teacher of the zoo that `weights` names: its softmax probability for class `cls` on this image
    (C, H, W) in [0, 1]."""
    info = get_dataset(dataset_name).info
    x = info.normalize(image01[None])
    zoo_dir = zoo_dir_of(weights)
    if zoo_dir is None:
        raise RunError(f'{weights!r} names no zoo: the verdicts need one ("zoo" or "zoo:/path")')
    return {
        name: float(F.softmax(create_teacher(name, info, weights=weights).model(x), 1)[0, cls])
        for name in read_manifest(zoo_dir).teachers
    }
