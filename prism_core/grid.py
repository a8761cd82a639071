"""The init-controlled comparison: every method from noise and from real images, students that let the data matter
(soft and hard labels, three families), diversity beside fidelity, paired differences over seeds with 95 % intervals.

A cell is (row, IPC, seed). Cells are stored as they finish (`CELLS`, committed), and a cell missing a column is
completed rather than measured again, so the grid grows across sessions and machines. scripts/results.py measures and
writes docs/results.md and the README summary; the app's Results page shows the same tables from the same cells.

Protocol. Optimiser settings per init, the same for SRe2L and both PRISMs (so two rows differ only in the method or
only in the init): from noise lr 1.0, r_bn 0.1, 300 steps (the small-image SRe2L recipe, tuned in
benchmarks/defaults.py so that a held-out zoo model recognises noise-born images); from real images lr 0.05, r_bn
0.01, 100 steps (PRISM's learning rate; more steps move the images no further from their start on this zoo). G-VBSM
keeps its own small-image recipe from noise (lr 0.25, 1,000 steps: each of its 4 backbones needs ~250 steps of its
own) and gets 400 steps from real images (the real-init 100 steps per backbone). Two rows need no synthesis: a
random real subset (a new draw per seed), and the init images, the first IPC training images of each class that
every real-init row starts from (PRISM's rule, the same for every seed), so that a real-init row's gain over them is
what its optimisation adds and their gap to the random subset is what the choice of images adds. Students
(ResNet-18; the DD ConvNet and a 6-layer ViT, families that no recipe uses as a teacher) train from scratch for 300
epochs at IPC 1-10 (IPC 10, batch 50: 600 updates) and 150 at IPC 50 (1,500 updates), AdamW at lr 1e-3, cosine
schedule, on random-resized crops and flips; *soft*: MSE to the zoo ResNet-18's logits on exactly those crops + 0.1
CE, with CutMix; *hard*: CE on the true labels, no teacher, no CutMix. Top-1 on the full 10,000-image test split. The
ViT underfits 100 images (about 50 % on the random real subset, against ResNet-18's 83 %); lr 3e-3, tried on that
subset alone (seed 0, so no method's images chose it), lifts its hard-label score (54.6 against 48.8) but sinks its
soft-label one (33.2 against 49.9), so every student keeps lr 1e-3. Diversity and fidelity in the features of
convnext_atto, a zoo model that takes part in no run.
"""
from __future__ import annotations

import fcntl
import json
import math
import platform
import time
from collections import Counter
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch

from .atomic import atomic_json
from .data import class_indices, get_dataset
from .evaluation import EvalConfig, evaluate_images, random_real_subset
from .events import Evaluated
from .metrics import image_metrics, run_images01
from .runstore import Run, slug
from .synthesis import SynthConfig, synthesize

CELLS = Path(__file__).resolve().parents[1] / "docs" / "measurements" / "grid" / "cells.json"
DATASET, EXTRACTOR = "fashion_mnist", "convnext_atto"
PROTOCOL = 1  # cells of another protocol are measured again

INITS = {"noise": dict(init="noise", lr=1.0, r_bn=0.1, iterations=300),
         "real": dict(init="real", lr=0.05, r_bn=0.01, iterations=100)}
_METHODS = {"SRe2L": dict(method="sre2l"), "PRISM": dict(method="prism"), "PRISM balanced": dict(method="prism-balanced")}
_GVBSM = {"noise": dict(init="noise", lr=0.25, r_bn=0.1, iterations=1000),
          "real": dict(init="real", lr=0.05, r_bn=0.01, iterations=400)}


def random_real(ipc: int, seed: int) -> tuple[torch.Tensor, np.ndarray]:
    """The bar every method must clear: `ipc` training images per class drawn at random (a new draw per seed)."""
    return random_real_subset(DATASET, list(range(10)), ipc, seed)


def init_images(ipc: int, seed: int) -> tuple[torch.Tensor, np.ndarray]:
    """What every real-init row starts from, unoptimised: the first `ipc` training images of each class (PRISM's
    rule, the same for every seed), so a method's gain over this row is what its optimisation adds."""
    train = get_dataset(DATASET).split("train")
    idx = np.concatenate([class_indices(train, c)[:ipc] for c in range(10)])
    return train.load(idx), train.labels[idx]


# row -> a synthesis config, or a function giving an image set of real training images
ROWS: dict[str, SynthConfig | Callable[[int, int], tuple[torch.Tensor, np.ndarray]]] = {
    "random real": random_real,
    "real init images": init_images,
    **{f"{m} · {i}": SynthConfig(**kw, **INITS[i]) for m, kw in _METHODS.items() for i in INITS},
    **{f"G-VBSM · {i}": SynthConfig(method="gvbsm", **kw) for i, kw in _GVBSM.items()},
}
# the rows also measured at IPC 1 and 50
MAIN = ("random real", "real init images", "SRe2L · noise", "PRISM · noise", "SRe2L · real", "PRISM · real")
# The BN-set ablation (IPC 10, real init, PRISM's recipe): SRe2L · real is |S| = 1, PRISM · real the official draw
# (the primary + 3 pool slots, each filled with p = 0.5).
ABLATION: dict[str, SynthConfig] = {
    "PRISM |S| = 2 · real": SynthConfig(method="prism", subset_rule="k", subset_k=2, **INITS["real"]),
    "PRISM |S| = 4 · real": SynthConfig(method="prism", subset_rule="k", subset_k=4, **INITS["real"]),
    "PRISM primary out · real": SynthConfig(method="prism", include_primary=False, **INITS["real"]),
}
EVALS = {f"{s} {lab}": EvalConfig(student=s, **({} if lab == "soft" else {"loss": "ce"}))
         for s in ("resnet18", "convnet", "vit") for lab in ("soft", "hard")}
METRICS = {"Vendi": "vendi", "coverage": "coverage", "intra-class cos": "cosine", "density": "density"}
# the claims checked per IPC: (a, b) reads "a beats b"
CLAIMS = [*((f"{m} · {i}", f"SRe2L · {i}") for i in INITS for m in ("PRISM", "PRISM balanced")),
          *((f"PRISM · {i}", "random real") for i in INITS),
          ("SRe2L · real", "real init images"), ("PRISM · real", "real init images"),
          ("real init images", "random real"),
          ("PRISM · real", "PRISM · noise"), ("SRe2L · real", "SRe2L · noise"),
          *((f"PRISM balanced · {i}", f"PRISM · {i}") for i in INITS),
          *((f"PRISM · {i}", f"G-VBSM · {i}") for i in INITS)]  # the multi-teacher baseline, same init


def machine(device: str) -> str:
    """Where a cell was measured (its seconds mean little without it)."""
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    threads = torch.get_num_threads()
    return f"{platform.machine()} CPU, {threads} thread{'s' if threads > 1 else ''}"


def epochs(ipc: int) -> int:
    """300 epochs at IPC 1-10 (the published budget), 150 at IPC 50 (1,500 updates of batch 50)."""
    return 300 if ipc <= 10 else 150


def plan(seeds: int = 3, seeds_50: int = 1) -> list[tuple[str, int, int]]:
    """Cells in the order they are worth measuring: the IPC 10 grid seed by seed (every finished seed adds a pair to
    each difference), the main rows at IPC 1, the ablation, G-VBSM, then IPC 50."""
    grid = [r for r in ROWS if not r.startswith("G-VBSM")]
    return ([(r, 10, s) for s in range(seeds) for r in grid] + [(r, 1, s) for s in range(seeds) for r in MAIN]
            + [(r, 10, s) for s in range(seeds) for r in ABLATION]
            + [(r, 10, s) for s in range(seeds) for r in ROWS if r.startswith("G-VBSM")]
            + [(r, 50, s) for s in range(seeds_50) for r in MAIN])


def ipcs(cells: dict) -> list[int]:
    """The IPCs with measured cells, IPC 10 (the full grid) first."""
    return sorted({c["ipc"] for c in cells.values()}, key=lambda i: (i != 10, i))


def key(row: str, ipc: int, seed: int) -> str:
    return f"{row}|{ipc}|{seed}"


def load_cells(path: Path = CELLS) -> dict[str, dict]:
    return json.loads(path.read_text()) if path.is_file() else {}


def store_cell(cell: dict, path: Path = CELLS) -> None:
    """Merge one cell into the file as it is now, so two measuring processes never erase each other's cells."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        atomic_json(path, {**load_cells(path), key(cell["row"], cell["ipc"], cell["seed"]): cell})


def missing(cell: dict | None, evals: Iterable[str]) -> list[str]:
    """The evaluations a cell still lacks (all of them for a cell of an older protocol)."""
    have = cell["top1"] if cell and cell.get("protocol") == PROTOCOL else {}
    return [e for e in evals if e not in have]


def measure(row: str, ipc: int, seed: int, work: Path, extractor: torch.nn.Module, cell: dict | None = None,
            evals: Iterable[str] = tuple(EVALS), device: str = "cpu") -> Iterable[dict]:
    """Complete one cell: synthesise (resuming a stored run), train each missing student, measure diversity and
    fidelity once. Yields the cell after each evaluation so the caller can store it."""
    todo, here = missing(cell, evals), machine(device)
    if cell is None or cell.get("protocol") != PROTOCOL:
        cell = {"row": row, "ipc": ipc, "seed": seed, "protocol": PROTOCOL, "top1": {}, "seconds": 0.0,
                "machine": here, "train_images": len(get_dataset(DATASET).split("train").labels)}
    cfg = ROWS.get(row) or ABLATION[row]
    started = time.perf_counter()
    if callable(cfg):
        x01, classes = cfg(ipc, seed)
    else:
        run = Run(work / f"{slug(row)}-ipc{ipc}-s{seed}")
        for _ in synthesize(cfg.replace(ipc=ipc, seed=seed, snapshots=0, device=device), run.path, resume=True):
            pass
        x01, classes, _ = run_images01(run)
    if "vendi" not in cell:
        m = image_metrics(extractor, x01, classes, DATASET)
        cell.update(vendi=m["vendi"], cosine=m["intra_class_cosine_summary"]["mean"], **{
            k: m["fidelity_mean"][k] for k in ("precision", "density", "coverage", "nearest_real_cosine")})
    for label in todo:
        ecfg = replace(EVALS[label], epochs=epochs(ipc), seed=seed)
        for event in evaluate_images(x01, classes, DATASET, ecfg, seeds=1, device=device):
            if isinstance(event, Evaluated):
                cell["top1"][label] = event.mean
        spent, started = time.perf_counter() - started, time.perf_counter()
        cell["seconds"] += spent
        on = cell.setdefault("seconds_on", {cell["machine"]: cell["seconds"] - spent})
        on[here] = on.get(here, 0.0) + spent
        yield cell
    if not todo:
        yield cell


def hours(cells: dict) -> Counter:
    """Measuring time per machine; a cell completed elsewhere counts each part where it ran."""
    out = Counter()
    for c in cells.values():
        for where, seconds in c.get("seconds_on", {c.get("machine", "unrecorded"): c.get("seconds", 0.0)}).items():
            out[where] += seconds / 3600
    return out


def _values(cells: dict, row: str, ipc: int, column: str) -> dict[int, float]:
    """seed -> value of one column (an evaluation label or a METRICS name) for one row at one IPC."""
    out = {}
    for c in cells.values():
        if c["row"] == row and c["ipc"] == ipc and c.get("protocol") == PROTOCOL:
            v = c["top1"].get(column) if column in EVALS else c.get(METRICS[column])
            if v is not None and not math.isnan(v):
                out[c["seed"]] = v
    return out


def _digits(column: str) -> int:
    return 1 if column in EVALS else 2 if column == "Vendi" else 3


def summary(cells: dict, ipc: int, rows: Iterable[str]) -> list[dict[str, str]]:
    """One line per row with a measured cell: mean ± std over seeds (n) per evaluation and metric."""
    lines = []
    for row in rows:
        line = {"row": row}
        for column in [*EVALS, *METRICS]:
            xs = list(_values(cells, row, ipc, column).values())
            d = _digits(column)
            line[column] = f"{np.mean(xs):.{d}f} ± {np.std(xs):.{d}f} ({len(xs)})" if xs else "-"
        if any(v != "-" for k, v in line.items() if k != "row"):
            lines.append(line)
    return lines


def diversity_axis(ipc: int) -> str:
    """The figure's y axis and the diversity column of the claims: Vendi, except at IPC 1 where it is 1 by
    construction and density (how typical of the data the images sit) says more."""
    return "Vendi" if ipc > 1 else "density"


def caveat(cells: dict, ipc: int) -> str:
    """What a table at this IPC cannot say, written once for the document and the app."""
    notes = [] if diversity_axis(ipc) == "Vendi" else [
        "One image per class: Vendi is 1 and intra-class cosine undefined by construction, so diversity reads from "
        "coverage and density alone here."]
    if max((len(_values(cells, r, ipc, "coverage")) for r in [*ROWS, *ABLATION]), default=0) == 1:  # every cell has it
        notes.append("One seed per row at this IPC: a paired difference needs two seeds for an interval, so no claim "
                     "is tested here; the table is indicative.")
    return " ".join(notes)


def interval(diffs: list[float]) -> tuple[float, float] | None:
    """Mean and 95 % half-width (Student t) of paired differences; None with fewer than two."""
    if len(diffs) < 2:
        return None
    t = {2: 12.71, 3: 4.30, 4: 3.18, 5: 2.78}.get(len(diffs), 2.0)
    return float(np.mean(diffs)), t * float(np.std(diffs, ddof=1)) / math.sqrt(len(diffs))


def paired(cells: dict, ipc: int, a: str, b: str, column: str) -> tuple[float, float, int] | None:
    """a − b over the seeds both have: (mean, 95 % half-width, n), or None with fewer than two pairs."""
    va, vb = _values(cells, a, ipc, column), _values(cells, b, ipc, column)
    diffs = [va[s] - vb[s] for s in sorted(va.keys() & vb.keys())]
    ci = interval(diffs)
    return None if ci is None else (*ci, len(diffs))


def direction(d: tuple[float, float, int] | None) -> int:
    """+1 where a paired difference holds above zero, -1 below, 0 where its 95 % interval spans zero or it is not
    measured: the one test behind every "holds" the grid says."""
    return 0 if d is None or abs(d[0]) <= d[1] else 1 if d[0] > 0 else -1


def differences(cells: dict, ipc: int, claims: Iterable[tuple[str, str]] = CLAIMS) -> list[dict[str, str]]:
    """Paired differences per claim; 'holds' where the 95 % interval excludes 0."""
    lines = []
    for a, b in claims:
        line = {"claim": f"{a} − {b}"}
        for column in [*EVALS, diversity_axis(ipc), "coverage"]:
            d = paired(cells, ipc, a, b, column)
            line[column] = "-" if d is None else f"{d[0]:+.2f} ± {d[1]:.2f}{' holds' if direction(d) else ''}"
        if any(v != "-" for k, v in line.items() if k != "claim"):
            lines.append(line)
    return lines


def _verdict(d: tuple[float, float, int] | None, unit: str = "") -> str:
    if d is None:
        return "not measured yet"
    mean, half, n = d
    said = f"{mean:+.2f} ± {half:.2f}{' ' + unit if unit else ''}, {n} seeds"
    return f"**{'higher' if direction(d) > 0 else 'lower'}** ({said})" if direction(d) else f"no difference shown ({said})"


def statements(cells: dict, ipc: int) -> list[str]:
    """One sentence per claim: accuracy with every student and label kind, then diversity at matched fidelity
    (a Vendi gain counts only where coverage, the share of real neighbourhoods reached, is not lower)."""
    out = []
    for a, b in CLAIMS:
        accuracy = {e: paired(cells, ipc, a, b, e) for e in EVALS}
        if all(d is None for d in accuracy.values()):
            continue
        wins = [e for e, d in accuracy.items() if direction(d) > 0]
        losses = [e for e, d in accuracy.items() if direction(d) < 0]
        measured = [e for e, d in accuracy.items() if d]
        verdict = ("holds for every student" if len(wins) == len(measured) else
                   f"holds for {', '.join(wins)}" if wins else "does not hold for any student")
        text = f"- **{a} beats {b}** in accuracy: {verdict}"
        text += f"; {b} is better for {', '.join(losses)}" if losses else ""
        text += (f" ({len(measured)} of {len(EVALS)} evaluations measured)" if len(measured) < len(EVALS) else "") + "."
        vendi, coverage = paired(cells, ipc, a, b, "Vendi"), paired(cells, ipc, a, b, "coverage")
        if coverage and diversity_axis(ipc) != "Vendi":
            text += f" Coverage {_verdict(coverage)}."
        elif vendi:
            varied, closer, further = direction(vendi) > 0, direction(coverage) > 0, direction(coverage) < 0
            text += (f" Vendi {_verdict(vendi, 'effective images')}, coverage {_verdict(coverage)}: "
                     + ("more varied but further from the real data, so not a diversity gain at matched fidelity."
                        if varied and further else "a diversity gain at matched fidelity." if varied else
                        "no more varied by Vendi, but it covers more of the real data." if closer else
                        "no diversity gain."))
        out.append(text)
    return out


def budget(cells: dict, row: str = "random real") -> str:
    """Whether the students' budget lets the data matter (with a fixed number of updates IPC 50 used to score what
    IPC 10 did): a row's mean per evaluation, each chained over the IPCs at which it is measured, so a column that
    lags behind (the ViT at IPC 50) neither hides the others' IPCs nor is dropped."""
    chains = {e: {i: float(np.mean(list(v.values()))) for i in sorted(ipcs(cells)) if (v := _values(cells, row, i, e))}
              for e in EVALS}
    chains = {e: m for e, m in chains.items() if len(m) > 1}
    if not chains:
        return ""
    at = sorted(set().union(*chains.values()))

    def label(e: str, m: dict) -> str:
        return e if sorted(m) == at else f"{e} (IPC {' → '.join(map(str, sorted(m)))})"
    flat = [e for e, m in chains.items() if any(b <= a for a, b in pairwise(m.values()))]
    return (f"**Budget check** ({row}, IPC {' → '.join(map(str, at))}): "
            + "; ".join(f"{label(e, m)} " + " → ".join(f"{x:.1f}" for x in m.values()) for e, m in chains.items())
            + (f". Accuracy does not rise with the IPC for {', '.join(flat)}." if flat else
               ". Accuracy rises with the IPC in every evaluation: the students' budget lets the data matter."))


MOONSHOT = ("resnet18 soft", "resnet18 hard", "convnet soft", "convnet hard")


def verdicts(cells: dict, ipc: int = 10) -> list[str]:
    """The two decisions the grid exists to make at IPC 10, derived like every other line: is the moonshot met (a
    recipe at least 3 points above random real with ResNet-18 and the ConvNet, soft and hard labels, each holding),
    and does PRISM balanced earn the default (better than PRISM from the same init somewhere, worse nowhere)."""
    out, margins = [], {}
    for row, cfg in ROWS.items():
        ds = [paired(cells, ipc, row, "random real", e) for e in MOONSHOT]
        if not callable(cfg) and all(ds):
            margins[row] = min((d[0] if direction(d) > 0 else -math.inf, d[0], e) for d, e in zip(ds, MOONSHOT))
    if margins:
        met = [r for r, (m, _, _) in margins.items() if m >= 3]
        best = max(margins, key=lambda r: margins[r][1])
        out.append("- **Moonshot** (at least 3 points above random real with ResNet-18 and the ConvNet, soft and hard "
                   "labels): " + (f"met by {', '.join(met)}." if met else f"not met; the closest, {best}, is "
                                  f"{margins[best][1]:+.2f} against random real with {margins[best][2]}."))
    pairs = [(paired(cells, ipc, f"PRISM balanced · {i}", f"PRISM · {i}", e), f"{i} init, {e}")
             for i in INITS for e in EVALS]
    pairs = [(d, where) for d, where in pairs if d]
    if pairs:
        wins = [w for d, w in pairs if direction(d) > 0]
        losses = [w for d, w in pairs if direction(d) < 0]
        said = (f"against PRISM from the same init it is better in {len(wins)} and worse in {len(losses)} of "
                f"{len(pairs)} paired evaluations" + "".join(f"; {k}: {', '.join(v)}" for k, v in
                                                             (("better", wins), ("worse", losses)) if v))
        out.append("- **PRISM balanced as the default** (only if it wins): " + said + (
            ", so it wins: make it the default." if wins and not losses else
            ", so PRISM stays the default and balanced stays opt-in (`--method prism-balanced`)."))
    return out


def markdown(lines: list[dict[str, str]]) -> list[str]:
    if not lines:
        return []
    head = list(lines[0])
    return (["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]  # "|S|" escaped: one column
            + ["| " + " | ".join(str(line[h]).replace("|", r"\|") for h in head) + " |" for line in lines])


COLOURS = {"random real": "0.6", "real init images": "0.3", "SRe2L": "tab:blue", "PRISM": "tab:red",
           "PRISM balanced": "tab:purple", "G-VBSM": "tab:green"}


def _style(row: str) -> dict:
    """One colour per method, hatched when born from noise: a row's method and init read off its bar."""
    method, _, init = row.partition(" · ")
    return dict(color=COLOURS.get(method, "tab:orange"), hatch="///" if init == "noise" else None,
                edgecolor="white" if init == "noise" else None)


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
        free = [s for s in slots if s[0] + w < 1 and s[0] > 0
                and not any(abs(s[1] - by) < line and s[0] < bx + bw and bx < s[0] + w for bx, by, bw in placed)]
        lx, ly = (free or slots)[0]
        placed.append((lx, ly, w))
        ax.annotate(name, (x, y), xytext=(lx, ly), textcoords="axes fraction", fontsize=7, va="center",
                    arrowprops=None if (lx, ly) in beside else dict(arrowstyle="-", lw=0.4, color="0.5"))


def figure(cells: dict, ipc: int):
    """Two panels a reader takes in at a glance: top-1 per row and evaluation against the random real subset
    (dashed), and Vendi against coverage (diversity against fidelity: noise-born sets sit high and to the left)."""
    from matplotlib.figure import Figure  # not pyplot: nothing is kept open in a long-lived app process
    rows = [line["row"] for line in summary(cells, ipc, ROWS)]
    values = {(r, c): list(_values(cells, r, ipc, c).values()) for r in rows for c in [*EVALS, *METRICS]}
    evals = [e for e in EVALS if any(values[r, e] for r in rows)]
    mean = {k: np.mean(v) if v else np.nan for k, v in values.items()}
    y = diversity_axis(ipc)
    fig = Figure(figsize=(14, 4.6))
    bars, scatter = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.2, 1]})
    width = 0.8 / max(1, len(rows))
    for i, row in enumerate(rows):
        pos = np.arange(len(evals)) + (i - (len(rows) - 1) / 2) * width
        bars.bar(pos, [mean[row, e] for e in evals], width, yerr=[np.std(values[row, e] or [0]) for e in evals],
                 label=row, capsize=2, **_style(row))
        colour = _style(row)["color"]
        xs, ys = values[row, "coverage"], values[row, y]
        if xs and ys:
            scatter.errorbar(mean[row, "coverage"], mean[row, y], xerr=np.std(xs), yerr=np.std(ys), color=colour,
                             fmt="o" if " · noise" not in row else "s", mfc="white" if " · noise" in row else colour)
    for j, e in enumerate(evals):
        if "random real" in rows:
            bars.hlines(mean["random real", e], j - 0.45, j + 0.45, colors="0.3", linestyles="dashed", linewidth=1)
    bars.set_xticks(range(len(evals)), evals, fontsize=9)
    bars.set_ylabel("student top-1 (%)")
    bars.set_ylim(bottom=max(0, np.nanmin([mean[r, e] for r in rows for e in evals]) - 10))
    bars.set_title(f"IPC {ipc}: students trained from scratch on each set (mean ± std over seeds; dashed: random "
                   "real subset)", fontsize=10)
    scatter.set_xlabel(f"coverage of the real data (fidelity, {EXTRACTOR} features)")
    scatter.set_ylabel("Vendi score (diversity)" if y == "Vendi" else "density (how typical of the real data)")
    scatter.set_title(f"{'diversity' if y == 'Vendi' else 'density'} against fidelity (squares: from noise)",
                      fontsize=10)
    scatter.margins(0.2)
    _label_points(scatter, {r: (mean[r, "coverage"], mean[r, y]) for r in rows
                            if values[r, "coverage"] and values[r, y]})
    fig.legend(*bars.get_legend_handles_labels(), loc="lower center", ncol=min(len(rows), 7), fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig
