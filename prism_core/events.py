"""Progress events: what synthesis and evaluation generators yield, as small typed records.

The CLI, the job queue, the scripts and the tests consume the same streams and match on these types, so a
misspelt key is an AttributeError at the producer's test, not a silent None in a progress bar.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from .records import BatchRecord


# --- synthesis (synthesis/engine.py, loop.py) -----------------------------------------------------------
@dataclass(frozen=True)
class Started:
    config: dict[str, Any]
    batches: int  # in the whole plan
    todo: list[int]  # batch indices this process will optimise
    already_done: int  # of this process's share
    run: str | None


@dataclass(frozen=True)
class Step:
    """Loss terms at a logging stride (the only host syncs of the loop)."""

    batch: int
    step: int
    iterations: int
    lr: float
    bn_set: list[str]  # teachers whose statistics counted at this step
    ce_teacher: str
    losses: dict[str, float]
    img_per_s: float = 0.0
    eta_s: float = 0.0

    def record(self) -> dict[str, Any]:
        """The line stored in the run's events.jsonl."""
        return {"kind": "step", **asdict(self)}


@dataclass(frozen=True)
class Preview:
    batch: int
    step: int
    classes: list[int]
    ipc: list[int]
    images: torch.Tensor  # uint8 (N, C, H, W)


@dataclass(frozen=True)
class BatchDone:
    batch: int
    record: BatchRecord  # what the run stores: seeds, BN sets drawn and used, final losses, sources
    pixels: torch.Tensor  # the optimised tensor (normalised space), for resume and exact comparisons
    frames: torch.Tensor | None = None  # the trajectory: uint8 (F, N, C, H, W), or None (snapshots off)
    frame_steps: list[int] = field(default_factory=list)  # the step before which each frame was taken


@dataclass(frozen=True)
class Done:
    seconds: float
    batches: int


@dataclass(frozen=True)
class Cancelled:
    batches_done: int | None = None


# --- evaluation (evaluation/train_loop.py, evaluation/run_eval.py) --------------------------------------
@dataclass(frozen=True)
class Epoch:
    epoch: int
    loss: float
    seed: int = 0
    subject: str = ""  # "run" or "random-real"


@dataclass(frozen=True)
class Trained:
    """One student trained and scored on the test split."""

    top1: float
    seed: int = 0
    subject: str = ""


@dataclass(frozen=True)
class Evaluated:
    """All seeds of one subject; stored in the run's evaluation.json."""

    top1: list[float] = field(default_factory=list)
    mean: float = 0.0
    std: float = 0.0
    subject: str = ""


# --- teacher training (training.py, teachers/zoo.py) ------------------------------------------------
@dataclass(frozen=True)
class TrainEpoch:
    """An epoch at which a classifier (a zoo teacher) was scored on the validation part held out of its train split
    (None without one), with its mean training loss since the previous score. Manifests written before validation
    existed scored every epoch on the test split instead."""

    epoch: int
    train_loss: float
    val_top1: float | None = None
    test_top1: float | None = None  # only in those older manifests
    teacher: str = ""


@dataclass(frozen=True)
class TeacherSaved:
    """A zoo teacher trained and written, with its manifest entry."""

    teacher: str
    test_top1: float
    seconds: float
    val_top1: float | None = None


# --- priors (priors.py) ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PriorMeasure:
    """One row of the priors grid as the held-out judge sees it; a row of priors.json."""

    label: str
    bn_pool: tuple[str, ...]  # the BN teachers of the row
    judge_top1: float  # %
    intra_class_cosine: float | None  # None: one image per class

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PriorMeasure:
        """Files written before the name was bn_pool say "bn_teachers"."""
        pool = d["bn_pool"] if "bn_pool" in d else d["bn_teachers"]
        return cls(d["label"], tuple(pool), d["judge_top1"], d["intra_class_cosine"])

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "bn_pool": list(self.bn_pool)}


@dataclass(frozen=True)
class PriorRow:
    """One row of the priors grid finished: its run and its held-out measurements."""

    name: str
    index: int
    rows: int
    measured: PriorMeasure
