"""The decisions the benchmark exists to make at IPC 10, each derived from the paired tests like every other line: is
the moonshot met, does PRISM balanced earn the default, and does optimising pixels beat choosing real images. Each
decision is one family under Holm's correction (stats.holm): every comparison it makes, tested together."""

from __future__ import annotations

import math

import numpy as np

from ..synthesis.init_settings import INIT_SETTINGS
from .protocol import CORESETS, MOONSHOT, SYNTH_ROWS
from .stats import Cells, Difference, column_values, direction, holm, measured_evals, paired


def _family(requests: dict) -> dict:
    """Holm over every comparison of one decision, keyed as asked; a key with no two shared seeds maps to None."""
    return dict(zip(requests, holm([paired(*r) for r in requests.values()])))


def _mean(cells: Cells, ipc: int, row: str, e: str) -> float:
    return float(np.mean(list(v.values()))) if (v := column_values(cells, row, ipc, e)) else -math.inf


def measured_coresets(cells: Cells, ipc: int = 10) -> list[str]:
    """The coresets measured in all four moonshot evaluations; none when random real is alone (the moonshot is the
    comparison against it)."""
    coresets = [r for r in CORESETS if all(column_values(cells, r, ipc, e) for e in MOONSHOT)]
    return coresets if len(coresets) > 1 else []


def best_coresets(cells: Cells, ipc: int = 10) -> dict[str, str]:
    """The best coreset of each moonshot evaluation by its mean, which favours the coreset."""
    coresets = measured_coresets(cells, ipc)
    return {e: max(coresets, key=lambda r: _mean(cells, ipc, r, e)) for e in MOONSHOT} if coresets else {}


def against_random_real(cells: Cells, ipc: int = 10) -> dict[tuple[str, str], Difference | None]:
    """(synthesis row, evaluation) -> its difference to random real: the moonshot's family."""
    return _family({(r, e): (cells, ipc, r, "random real", e) for r in SYNTH_ROWS for e in MOONSHOT})


def against_best_coreset(cells: Cells, ipc: int = 10) -> dict[tuple[str, str], Difference | None]:
    """(synthesis row, evaluation) -> its difference to that evaluation's best coreset: the coreset decision's
    family (empty when no coreset beside random real is measured)."""
    best = best_coresets(cells, ipc)
    return _family({(r, e): (cells, ipc, r, best[e], e) for r in SYNTH_ROWS for e in MOONSHOT}) if best else {}


def judged_rows(cells: Cells, ipc: int = 10) -> list[str]:
    """The synthesis rows with a paired difference against random real: those the decisions judge."""
    return [r for r in SYNTH_ROWS if any(paired(cells, ipc, r, "random real", e) for e in MOONSHOT)]


def verdicts(cells: Cells, ipc: int = 10) -> list[str]:
    """The decisions the grid exists to make at IPC 10: is the moonshot met (a method at least 3 points above random
    real with ResNet-18 and the ConvNet, soft and hard labels, each holding), and does PRISM balanced earn the default
    (better than PRISM from the same init somewhere, worse nowhere); the third, against the best coreset, is
    `coreset_verdict`."""
    out = []
    tested = against_random_real(cells, ipc)
    margins: dict[str, list[Difference]] = {r: ds for r in SYNTH_ROWS if all(ds := [tested[r, e] for e in MOONSHOT])}
    if margins:
        met = [r for r, ds in margins.items() if all(direction(d) > 0 and d.mean >= 3 for d in ds)]
        best = max(margins, key=lambda r: min(d.mean for d in margins[r]))
        d, e = min(zip(margins[best], MOONSHOT), key=lambda p: p[0].mean)
        out.append(
            "- **Moonshot** (at least 3 points above random real with ResNet-18 and the ConvNet, soft and hard "
            "labels): "
            + (
                f"met by {', '.join(met)}."
                if met
                else f"not met; the closest, {best}, is at its weakest {d.said()} against random real with {e}."
            )
        )
    pairs = _family(
        {
            f"{i} init, {e}": (cells, ipc, f"PRISM balanced · {i}", f"PRISM · {i}", e)
            for i in INIT_SETTINGS
            for e in measured_evals(cells)
        }
    )
    pairs = {where: d for where, d in pairs.items() if d}
    if pairs:
        wins = [w for w, d in pairs.items() if direction(d) > 0]
        losses = [w for w, d in pairs.items() if direction(d) < 0]
        said = (
            f"better in {len(wins)} and worse in {len(losses)} of {len(pairs)} paired evaluations against PRISM "
            "from the same init"
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
    selection, aside) against the best coreset of each evaluation (`best_coresets`); met where a row is at least 2
    points above it, holding, with ResNet-18 and the ConvNet, soft and hard labels."""
    best = best_coresets(cells, ipc)
    if not best:
        return []
    coresets = measured_coresets(cells, ipc)
    tested = against_best_coreset(cells, ipc)
    margins = {r: ds for r in SYNTH_ROWS if all(ds := [tested[r, e] for e in MOONSHOT])}
    if not margins:  # measured, but not on two shared seeds yet: the means, and no verdict
        synth = [r for r in SYNTH_ROWS if all(column_values(cells, r, ipc, e) for e in MOONSHOT)]
        if not synth:
            return []
        top = {e: max(synth, key=lambda r: _mean(cells, ipc, r, e)) for e in MOONSHOT}
        return [
            "- **Synthesis against the best coreset**: no interval yet (fewer than two shared seeds); by the "
            "means, "
            + "; ".join(
                f"{e}: {top[e]} {_mean(cells, ipc, top[e], e):.1f} against {best[e]} "
                f"{_mean(cells, ipc, best[e], e):.1f}"
                for e in MOONSHOT
            )
            + "."
        ]
    met = [r for r, ds in margins.items() if all(direction(d) > 0 and d.mean >= 2 for d in ds)]
    closest = max(margins, key=lambda r: min(d.mean for d in margins[r]))
    d, e = min(zip(margins[closest], MOONSHOT), key=lambda p: p[0].mean)
    behind = sum(direction(d) < 0 for ds in margins.values() for d in ds)
    said = (
        f"met by {', '.join(met)}."
        if met
        else f"not met; the closest, {closest}, is at its weakest {d.said()} against {best[e]} with {e}, and a "
        "coreset is ahead, "
        f"holding, in {behind} of {len(margins) * len(MOONSHOT)} paired evaluations."
    )
    return [
        f"- **Synthesis against the best coreset** (at least 2 points above the best of {', '.join(coresets)} per "
        "evaluation, with ResNet-18 and the ConvNet, soft and hard labels): " + said
    ]
