"""Paired statistics over seeds: a row's values per column, mean ± std tables, and paired differences with 95 %
intervals (Student t) behind every "holds" the report says."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import numpy as np

from .protocol import CLAIMS, EVALS, METRICS, PROTOCOL
from .store import Cell

Cells = dict[str, Cell]  # by key, "row|ipc|seed"


def measured_evals(cells: Cells) -> list[str]:
    """The evaluation columns some cell has, in the protocol's order."""
    return [e for e in EVALS if any(e in c.top1 for c in cells.values())]


def ipcs(cells: Cells) -> list[int]:
    """The IPCs with measured cells, IPC 10 (the full grid) first."""
    return sorted({c.ipc for c in cells.values()}, key=lambda i: (i != 10, i))


def hours(cells: Cells) -> Counter:
    """Measuring time per machine; a cell completed elsewhere counts each part where it ran."""
    out = Counter()
    for c in cells.values():
        for where, seconds in c.seconds_on.items():
            out[where] += seconds / 3600
    return out


def column_values(cells: Cells, row: str, ipc: int, column: str) -> dict[int, float]:
    """seed -> value of one column (an evaluation label or a METRICS name) for one row at one IPC."""
    out = {}
    for c in cells.values():
        if c.row == row and c.ipc == ipc and c.protocol == PROTOCOL:
            v = c.top1.get(column) if column in EVALS else c.metrics.get(METRICS[column])
            if v is not None and not math.isnan(v):
                out[c.seed] = v
    return out


def _digits(column: str) -> int:
    return 1 if column in EVALS else 2 if column == "Vendi" else 3


def summary(cells: Cells, ipc: int, rows: Iterable[str]) -> list[dict[str, str]]:
    """One line per row with a measured cell: mean ± std over seeds (n) per evaluation and metric."""
    lines = []
    for row in rows:
        line = {"row": row}
        for column in [*measured_evals(cells), *METRICS]:
            xs = list(column_values(cells, row, ipc, column).values())
            d = _digits(column)
            line[column] = f"{np.mean(xs):.{d}f} ± {np.std(xs):.{d}f} ({len(xs)})" if xs else "-"
        if any(v != "-" for k, v in line.items() if k != "row"):
            lines.append(line)
    return lines


def diversity_axis(ipc: int) -> str:
    """The figure's y axis and the diversity column of the claims: Vendi, except at IPC 1 where it is 1 by
    construction and density (how typical of the data the images sit) says more."""
    return "Vendi" if ipc > 1 else "density"


def interval(diffs: list[float]) -> tuple[float, float] | None:
    """Mean and 95 % half-width (Student t) of paired differences; None with fewer than two."""
    if len(diffs) < 2:
        return None
    t = {2: 12.71, 3: 4.30, 4: 3.18, 5: 2.78}.get(len(diffs), 2.0)
    return float(np.mean(diffs)), t * float(np.std(diffs, ddof=1)) / math.sqrt(len(diffs))


def paired(cells: Cells, ipc: int, a: str, b: str, column: str) -> tuple[float, float, int] | None:
    """a − b over the seeds both have: (mean, 95 % half-width, n), or None with fewer than two pairs."""
    va, vb = column_values(cells, a, ipc, column), column_values(cells, b, ipc, column)
    diffs = [va[s] - vb[s] for s in sorted(va.keys() & vb.keys())]
    ci = interval(diffs)
    return None if ci is None else (*ci, len(diffs))


def direction(d: tuple[float, float, int] | None) -> int:
    """+1 where a paired difference holds above zero, -1 below, 0 where its 95 % interval spans zero or it is not
    measured: the one test behind every "holds" the grid says."""
    return 0 if d is None or abs(d[0]) <= d[1] else 1 if d[0] > 0 else -1


def differences(cells: Cells, ipc: int, claims: Iterable[tuple[str, str]] = CLAIMS) -> list[dict[str, str]]:
    """Paired differences per claim; 'holds' where the 95 % interval excludes 0."""
    lines = []
    for a, b in claims:
        line = {"claim": f"{a} − {b}"}
        for column in [*measured_evals(cells), diversity_axis(ipc), "coverage"]:
            d = paired(cells, ipc, a, b, column)
            line[column] = "-" if d is None else f"{d[0]:+.2f} ± {d[1]:.2f}{' holds' if direction(d) else ''}"
        if any(v != "-" for k, v in line.items() if k != "claim"):
            lines.append(line)
    return lines
