"""A benchmark's documents: results.md and results.png beside its cells.json."""

from __future__ import annotations

from pathlib import Path

from .figure import figure
from .report import document
from .stats import Cells, ipcs


def write_outputs(cells: Cells, md: Path, png: Path, extractor: str, command: str, figure_link: str = "") -> None:
    """The report and the figure at the first measured IPC (IPC 10 where it is measured); the report links the
    figure by `figure_link` (default: its name, beside the report)."""
    md.parent.mkdir(parents=True, exist_ok=True)
    png.parent.mkdir(parents=True, exist_ok=True)
    md.write_text(document(cells, extractor, command, figure_link or png.name) + "\n")
    if cells:
        figure(cells, ipcs(cells)[0], extractor).savefig(png, dpi=110)
