"""The benchmark's figure: top-1 per row and evaluation beside the random real subset, and diversity against
fidelity."""

from __future__ import annotations

import numpy as np

from .protocol import EVALS, METRICS, ROWS
from .stats import Cells, column_values, diversity_axis, summary

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
