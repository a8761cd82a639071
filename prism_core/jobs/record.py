"""A job as the store keeps it: one typed record, one JSON file, written whole by the queue (queued, cancelled) and by
the worker process that runs it (running, its progress, how it ended)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from ..evaluation import EvalConfig
from ..states import State
from ..synthesis import SynthConfig


class Kind(StrEnum):
    SYNTH = "synth"  # optimise (or select) a run's images
    EVALUATE = "evaluate"  # train students on a finished run's images and on a random real subset


@dataclass(frozen=True)
class Progress:
    """The latest progress a worker reported: what a page polls, a few hundred bytes."""

    batches_total: int = 0
    batches_done: int = 0
    step: int = 0
    iterations: int = 0
    img_per_s: float = 0.0
    eta_s: float = 0.0
    preview: str = ""  # the caption of the run's preview.png, e.g. "batch 2 at step 40"
    message: str = ""  # an evaluation's progress in words

    @property
    def fraction(self) -> float:
        partial = self.step / self.iterations if self.iterations else 0.0
        return min((self.batches_done + partial) / max(self.batches_total, 1), 1.0)


@dataclass(frozen=True)
class JobRecord:
    id: str
    kind: Kind
    run_name: str
    owner: str  # the session that submitted it: its own runs first, the others' read-only
    submitted: float
    config: SynthConfig | None = None  # a synthesis job's resolved config (an evaluation reads its run's)
    resume: bool = False  # continue an existing run as stored
    evaluation: EvalConfig | None = None
    seeds: int = 1
    state: State = State.QUEUED
    error: str = ""
    pid: int | None = None  # the worker process running it
    started: float = 0.0
    ended: float = 0.0
    progress: Progress = field(default_factory=Progress)

    @property
    def active(self) -> bool:
        return self.state.active

    def replace(self, **changes: Any) -> JobRecord:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> JobRecord:
        return cls(
            **{
                **d,
                "kind": Kind(d["kind"]),
                "state": State(d["state"]),
                "config": SynthConfig.from_dict(d["config"]) if d.get("config") else None,
                "evaluation": EvalConfig.from_dict(d["evaluation"]) if d.get("evaluation") else None,
                "progress": Progress(**d.get("progress", {})),
            }
        )
