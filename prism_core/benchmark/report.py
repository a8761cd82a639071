"""The report: sentences that say what holds, and the markdown document of a benchmark (with the decisions of
`verdicts`)."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import numpy as np

from ..synthesis import init_settings
from . import protocol
from .protocol import ABLATION, CLAIMS, ROWS
from .stats import (
    Cells,
    column_values,
    differences,
    direction,
    diversity_axis,
    hours,
    ipcs,
    measured_evals,
    paired,
    summary,
)
from .verdicts import coreset_verdict, verdicts


def caveat(cells: Cells, ipc: int) -> str:
    """What a table at this IPC cannot say, written once for the document and the app."""
    notes = (
        []
        if diversity_axis(ipc) == "Vendi"
        else [
            "One image per class: Vendi is 1 and intra-class cosine undefined by construction, so diversity reads from "
            "coverage and density alone here."
        ]
    )
    if ipc == 1 and all(column_values(cells, r, ipc, "coverage") for r in ("herding", "k-center")):
        notes.append(
            "k-center's one image per class is herding's (both rules start at the image nearest the class mean), "
            "so their two rows hold the same images."
        )
    if (
        max((len(column_values(cells, r, ipc, "coverage")) for r in [*ROWS, *ABLATION]), default=0) == 1
    ):  # every cell has it
        notes.append(
            "One seed per row at this IPC: a paired difference needs two seeds for an interval, so no claim "
            "is tested here; the table is indicative."
        )
    return " ".join(notes)


def _verdict(d: tuple[float, float, int] | None, unit: str = "") -> str:
    if d is None:
        return "not measured yet"
    mean, half, n = d
    said = f"{mean:+.2f} ± {half:.2f}{' ' + unit if unit else ''}, {n} seeds"
    return (
        f"**{'higher' if direction(d) > 0 else 'lower'}** ({said})" if direction(d) else f"no difference shown ({said})"
    )


def statements(cells: Cells, ipc: int) -> list[str]:
    """One sentence per claim: accuracy with every student and label kind, then diversity at matched fidelity
    (a Vendi gain counts only where coverage, the share of real neighbourhoods reached, is not lower)."""
    out, evals = [], measured_evals(cells)
    for a, b in CLAIMS:
        accuracy = {e: paired(cells, ipc, a, b, e) for e in evals}
        if all(d is None for d in accuracy.values()):
            continue
        wins = [e for e, d in accuracy.items() if direction(d) > 0]
        losses = [e for e, d in accuracy.items() if direction(d) < 0]
        measured = [e for e, d in accuracy.items() if d]
        verdict = (
            "holds for every student"
            if len(wins) == len(measured)
            else f"holds for {', '.join(wins)}"
            if wins
            else "does not hold for any student"
        )
        text = f"- **{a} beats {b}** in accuracy: {verdict}"
        text += f"; {b} is better for {', '.join(losses)}" if losses else ""
        text += (f" ({len(measured)} of {len(evals)} evaluations measured)" if len(measured) < len(evals) else "") + "."
        vendi, coverage = paired(cells, ipc, a, b, "Vendi"), paired(cells, ipc, a, b, "coverage")
        if coverage and diversity_axis(ipc) != "Vendi":
            text += f" Coverage {_verdict(coverage)}."
        elif vendi:
            varied, closer, further = direction(vendi) > 0, direction(coverage) > 0, direction(coverage) < 0
            text += f" Vendi {_verdict(vendi, 'effective images')}, coverage {_verdict(coverage)}: " + (
                "more varied but further from the real data, so not a diversity gain at matched fidelity."
                if varied and further
                else "a diversity gain at matched fidelity."
                if varied
                else "no more varied by Vendi, but it covers more of the real data."
                if closer
                else "no diversity gain."
            )
        out.append(text)
    return out


def budget(cells: Cells, row: str = "random real") -> str:
    """Whether the students' budget lets the data matter (with a fixed number of updates IPC 50 used to score what
    IPC 10 did): a row's mean per evaluation, each chained over the IPCs at which it is measured, so a column that
    lags behind (the ViT at IPC 50) neither hides the others' IPCs nor is dropped."""
    chains = {
        e: {i: float(np.mean(list(v.values()))) for i in sorted(ipcs(cells)) if (v := column_values(cells, row, i, e))}
        for e in measured_evals(cells)
    }
    chains = {e: m for e, m in chains.items() if len(m) > 1}
    if not chains:
        return ""
    at = sorted(set().union(*chains.values()))

    def label(e: str, m: dict) -> str:
        return e if sorted(m) == at else f"{e} (IPC {' → '.join(map(str, sorted(m)))})"

    flat = [e for e, m in chains.items() if any(b <= a for a, b in pairwise(m.values()))]
    return (
        f"**Budget check** ({row}, IPC {' → '.join(map(str, at))}): "
        + "; ".join(f"{label(e, m)} " + " → ".join(f"{x:.1f}" for x in m.values()) for e, m in chains.items())
        + (
            f". Accuracy does not rise with the IPC for {', '.join(flat)}."
            if flat
            else ". Accuracy rises with the IPC in every evaluation: the students' budget lets the data matter."
        )
    )


def markdown(lines: list[dict[str, str]]) -> list[str]:
    if not lines:
        return []
    head = list(lines[0])
    return (
        ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]  # "|S|" escaped: one column
        + ["| " + " | ".join(str(line[h]).replace("|", r"\|") for h in head) + " |" for line in lines]
    )


def _body(doc: str) -> str:
    """A module docstring without its title line, as one paragraph."""
    return " ".join(doc.split("\n\n", 1)[1].split())


def headline(cells: Cells) -> list[str]:
    """The IPC 10 table and what holds there: the README's summary and the top of the app's page."""
    return markdown(summary(cells, 10, ROWS)) + ["", *statements(cells, 10), *verdicts(cells), *coreset_verdict(cells)]


def document(cells: Cells, extractor: str, command: str, figure_link: str = "results.png") -> str:
    """The whole report: protocol, budget check, and per IPC the table, its caveats, the paired differences, what
    holds, and at IPC 10 the decisions and the BN-set ablation."""
    where = ", ".join(f"{h:.1f} h on {m}" for m, h in hours(cells).most_common())
    out = [
        "# Results: method and initialisation apart",
        "",
        f"Generated by `{command}` ({date.today()}); the stored cells took {where} (wall time, synthesis, students "
        "and metrics). Mean ± std over seeds (n in brackets); a '-' is still to be measured: the benchmark "
        "resumes where it stopped.",
        "",
        f"![student top-1 per row and evaluation; Vendi against coverage]({figure_link})",
        "",
        "**Protocol** (`prism_core/benchmark/protocol.py`). "
        + _body(protocol.__doc__)
        + " "
        + _body(init_settings.__doc__)
        + f" The extractor here: {extractor}.",
        "",
        "**Reading the diversity columns.** Vendi (the effective number of distinct images) and intra-class cosine "
        "reward images far from the data as much as varied ones: a set born from noise scores high on both. "
        "Coverage (the share of real images whose neighbourhood holds a synthetic one, k = 5) is the diversity "
        "figure such a set cannot win, so a diversity claim counts only where coverage is not lower.",
        "",
        *([said, ""] if (said := budget(cells)) else []),
    ]
    for ipc in ipcs(cells):
        table = summary(cells, ipc, [*ROWS, *ABLATION] if ipc == 10 else ROWS)
        if not table:
            continue
        out += [f"## IPC {ipc}", ""] + markdown(table) + [""] + ([note, ""] if (note := caveat(cells, ipc)) else [])
        diffs = differences(cells, ipc)
        if diffs:
            out += (
                [
                    "Paired differences (same seed), mean ± 95 % interval (Student t); *holds* where the interval "
                    "excludes 0:",
                    "",
                ]
                + markdown(diffs)
                + ["", "What holds:", "", *statements(cells, ipc), ""]
            )
        if ipc == 10:
            out += ["Decisions:", "", *verdicts(cells), *coreset_verdict(cells), ""]
            ablation = differences(cells, 10, [(r, "SRe2L · real") for r in ("PRISM · real", *ABLATION)])
            if ablation:
                out += (
                    [
                        "BN-set ablation (real init): each PRISM set against |S| = 1 (SRe2L · real, the primary "
                        "alone):",
                        "",
                    ]
                    + markdown(ablation)
                    + [""]
                )
    return "\n".join(out)
