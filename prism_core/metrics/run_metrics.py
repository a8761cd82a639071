"""Diversity, fidelity and prior fit of a run, stored in the run directory and recomputed only when the
run's images or the extractor change."""

from __future__ import annotations

import hashlib
import json
from dataclasses import astuple

import numpy as np
import torch

from ..atomic import atomic_json
from ..data import class_indices, get_dataset
from ..features import extract_features
from ..images import to_uint8
from ..selection import random_real_subset
from ..synthesis.runstore import Run, RunError
from ..teachers import create_teacher, read_manifest, zoo_dir_of
from .diversity import NEAR_DUPLICATE, intra_class_cosine, near_duplicate_rate, per_class, summarize, vendi
from .fidelity import per_class_fidelity
from .prior_fit import bn_mismatch
from .records import Diversity, Fidelity, ImageMetrics, RandomReal, RunMetrics

EXTRACTOR_PREFERENCE = (
    "convnext_atto",
    "regnetx_002",
    "lcnet_050",
    "ghostnet_050",
    "shufflenet_v2_x0_5",
    "mobilenetv2_050",
    "resnet18",
)
REAL_PER_CLASS = 100
VERSION = 2  # of what metrics.json holds: a stored file of another version is recomputed


def model_weights(run: Run) -> str:
    """Where the models that measure a run come from: the run's own zoo ("zoo", "zoo:/path") or pretrained weights;
    the shipped zoo for runs on random weights or checkpoint files."""
    weights = run.config().weights
    return weights if zoo_dir_of(weights) is not None or weights == "pretrained" else "zoo"


def default_extractor(run: Run) -> str:
    """The first model of the run's zoo that took no part in the run's synthesis."""
    used = set(run.record().teachers)
    zoo_dir = zoo_dir_of(model_weights(run))
    if zoo_dir is None:
        raise RunError(f"{run.path} used pretrained teachers and no zoo: name a held-out extractor (--extractor)")
    zoo = read_manifest(zoo_dir).teachers
    for name in EXTRACTOR_PREFERENCE + tuple(sorted(zoo)):
        if name in zoo and name not in used:
            return name
    raise RunError("every zoo teacher took part in this run; pass an extractor explicitly")


def run_images01(run: Run, max_ipc: int | None = None) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """The run's images in [0, 1] (those with IPC index < `max_ipc`, if given), sorted by (class, k)."""
    x, classes, ks = run.pixels(max_ipc)
    info = get_dataset(run.config().dataset).info
    return to_uint8(info.denormalize(x)).float() / 255, classes, ks  # exactly what the PNGs hold


def real_reference(dataset_name: str, classes: np.ndarray, per_class: int = REAL_PER_CLASS):
    """The first `per_class` test images of each class (fixed, so metrics are comparable across runs)."""
    test = get_dataset(dataset_name).split("test")
    idx = np.concatenate([class_indices(test, int(c))[:per_class] for c in np.unique(classes)])
    return test.load(idx), test.labels[idx], idx


def content_key(run: Run) -> str:
    """What identifies a run's images on any machine and in any clone (file times do not): each finished batch's
    seeds and final loss."""
    batches = sorted((i, r.seeds, r.final_losses.get("total")) for i, r in run.finished().items())
    return hashlib.sha256(json.dumps(batches).encode()).hexdigest()[:16]


def _key(run: Run, extractor: str, sha: str) -> str:
    return hashlib.sha256(f"{VERSION}:{extractor}:{sha}:{REAL_PER_CLASS}:{content_key(run)}".encode()).hexdigest()


def image_metrics(
    extractor: torch.nn.Module, x01: torch.Tensor, classes: np.ndarray, dataset_name: str
) -> ImageMetrics:
    """Intra-class cosine similarity and fidelity to the real test images of the same classes, for any
    image set (a run, a random real subset), in the extractor's feature space."""
    info = get_dataset(dataset_name).info
    feats = extract_features(extractor, x01, info)
    real_x, real_c, _ = real_reference(dataset_name, classes)
    real_f = extract_features(extractor, real_x, info)
    cosine = intra_class_cosine(feats, classes)
    fidelity = per_class_fidelity(real_f, real_c, feats, classes)
    return ImageMetrics(
        cosine,
        summarize(cosine),
        diversity(feats, classes),
        summarize(intra_class_cosine(real_f, real_c)),
        fidelity,
        Fidelity(*(float(np.mean(column)) for column in zip(*(astuple(f) for f in fidelity.values())))),
        f"first {REAL_PER_CLASS} test images per class",
    )


def diversity(feats: torch.Tensor, classes: np.ndarray) -> Diversity:
    """Vendi score per class (and its mean) and the near-duplicate rate of one image set."""
    per = per_class(feats, classes, vendi)
    return Diversity(summarize(per).mean, per, near_duplicate_rate(feats, classes), NEAR_DUPLICATE)


def random_real_diversity(extractor: torch.nn.Module, dataset_name: str, classes: np.ndarray, ipc: int) -> RandomReal:
    """The reference a run's diversity is read against: a random real training subset of the same classes
    and IPC (seed 0), measured the same way."""
    x, labels = random_real_subset(dataset_name, [int(c) for c in np.unique(classes)], ipc, seed=0)
    feats = extract_features(extractor, x, get_dataset(dataset_name).info)
    return RandomReal(ipc, summarize(intra_class_cosine(feats, labels)), diversity(feats, labels))


def compute_metrics(
    run: Run, extractor: str | None = None, force: bool = False, stored_only: bool = False
) -> RunMetrics | None:
    """Every metric of a run, stored in its metrics.json under a key of its contents and the extractor; with
    `stored_only`, the stored ones or None (a page that must not spend minutes on a large run asks first)."""
    if not run.finished():
        raise RunError(f"{run.path}: no finished images to measure")
    cfg = run.config()
    info = get_dataset(cfg.dataset).info
    extractor = extractor or default_extractor(run)
    weights = model_weights(run)
    model = create_teacher(extractor, info, weights=weights)
    key = _key(run, extractor, model.weights_sha256)
    cache = run.path / "metrics.json"
    if cache.is_file() and not force:
        try:
            stored = json.loads(cache.read_text())
            if stored.get("key") == key:
                return RunMetrics.from_json(stored)
        except (json.JSONDecodeError, KeyError, TypeError):  # unreadable: measured again
            pass
    if stored_only:
        return None
    x, classes, _ = run_images01(run)
    prior = {}
    zoo_dir = zoo_dir_of(weights)
    for name, entry in (read_manifest(zoo_dir).teachers if zoo_dir is not None else {}).items():
        if entry.bn_layers:
            prior[name] = bn_mismatch(create_teacher(name, info, weights=weights), x, info)
    result = RunMetrics(
        key,
        extractor,
        model.weights_sha256,
        image_metrics(model.model, x, classes, cfg.dataset),
        random_real_diversity(model.model, cfg.dataset, classes, cfg.ipc),
        prior,
        tuple(sorted(run.record().teachers)),
    )
    atomic_json(cache, result.to_json())
    return result
