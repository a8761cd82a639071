"""The cells of a benchmark, one JSON file written whole after every result.

One client writes it (runner.py collects every result), so there is no lock: a cell is stored as soon as one of
its evaluations arrives, and a benchmark that stops resumes from what the file holds.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..atomic import atomic_json
from .protocol import PROTOCOL, key

SHIPPED = Path(__file__).resolve().parents[2] / "docs" / "measurements" / "grid" / "cells.json"  # Fashion-MNIST's


def load_cells(path: Path = SHIPPED) -> dict[str, dict]:
    return json.loads(path.read_text()) if path.is_file() else {}


class CellStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.cells = load_cells(self.path)

    def get(self, row: str, ipc: int, seed: int) -> dict | None:
        cell = self.cells.get(key(row, ipc, seed))
        return cell if cell and cell.get("protocol") == PROTOCOL else None

    def put(self, cell: dict) -> None:
        self.cells[key(cell["row"], cell["ipc"], cell["seed"])] = cell
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_json(self.path, self.cells)


def missing(cell: dict | None, evals: list[str]) -> list[str]:
    """The evaluations a cell still lacks (all of them for none)."""
    have = cell["top1"] if cell else {}
    return [e for e in evals if e not in have]
