"""The cells of a benchmark, typed, and the one JSON file that holds them, written whole after every result.

One client writes it (runner.py collects every result), so there is no lock: a cell is stored as soon as one of
its evaluations arrives, and a benchmark that stops resumes from what the file holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import atomic_json
from .protocol import PROTOCOL, key, protocol_of

if TYPE_CHECKING:
    from ..metrics.records import ImageMetrics

SHIPPED = Path(__file__).resolve().parents[2] / "docs" / "measurements" / "grid" / "cells.json"  # Fashion-MNIST's
# what the metrics task keeps of an image set's metrics (measure.measure_metrics), stored beside top1 in the file
CELL_METRICS: dict[str, Callable[[ImageMetrics], float]] = {
    "vendi": lambda m: m.diversity.vendi,
    "cosine": lambda m: m.intra_class_cosine_summary.mean,
    "precision": lambda m: m.fidelity_mean.precision,
    "density": lambda m: m.fidelity_mean.density,
    "coverage": lambda m: m.fidelity_mean.coverage,
    "nearest_real_cosine": lambda m: m.fidelity_mean.nearest_real_cosine,
}


@dataclass
class Cell:
    """One (row, IPC, seed): its students' top-1 per evaluation, its diversity and fidelity, the seconds it took
    and where each part ran, and the tasks that failed with their errors."""

    row: str
    ipc: int
    seed: int
    protocol: int = PROTOCOL
    top1: dict[str, float] = field(default_factory=dict)  # evaluation ("resnet18 soft") -> top-1 %
    metrics: dict[str, float] = field(default_factory=dict)  # CELL_METRICS' keys
    seconds: float = 0.0
    machine: str = ""  # where its first task ran
    seconds_on: dict[str, float] = field(default_factory=dict)  # machine -> seconds spent there
    train_images: int | None = None  # the training split its real images came from (a device packs a subset)
    failed: dict[str, str] = field(default_factory=dict)  # task -> its error, until a retry succeeds

    @property
    def key(self) -> str:
        return key(self.row, self.ipc, self.seed)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Cell:
        seconds, machine = d.get("seconds", 0.0), d.get("machine", "")
        return cls(
            d["row"],
            d["ipc"],
            d["seed"],
            d.get("protocol", 0),
            dict(d.get("top1", {})),
            {k: d[k] for k in CELL_METRICS if k in d},
            seconds,
            machine,
            dict(d.get("seconds_on") or {machine or "unrecorded": seconds}),  # cells older than the field
            d.get("train_images"),
            dict(d.get("failed", {})),
        )

    def to_json(self) -> dict[str, Any]:
        """The file's flat layout: the metrics beside top1; train_images and failed only when there are some."""
        out = {"row": self.row, "ipc": self.ipc, "seed": self.seed, "protocol": self.protocol, "top1": self.top1}
        out |= self.metrics | {"seconds": self.seconds, "machine": self.machine, "seconds_on": self.seconds_on}
        if self.train_images is not None:
            out["train_images"] = self.train_images
        return out | ({"failed": self.failed} if self.failed else {})


def cells_from_json(d: dict[str, dict]) -> dict[str, Cell]:
    return {k: Cell.from_json(c) for k, c in d.items()}


def cells_to_json(cells: dict[str, Cell]) -> dict[str, dict]:
    return {k: c.to_json() for k, c in cells.items()}


def load_cells(path: Path = SHIPPED) -> dict[str, Cell]:
    return cells_from_json(json.loads(path.read_text())) if path.is_file() else {}


class CellStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.cells = load_cells(self.path)

    def get(self, row: str, ipc: int, seed: int) -> Cell | None:
        """The stored cell, unless it was measured under another protocol (then it is measured again)."""
        cell = self.cells.get(key(row, ipc, seed))
        return cell if cell and cell.protocol == protocol_of(row) else None

    def put(self, cell: Cell) -> None:
        self.cells[cell.key] = cell
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_json(self.path, cells_to_json(self.cells))


def missing(cell: Cell | None, evals: list[str]) -> list[str]:
    """The evaluations a cell still lacks (all of them for none)."""
    have = cell.top1 if cell else {}
    return [e for e in evals if e not in have]
