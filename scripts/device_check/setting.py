"""Where and at what size the check runs: the GPU at full sizes, or a dry run on the CPU at tiny ones."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch


@dataclass(frozen=True)
class Setting:
    out: Path  # the report folder
    work: Path  # scratch runs
    dry: bool
    bench_steps: int  # timed steps per bench batch
    anchor: Path  # the lean anchor loop
    anchor_runs: str = ""  # the anchor's runs to time, comma-separated (its --only); empty: all of them

    @property
    def device(self) -> torch.device:
        return torch.device("cpu" if self.dry else "cuda")

    @property
    def dev(self) -> str:
        return str(self.device)

    @property
    def size(self) -> int:
        """The ImageNet presets' image size: 224 px on the GPU, 64 px on a dry run's two cores."""
        return 64 if self.dry else 224

    @property
    def bench_warmup(self) -> int:
        """Untimed steps before a bench is timed (compilation, cuDNN autotuning, graph capture happen there)."""
        return 1 if self.dry else 3

    @property
    def iterations(self) -> int:
        return 4 if self.dry else 40
