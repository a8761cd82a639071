"""Measuring one cell, as tasks a Dask worker runs: its images, their diversity and fidelity, one student each.

Each task takes the `Benchmark` (a small dataclass) and returns plain values, so a task runs the same on this
machine's local cluster, on another node, or called directly.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from ..allocator import keep_freed_memory
from ..data import get_dataset
from ..evaluation import evaluate_images
from ..events import Evaluated
from ..metrics import image_metrics, run_images01
from ..metrics.run_metrics import EXTRACTOR_PREFERENCE
from ..selection import RULES
from ..synthesis import synthesize
from ..synthesis.runstore import Run, slug
from ..teachers import create_teacher, read_manifest
from .protocol import REAL_ROWS, Benchmark, BenchmarkError, eval_config
from .store import CELL_METRICS


@dataclass(frozen=True)
class Images:
    """A cell's image set, in [0, 1], with the seconds it took to make."""

    x01: torch.Tensor
    classes: np.ndarray
    seconds: float

    def __sizeof__(self) -> int:
        """What Dask's scheduler weighs when it decides whether to move a cell's evaluations to an idle worker."""
        return self.x01.element_size() * self.x01.nelement() + self.classes.nbytes


@dataclass(frozen=True)
class Result:
    """One finished task: an evaluation's top-1 or the metrics, where it ran and how long it took."""

    row: str
    ipc: int
    seed: int
    label: str  # an evaluation ("resnet18 soft") or "metrics"
    value: float | dict
    seconds: float
    machine: str
    worker: str
    images_seconds: float  # what making the cell's images took (counted once per cell)


def machine(device: str) -> str:
    """Where a task ran (its seconds mean little without it)."""
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    threads = torch.get_num_threads()
    return f"{platform.machine()} CPU, {threads} thread{'s' if threads > 1 else ''}"


def extractor_name(bench: Benchmark) -> str:
    """The workspace's extractor, or the first of the metrics' preferred models in its zoo (convnext_atto first, which
    no method uses; a zoo without it falls back to models that PRISM's pool may contain: name one in the TOML)."""
    ws = bench.workspace
    if ws.extractor:
        return ws.extractor
    zoo = read_manifest(ws.zoo_dir).teachers if ws.zoo_dir is not None else {}
    for name in EXTRACTOR_PREFERENCE:
        if name in zoo:
            return name
    raise BenchmarkError(
        f"--workspace {ws.name}: name a held-out 'extractor' in its TOML table (diversity and "
        "fidelity are measured in its features)"
    )


def _worker() -> str:
    try:
        from distributed import get_worker  # deferred: a cell measured outside Dask needs no Dask

        return get_worker().address
    except (ImportError, ValueError):
        return "local"


def _prepare_worker(bench: Benchmark) -> None:
    """What every task sets first: the benchmark's threads, and the allocator Dask's workers start with undone."""
    torch.set_num_threads(bench.threads)
    keep_freed_memory()


def make_images(bench: Benchmark, row: str, ipc: int, seed: int, work: Path) -> Images:
    """A random real subset, the init images, or a run (a synthesis or a selection, resuming one left in `work`)."""
    _prepare_worker(bench)
    started = time.perf_counter()
    dataset = get_dataset(bench.workspace.dataset)
    train, classes = dataset.split("train"), list(range(dataset.info.num_classes))
    if row in REAL_ROWS:
        picked = RULES[REAL_ROWS[row]].pick(train, classes, ipc, seed, None)
        x01, labels = torch.cat([picked[c].images01 for c in classes]), np.repeat(classes, ipc)
    else:
        run = Run(Path(work) / f"{slug(row)}-ipc{ipc}-s{seed}")
        for _ in synthesize(bench.synth_config(row, ipc, seed), run.path, resume=True):
            pass
        x01, labels, _ = run_images01(run)
    return Images(x01, np.asarray(labels), time.perf_counter() - started)


def measure_metrics(bench: Benchmark, row: str, ipc: int, seed: int, images: Images) -> Result:
    _prepare_worker(bench)
    started = time.perf_counter()
    info = get_dataset(bench.workspace.dataset).info
    extractor = create_teacher(extractor_name(bench), info, weights=bench.workspace.weights).model
    m = image_metrics(extractor, images.x01, images.classes, bench.workspace.dataset)
    value = {k: read(m) for k, read in CELL_METRICS.items()}
    return Result(
        row,
        ipc,
        seed,
        "metrics",
        value,
        time.perf_counter() - started,
        machine(bench.device),
        _worker(),
        images.seconds,
    )


def evaluate(bench: Benchmark, row: str, ipc: int, seed: int, label: str, images: Images) -> Result:
    """Train one student from scratch on the cell's images; its top-1 on the full test split."""
    _prepare_worker(bench)
    started = time.perf_counter()
    cfg = replace(eval_config(label, bench.workspace.weights), epochs=bench.epochs_at(ipc), seed=seed)
    top1 = next(
        e.mean
        for e in evaluate_images(
            images.x01, images.classes, bench.workspace.dataset, cfg, seeds=1, device=bench.device, progress=False
        )
        if isinstance(e, Evaluated)
    )
    return Result(
        row, ipc, seed, label, top1, time.perf_counter() - started, machine(bench.device), _worker(), images.seconds
    )
