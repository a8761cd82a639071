"""The report: sentences that say what holds, and the markdown document of a benchmark (with the decisions of
`verdicts`)."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import numpy as np

from ..synthesis import init_settings
from . import protocol
from .protocol import ABLATION, CLAIMS, HEADLINE_ROWS, MOONSHOT, ROWS
from .stats import (
    Cells,
    Difference,
    accuracy,
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
    if (
        max((len(column_values(cells, r, ipc, "coverage")) for r in [*ROWS, *ABLATION]), default=0) == 1
    ):  # every cell has it
        notes.append(
            "One seed per row at this IPC: a paired difference needs two seeds for an interval, so no claim "
            "is tested here; the table is indicative."
        )
    return " ".join(notes)


def _verdict(d: Difference | None, unit: str = "") -> str:
    if d is None:
        return "not measured yet"
    said = f"{d.said()}{' ' + unit if unit else ''}, {d.n} seeds"
    return f"**{'higher' if direction(d) > 0 else 'lower'}** ({said})" if direction(d) else f"no difference ({said})"


def _listed(ds: dict[str, Difference]) -> str:
    return ", ".join(f"{e} ({d.said()})" for e, d in ds.items())


def accuracy_verdict(cells: Cells, ipc: int, a: str, b: str) -> str:
    """Where a is better or worse than b in accuracy, a claim's evaluations tested as one family; '' unmeasured."""
    evals = measured_evals(cells)
    measured = {e: d for e, d in accuracy(cells, ipc, a, b).items() if d}
    if not measured:
        return ""
    wins = {e: d for e, d in measured.items() if direction(d) > 0}
    losses = {e: d for e, d in measured.items() if direction(d) < 0}
    parts = [f"better with {_listed(wins)}"] * bool(wins) + [f"worse with {_listed(losses)}"] * bool(losses)
    rest = len(measured) - len(wins) - len(losses)
    parts += (
        [f"no difference in any of the {rest} evaluations"]
        if rest == len(measured)
        else ["no difference elsewhere"] * bool(rest)
    )
    return "; ".join(parts) + (
        f" ({len(measured)} of {len(evals)} evaluations measured)" if len(measured) < len(evals) else ""
    )


def statements(cells: Cells, ipc: int) -> list[str]:
    """One verdict per claim: where a is better or worse than b in accuracy (a claim's evaluations tested as one
    family), then diversity at matched fidelity (a Vendi gain counts only where coverage, the share of real
    neighbourhoods reached, is not lower)."""
    out = []
    for a, b in CLAIMS:
        said = accuracy_verdict(cells, ipc, a, b)
        if not said:
            continue
        text = f"- **{a} vs {b}**: {said}."
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


HOW_TESTED = (
    "Paired by seed; ± is the 95 % interval of each difference (Student t); a difference *holds* where Holm's "
    "correction over all the comparisons of its line leaves p under 5 %."
)


def prism_verdict(cells: Cells, ipc: int = 10) -> list[str]:
    """PRISM against SRe2L from each init, the question the method was built for, as one line."""
    said = [
        (i, v)
        for i in init_settings.INIT_SETTINGS
        if (v := accuracy_verdict(cells, ipc, f"PRISM · {i}", f"SRe2L · {i}"))
    ]
    if not said:
        return []
    return [
        "- **PRISM vs SRe2L** (same init, seed and primary): "
        + "; ".join(f"from {'real images' if i == 'real' else i}, {v}" for i, v in said)
        + "."
    ]


def compact(cells: Cells, ipc: int = 10) -> list[str]:
    """At most 8 rows by 4 columns: the references and each method's rows (HEADLINE_ROWS), mean top-1 with the two
    students the decisions use (soft / hard labels), and coverage."""
    rows = [r for r in HEADLINE_ROWS if column_values(cells, r, ipc, MOONSHOT[0])]

    def mean(row: str, column: str, digits: int = 1) -> str:
        v = list(column_values(cells, row, ipc, column).values())
        return f"{np.mean(v):.{digits}f}" if v else "-"

    lines = [
        {
            "row": r,
            "ResNet-18 soft / hard": f"{mean(r, 'resnet18 soft')} / {mean(r, 'resnet18 hard')}",
            "ConvNet soft / hard": f"{mean(r, 'convnet soft')} / {mean(r, 'convnet hard')}",
            "coverage": mean(r, "coverage", 3),
        }
        for r in rows
    ]
    return markdown(lines)


def headline(cells: Cells) -> list[str]:
    """The verdict first: the three decisions a reader arrives with, then the compact table at IPC 10 (the README's
    block and the top of docs/results.md and the Results page)."""
    lines = [*coreset_verdict(cells), *verdicts(cells)[:1], *prism_verdict(cells)]
    if not lines:
        return []
    seeds = max((len(column_values(cells, r, 10, MOONSHOT[0])) for r in ROWS), default=0)
    return [
        *lines,
        "",
        *compact(cells),
        "",
        f"IPC 10, mean top-1 (%) over {seeds} seeds; coverage: the share of real images with a synthetic one among "
        f"their 5 nearest neighbours. {HOW_TESTED}",
    ]


def document(cells: Cells, extractor: str, command: str, figures: str = "") -> str:
    """The whole report, verdict first: the decisions, the compact table and the forest plot; then the protocol, the
    budget check, and per IPC the table, its caveats, the paired differences and what holds, and at IPC 10 every
    decision and the BN-set ablation. `figures`: the folder of results.png and forest.png, relative to the report."""
    where = ", ".join(f"{h:.1f} h on {m}" for m, h in hours(cells).most_common())
    out = [
        "# Results: method and initialisation apart",
        "",
        f"Generated by `{command}` ({date.today()}); the stored cells took {where} (wall time, synthesis, students "
        "and metrics). A '-' is still to be measured: the benchmark resumes where it stopped.",
        "",
    ]
    if verdict := headline(cells):
        out += ["## Verdict", "", *verdict, "", f"![paired differences per synthesis row]({figures}forest.png)", ""]
    out += [
        "## Protocol",
        "",
        _body(protocol.__doc__) + " " + _body(init_settings.__doc__) + f" The extractor here: {extractor}.",
        "",
        "**Reading the diversity columns.** Vendi (the effective number of distinct images) and intra-class cosine "
        "reward images far from the data as much as varied ones: a set born from noise scores high on both. "
        "Coverage (the share of real images whose neighbourhood holds a synthetic one, k = 5) is the diversity "
        "figure such a set cannot win, so a diversity claim counts only where coverage is not lower.",
        "",
        f"**Reading the tests.** {HOW_TESTED} Three seeds give two degrees of freedom, so a difference must be "
        "large against its spread to hold once a line's comparisons are corrected together.",
        "",
        *([said, ""] if (said := budget(cells)) else []),
        f"![student top-1 per row and evaluation; Vendi against coverage]({figures}results.png)",
        "",
    ]
    for ipc in ipcs(cells):
        table = summary(cells, ipc, [*ROWS, *ABLATION] if ipc == 10 else ROWS)
        if not table:
            continue
        out += [f"## IPC {ipc}", ""]
        if ipc == 10:
            out += ["Decisions:", "", *verdicts(cells), *coreset_verdict(cells), ""]
        diffs = differences(cells, ipc)
        if diffs:
            out += ["Each claim:", "", *statements(cells, ipc), ""]
        out += ["Mean ± std over seeds (n):", "", *markdown(table), ""]
        out += [note, ""] if (note := caveat(cells, ipc)) else []
        if diffs:
            out += ["Paired differences (same seed), mean ± 95 % interval:", "", *markdown(diffs), ""]
        if ipc == 10:
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
