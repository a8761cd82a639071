"""The init-controlled comparison as a product: any workspace, cells on Dask, paired intervals, an honest report.

protocol (rows, claims, students, budgets) -> measure (a cell's tasks) -> runner (Dask) -> store (cells.json) ->
stats (paired tests, Holm) -> verdicts (the decisions) -> report (markdown, statements) and figure.
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
from .report import HOW_TESTED, budget, caveat, compact, document, headline, markdown, prism_verdict, statements
from .runner import Progress, cluster, run
from .stats import (
    ALPHA,
    Cells,
    Difference,
    accuracy,
    differences,
    direction,
    holm,
    hours,
    interval,
    ipcs,
    paired,
    summary,
)
from .store import SHIPPED, Cell, CellStore, cells_from_json, cells_to_json, load_cells, missing
from .verdicts import against_best_coreset, against_random_real, best_coresets, coreset_verdict, judged_rows, verdicts

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
    "HOW_TESTED",
    "judged_rows",
    "compact",
    "prism_verdict",
    "markdown",
    "statements",
    "verdicts",
    "coreset_verdict",
    "against_best_coreset",
    "against_random_real",
    "best_coresets",
    "Progress",
    "cluster",
    "run",
    "ALPHA",
    "Difference",
    "accuracy",
    "differences",
    "direction",
    "holm",
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
