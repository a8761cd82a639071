"""The decisions the benchmark exists to make at IPC 10, each derived from the paired intervals like every other line:
is the moonshot met, does PRISM balanced earn the default, and does optimising pixels beat choosing real images."""

from __future__ import annotations

import math

import numpy as np

from ..synthesis.init_settings import INIT_SETTINGS
from .protocol import CORESETS, MOONSHOT, SYNTH_ROWS
from .stats import Cells, column_values, direction, measured_evals, paired


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
