"""Paired statistics over seeds: a row's values per column, mean ± std tables, and paired differences (Student t,
quantiles from scipy) with Holm's correction over each decision's comparisons, behind every "holds" the report says.

Why Holm: one decision line tests several evaluations (six students and label kinds; forty comparisons against the
best coreset), and at 5 % each, some would hold by chance. Holm keeps the chance of any false "holds" in a line
at 5 %, needs no independence, and never says less than Bonferroni."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats as scipy_stats

from .protocol import CLAIMS, EVALS, METRICS, protocol_of
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
        if c.row == row and c.ipc == ipc and c.protocol == protocol_of(row):
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


ALPHA = 0.05  # the family-wise error rate of one decision line


@dataclass(frozen=True)
class Difference:
    """a − b paired by seed: the mean, the 95 % half-width of its own interval, the pairs, the two-sided p of a paired
    t test, and that p after Holm's correction over the decision it belongs to (the same p when tested alone)."""

    mean: float
    half: float
    n: int
    p: float
    p_holm: float

    def said(self) -> str:
        return f"{self.mean:+.2f} ± {self.half:.2f}"


def interval(diffs: list[float]) -> tuple[float, float] | None:
    """Mean and 95 % half-width (Student t) of paired differences; None with fewer than two."""
    if len(diffs) < 2:
        return None
    t = float(scipy_stats.t.ppf(1 - ALPHA / 2, len(diffs) - 1))
    return float(np.mean(diffs)), t * float(np.std(diffs, ddof=1)) / math.sqrt(len(diffs))


def _p(diffs: list[float]) -> float:
    """Two-sided p of a paired t test; identical differences are certain (0 unless they are all 0)."""
    se = float(np.std(diffs, ddof=1)) / math.sqrt(len(diffs))
    if se == 0:
        return 1.0 if np.mean(diffs) == 0 else 0.0
    return float(2 * scipy_stats.t.sf(abs(float(np.mean(diffs))) / se, len(diffs) - 1))


def paired(cells: Cells, ipc: int, a: str, b: str, column: str) -> Difference | None:
    """a − b over the seeds both have, tested alone; None with fewer than two pairs."""
    va, vb = column_values(cells, a, ipc, column), column_values(cells, b, ipc, column)
    diffs = [va[s] - vb[s] for s in sorted(va.keys() & vb.keys())]
    ci = interval(diffs)
    if ci is None:
        return None
    p = _p(diffs)
    return Difference(*ci, len(diffs), p, p)


def holm(family: list[Difference | None]) -> list[Difference | None]:
    """The same differences with Holm's step-down correction over the measured ones (None stays None)."""
    measured = sorted((d.p, i) for i, d in enumerate(family) if d is not None)
    out, running = list(family), 0.0
    for rank, (p, i) in enumerate(measured):
        running = max(running, min(1.0, (len(measured) - rank) * p))
        out[i] = replace(family[i], p_holm=running)
    return out


def direction(d: Difference | None) -> int:
    """+1 where a paired difference holds above zero, -1 below, 0 where it does not hold (Holm-adjusted p at least
    5 %) or is not measured: the one test behind every "holds" the grid says."""
    return 0 if d is None or d.p_holm >= ALPHA else 1 if d.mean > 0 else -1


def accuracy(cells: Cells, ipc: int, a: str, b: str) -> dict[str, Difference | None]:
    """a − b in every measured evaluation, one decision: Holm over its evaluations."""
    evals = measured_evals(cells)
    return dict(zip(evals, holm([paired(cells, ipc, a, b, e) for e in evals])))


def differences(cells: Cells, ipc: int, claims: Iterable[tuple[str, str]] = CLAIMS) -> list[dict[str, str]]:
    """Paired differences per claim, mean ± its 95 % interval; 'holds' where the Holm-adjusted p is under 5 %, with
    a claim's evaluations as one family and each diversity column tested alone."""
    lines = []
    for a, b in claims:
        line = {"claim": f"{a} − {b}"}
        diffs = {
            **accuracy(cells, ipc, a, b),
            **{c: paired(cells, ipc, a, b, c) for c in (diversity_axis(ipc), "coverage")},
        }
        for column, d in diffs.items():
            line[column] = "-" if d is None else f"{d.said()}{' holds' if direction(d) else ''}"
        if any(v != "-" for k, v in line.items() if k != "claim"):
            lines.append(line)
    return lines
