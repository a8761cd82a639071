"""The report: sentences that say what holds, the decisions, and the markdown document of a benchmark."""

from __future__ import annotations

import math
from datetime import date
from itertools import pairwise

import numpy as np

from ..synthesis import init_settings
from ..synthesis.init_settings import INIT_SETTINGS
from . import protocol
from .protocol import ABLATION, CLAIMS, CORESETS, MOONSHOT, ROWS, SYNTH_ROWS
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


def verdicts(cells: Cells, ipc: int = 10) -> list[str]:
    """The decisions the grid exists to make at IPC 10, derived like every other line: is the moonshot met (a
    method at least 3 points above random real with ResNet-18 and the ConvNet, soft and hard labels, each holding),
    and does PRISM balanced earn the default (better than PRISM from the same init somewhere, worse nowhere); the
    third, against the best coreset, is `coreset_verdict`."""
    out, margins = [], {}
    for row in SYNTH_ROWS:
        ds = [paired(cells, ipc, row, "random real", e) for e in MOONSHOT]
        if all(ds):
            margins[row] = min((d[0] if direction(d) > 0 else -math.inf, d[0], e) for d, e in zip(ds, MOONSHOT))
    if margins:
        met = [r for r, (m, _, _) in margins.items() if m >= 3]
        best = max(margins, key=lambda r: margins[r][1])
        out.append(
            "- **Moonshot** (at least 3 points above random real with ResNet-18 and the ConvNet, soft and hard "
            "labels): "
            + (
                f"met by {', '.join(met)}."
                if met
                else f"not met; the closest, {best}, is "
                f"{margins[best][1]:+.2f} against random real with {margins[best][2]}."
            )
        )
    pairs = [
        (paired(cells, ipc, f"PRISM balanced · {i}", f"PRISM · {i}", e), f"{i} init, {e}")
        for i in INIT_SETTINGS
        for e in measured_evals(cells)
    ]
    pairs = [(d, where) for d, where in pairs if d]
    if pairs:
        wins = [w for d, w in pairs if direction(d) > 0]
        losses = [w for d, w in pairs if direction(d) < 0]
        said = (
            f"against PRISM from the same init it is better in {len(wins)} and worse in {len(losses)} of "
            f"{len(pairs)} paired evaluations"
            + "".join(f"; {k}: {', '.join(v)}" for k, v in (("better", wins), ("worse", losses)) if v)
        )
        out.append(
            "- **PRISM balanced as the default** (only if it wins): "
            + said
            + (
                ", so it wins: make it the default."
                if wins and not losses
                else ", so PRISM stays the default and balanced stays opt-in (`--method prism-balanced`)."
            )
        )
    return out


def coreset_verdict(cells: Cells, ipc: int = 10) -> list[str]:
    """Does optimising pixels beat choosing real images (the field's question in 2026)? Each synthesis row (RDED, a
    selection, aside) against the best coreset of each evaluation, picked by its mean on the same seeds, which favours
    the coreset; met where a row is at least 2 points above it, holding, with ResNet-18 and the ConvNet, soft and hard
    labels."""

    def mean(row: str, e: str) -> float:
        return float(np.mean(list(v.values()))) if (v := column_values(cells, row, ipc, e)) else -math.inf

    coresets = [r for r in CORESETS if all(column_values(cells, r, ipc, e) for e in MOONSHOT)]
    if len(coresets) < 2:  # random real alone is the other moonshot
        return []
    best = {e: max(coresets, key=lambda r: mean(r, e)) for e in MOONSHOT}
    margins = {row: ds for row in SYNTH_ROWS if all(ds := [paired(cells, ipc, row, best[e], e) for e in MOONSHOT])}
    if not margins:  # measured, but not on two shared seeds yet: the means, and no verdict
        synth = [r for r in SYNTH_ROWS if all(column_values(cells, r, ipc, e) for e in MOONSHOT)]
        if not synth:
            return []
        top = {e: max(synth, key=lambda r: mean(r, e)) for e in MOONSHOT}
        return [
            "- **Synthesis against the best coreset**: no interval yet (fewer than two shared seeds); by the "
            "means, "
            + "; ".join(
                f"{e}: {top[e]} {mean(top[e], e):.1f} against {best[e]} {mean(best[e], e):.1f}" for e in MOONSHOT
            )
            + "."
        ]
    met = [r for r, ds in margins.items() if all(direction(d) > 0 and d[0] >= 2 for d in ds)]
    closest = max(margins, key=lambda r: min(d[0] for d in margins[r]))
    worst = min(zip(margins[closest], MOONSHOT), key=lambda p: p[0][0])
    behind = sum(direction(d) < 0 for ds in margins.values() for d in ds)
    said = (
        f"met by {', '.join(met)}."
        if met
        else f"not met; the closest, {closest}, is {worst[0][0]:+.2f} ± {worst[0][1]:.2f} against {best[worst[1]]} "
        "with "
        f"{worst[1]}, and a coreset is ahead, holding, in {behind} of {len(margins) * len(MOONSHOT)} paired "
        "evaluations."
    )
    return [
        f"- **Synthesis against the best coreset** (at least 2 points above the best of {', '.join(coresets)} per "
        "evaluation, with ResNet-18 and the ConvNet, soft and hard labels): " + said
    ]


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
