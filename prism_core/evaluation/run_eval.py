"""Evaluate runs (and the random-real baseline) in one protocol; results are stored in the run directory."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import torch

from ..atomic import atomic_json
from ..data import get_dataset
from ..events import Cancelled, Epoch, Evaluated, Trained
from ..metrics import run_images01
from ..selection import random_real_subset
from ..synthesis.run_health import run_problems
from ..synthesis.runstore import Run, RunError
from .train_loop import EvalConfig, train_student


def check_complete(run: Run) -> None:
    """Every finished batch must have its pixels and PNGs; otherwise refuse (and change nothing)."""
    if not run.finished():
        raise RunError(f"{run.path}: no finished batches to evaluate")
    problems = run_problems(run)
    if problems:
        raise RunError(
            f"{run.path}: {len(problems)} problem(s) with finished batches (e.g. {'; '.join(problems[:3])}); "
            "re-run the synthesis with --overwrite or restore the files"
        )


@dataclass(frozen=True)
class StoredEvaluation:
    """One subject's students under one protocol, as evaluation.json holds it (keyed by subject and protocol)."""

    subject: str  # "run", or "random-real": a random real subset of the run's classes and IPC
    config: EvalConfig
    seeds: int
    top1: list[float]  # per seed
    mean: float
    std: float

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> StoredEvaluation:
        return cls(d["subject"], EvalConfig.from_dict(d["config"]), d["seeds"], list(d["top1"]), d["mean"], d["std"])

    def to_json(self) -> dict[str, Any]:
        return asdict(self)  # the config nests as EvalConfig.to_dict() has it


def _eval_key(cfg: EvalConfig) -> str:
    return hashlib.sha256(json.dumps(replace(cfg, seed=0).to_dict(), sort_keys=True, default=str).encode()).hexdigest()[
        :16
    ]


def evaluate_images(
    images01: torch.Tensor,
    labels: np.ndarray,
    dataset_name: str,
    cfg: EvalConfig,
    seeds: int,
    device: str = "cpu",
    progress: bool = True,
) -> Iterator[Epoch | Trained | Evaluated]:
    """Students from seeds cfg.seed, cfg.seed + 1, ...: their epochs and scores, then the summary (`progress`: a
    tqdm bar per student; off where a caller shows its own, as the benchmark's workers do)."""
    ds = get_dataset(dataset_name)
    accs = []
    for seed in range(cfg.seed, cfg.seed + seeds):
        for event in train_student(images01, labels, ds, replace(cfg, seed=seed), device=device, progress=progress):
            if isinstance(event, Trained):
                accs.append(event.top1)
            yield event
    yield Evaluated(accs, float(np.mean(accs)), float(np.std(accs)))


def evaluate_run(
    run: Run, cfg: EvalConfig, seeds: int = 3, real_baseline: bool = False, device: str = "cpu", stop=None
) -> Iterator[Epoch | Trained | Evaluated | Cancelled]:
    """Evaluate the run's images (and, optionally, a random real subset at the same IPC and classes, in the
    identical protocol); each result is stored in evaluation.json under its protocol's key."""
    check_complete(run)
    x, classes, _ = run_images01(run)
    c = run.config()
    subjects = [("run", x, classes)]
    if real_baseline:
        subjects.append(("random-real", *random_real_subset(c.dataset, list(c.classes), c.ipc, seed=0)))
    for subject, images, labels in subjects:
        for event in evaluate_images(images, labels, c.dataset, cfg, seeds, device):
            if stop is not None and stop():
                yield Cancelled()
                return
            event = replace(event, subject=subject)
            if isinstance(event, Evaluated):
                path = run.path / "evaluation.json"
                stored = json.loads(path.read_text()) if path.is_file() else {}
                result = StoredEvaluation(subject, cfg, seeds, event.top1, event.mean, event.std)
                stored[f"{subject}:{_eval_key(cfg)}"] = result.to_json()
                atomic_json(path, stored)
            yield event


def stored_evaluations(run: Run) -> list[StoredEvaluation]:
    """The run's evaluation.json (none when it is missing or unreadable)."""
    path = run.path / "evaluation.json"
    try:
        return [StoredEvaluation.from_json(d) for d in json.loads(path.read_text()).values()] if path.is_file() else []
    except (json.JSONDecodeError, KeyError, TypeError):
        return []
