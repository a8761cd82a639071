"""A benchmark's documents: results.md, and its figures results.png and forest.png."""

from __future__ import annotations

import os
from pathlib import Path

from .figure import figure, forest
from .report import document
from .stats import Cells, ipcs


def write_outputs(cells: Cells, md: Path, figures: Path, extractor: str, command: str) -> None:
    """The report, the forest plot of the decisions and the figure at the first measured IPC (IPC 10 where it is
    measured), in `figures` (the report's folder or another), linked from the report by their relative path."""
    md.parent.mkdir(parents=True, exist_ok=True)
    figures.mkdir(parents=True, exist_ok=True)
    link = os.path.relpath(figures, md.parent)
    md.write_text(document(cells, extractor, command, "" if link == "." else link + "/") + "\n")
    if cells:
        figure(cells, ipcs(cells)[0], extractor).savefig(figures / "results.png", dpi=110)
        forest(cells).savefig(figures / "forest.png", dpi=110)
