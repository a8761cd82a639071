"""The benchmark's figures: the decisions as a forest plot of paired differences, and top-1 per row and evaluation
beside the random real subset with diversity against fidelity."""

from __future__ import annotations

import numpy as np

from .protocol import EVALS, METRICS, MOONSHOT, ROWS
from .stats import Cells, column_values, direction, diversity_axis, summary
from .verdicts import against_best_coreset, against_random_real, judged_rows

COLOURS = {
    "random real": "0.6",
    "real init images": "0.3",
    "SRe2L": "tab:blue",
    "PRISM": "tab:red",
    "PRISM balanced": "tab:purple",
    "G-VBSM": "tab:green",
    "herding": "tab:brown",
    "k-center": "tab:olive",
    "easy": "tab:cyan",
    "difficulty": "tab:pink",
    "RDED": "gold",
}


def _style(row: str) -> dict:
    """One colour per method, hatched when born from noise (dotted from a herding selection): a row's method and
    init read off its bar."""
    method, _, init = row.partition(" · ")
    return dict(
        color=COLOURS.get(method, "tab:orange"),
        hatch={"noise": "///", "herding": "..."}.get(init),
        edgecolor="white" if init in ("noise", "herding") else None,
    )


def _label_points(ax, points: dict[str, tuple[float, float]], char: float = 0.0125, line: float = 0.05) -> None:
    """Name each point without covering another name: rows of one init sit close together, so each label takes
    the first free slot beside its point (right, left, then lower rows), joined to it by a thin line when moved."""
    ax.autoscale_view()
    placed: list[tuple[float, float, float]] = []  # (left, middle, width) of each name, in axes fractions
    for name, (x, y) in sorted(points.items(), key=lambda p: -p[1][1]):
        px, py = ax.transLimits.transform((x, y))
        w = char * len(name)
        beside = [(px + 0.03, py), (px - 0.03 - w, py)]
        slots = beside + [(px + 0.03, py + dy) for dy in (-line, line, -2 * line, 2 * line, -3 * line)]
        free = [
            s
            for s in slots
            if s[0] + w < 1
            and s[0] > 0
            and not any(abs(s[1] - by) < line and s[0] < bx + bw and bx < s[0] + w for bx, by, bw in placed)
        ]
        lx, ly = (free or slots)[0]
        placed.append((lx, ly, w))
        ax.annotate(
            name,
            (x, y),
            xytext=(lx, ly),
            textcoords="axes fraction",
            fontsize=7,
            va="center",
            arrowprops=None if (lx, ly) in beside else dict(arrowstyle="-", lw=0.4, color="0.5"),
        )


def figure(cells: Cells, ipc: int, extractor: str):
    """Two panels a reader takes in at a glance: top-1 per row and evaluation against the random real subset
    (dashed), and Vendi against coverage (diversity against fidelity: noise-born sets sit high and to the left)."""
    from matplotlib.figure import Figure  # not pyplot: nothing is kept open in a long-lived app process

    rows = [line["row"] for line in summary(cells, ipc, ROWS)]
    values = {(r, c): list(column_values(cells, r, ipc, c).values()) for r in rows for c in [*EVALS, *METRICS]}
    evals = [e for e in EVALS if any(values[r, e] for r in rows)]
    mean = {k: np.mean(v) if v else np.nan for k, v in values.items()}
    y = diversity_axis(ipc)
    legend_rows = -(-len(rows) // 7)  # the legend's lines below the panels, 7 names each
    height = 4.2 + 0.22 * legend_rows
    fig = Figure(figsize=(14, height))
    bars, scatter = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.2, 1]})
    width = 0.8 / max(1, len(rows))
    for i, row in enumerate(rows):
        pos = np.arange(len(evals)) + (i - (len(rows) - 1) / 2) * width
        bars.bar(
            pos,
            [mean[row, e] for e in evals],
            width,
            yerr=[np.std(values[row, e] or [0]) for e in evals],
            label=row,
            capsize=2,
            **_style(row),
        )
        colour = _style(row)["color"]
        xs, ys = values[row, "coverage"], values[row, y]
        if xs and ys:
            scatter.errorbar(
                mean[row, "coverage"],
                mean[row, y],
                xerr=np.std(xs),
                yerr=np.std(ys),
                color=colour,
                fmt="o" if " · noise" not in row else "s",
                mfc="white" if " · noise" in row else colour,
            )
    for j, e in enumerate(evals):
        if "random real" in rows:
            bars.hlines(mean["random real", e], j - 0.45, j + 0.45, colors="0.3", linestyles="dashed", linewidth=1)
    bars.set_xticks(range(len(evals)), evals, fontsize=9)
    bars.set_ylabel("student top-1 (%)")
    bars.set_ylim(bottom=max(0, np.nanmin([mean[r, e] for r in rows for e in evals]) - 10))
    bars.set_title(
        f"IPC {ipc}: students trained from scratch on each set (mean ± std over seeds; dashed: random real subset)",
        fontsize=10,
    )
    scatter.set_xlabel(f"coverage of the real data (fidelity, {extractor} features)")
    scatter.set_ylabel("Vendi score (diversity)" if y == "Vendi" else "density (how typical of the real data)")
    scatter.set_title(
        f"{'diversity' if y == 'Vendi' else 'density'} against fidelity (squares: from noise)", fontsize=10
    )
    scatter.margins(0.2)
    _label_points(
        scatter, {r: (mean[r, "coverage"], mean[r, y]) for r in rows if values[r, "coverage"] and values[r, y]}
    )
    fig.legend(*bars.get_legend_handles_labels(), loc="lower center", ncol=min(len(rows), 7), fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, (0.22 * legend_rows + 0.08) / height, 1, 1))
    return fig


def forest(cells: Cells, rows: list[str] | None = None, ipc: int = 10):
    """The decisions as a forest plot: each synthesis row's paired difference (point and 95 % interval) per
    evaluation, against random real (left, the moonshot's bar dotted at +3) and against each evaluation's best
    coreset (right, the bar at +2); filled where it holds under Holm's correction over the decision's family."""
    from matplotlib.figure import Figure

    panels = [
        ("vs random real", against_random_real(cells, ipc), 3.0),
        ("vs the best coreset of each evaluation", against_best_coreset(cells, ipc), 2.0),
    ]
    panels = [p for p in panels if any(p[1].values())]
    measured = judged_rows(cells, ipc)
    rows = [r for r in (rows or measured) if r in measured]
    height = 1.7 + 0.42 * max(1, len(rows))
    fig = Figure(figsize=(6 * max(1, len(panels)), height))
    axes = fig.subplots(1, max(1, len(panels)), sharey=True, squeeze=False)[0]
    offsets = np.linspace(-0.3, 0.3, len(MOONSHOT))
    for ax, (title, tested, bar) in zip(axes, panels):
        for k, e in enumerate(MOONSHOT):
            colour = f"C{k}"
            for i, row in enumerate(rows):
                d = tested.get((row, e))
                if d is None:
                    continue
                y = i + offsets[k]
                ax.errorbar(
                    d.mean,
                    y,
                    xerr=d.half,
                    fmt="o",
                    color=colour,
                    mfc=colour if direction(d) else "white",
                    ms=5,
                    lw=1,
                    label=e if i == 0 else None,
                )
        ax.axvline(0, color="0.3", lw=0.8)
        ax.axvline(bar, color="0.5", lw=0.8, ls=":")
        ax.set_title(f"{title} (dotted: the +{bar:g} target)", fontsize=10)
        ax.set_xlabel("paired difference in student top-1 (points)")
        ax.grid(axis="x", color="0.9")
    axes[0].set_yticks(range(len(rows)), rows, fontsize=9)
    axes[0].invert_yaxis()
    if not rows:
        axes[0].text(0.5, 0.5, "no paired difference measured yet", ha="center", transform=axes[0].transAxes)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=9, frameon=False)
    fig.suptitle(f"IPC {ipc}: paired differences, 95 % intervals; filled: holds after Holm's correction", fontsize=10)
    fig.tight_layout(rect=(0, 0.35 / height, 1, 1))
    return fig
