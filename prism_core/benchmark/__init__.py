"""The init-controlled comparison as a product: any workspace, cells on Dask, paired intervals, an honest report.

protocol (rows, claims, students, budgets) -> measure (a cell's tasks) -> runner (Dask) -> store (cells.json) ->
stats (paired intervals) -> verdicts (the decisions) -> report (markdown, statements) and figure.
"""

from .output import write_outputs
from .protocol import (
    ABLATION,
    ALL_ROWS,
    CLAIMS,
    EVALS,
    LABELS,
    MAIN,
    METRICS,
    ROWS,
    STUDENTS,
    Benchmark,
    BenchmarkError,
    epochs,
    key,
)
from .report import budget, caveat, document, headline, markdown, statements
from .runner import Progress, cluster, run
from .stats import Cells, differences, hours, interval, ipcs, paired, summary
from .store import SHIPPED, Cell, CellStore, cells_from_json, cells_to_json, load_cells, missing
from .verdicts import coreset_verdict, verdicts

__all__ = [
    "write_outputs",
    "ABLATION",
    "ALL_ROWS",
    "CLAIMS",
    "EVALS",
    "LABELS",
    "MAIN",
    "METRICS",
    "ROWS",
    "STUDENTS",
    "Benchmark",
    "BenchmarkError",
    "epochs",
    "key",
    "budget",
    "caveat",
    "document",
    "headline",
    "markdown",
    "statements",
    "verdicts",
    "coreset_verdict",
    "Progress",
    "cluster",
    "run",
    "differences",
    "hours",
    "interval",
    "ipcs",
    "paired",
    "summary",
    "SHIPPED",
    "Cell",
    "Cells",
    "CellStore",
    "cells_from_json",
    "cells_to_json",
    "load_cells",
    "missing",
]
