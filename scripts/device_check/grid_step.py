"""The last step: the budget left measures cells of the shipped benchmark on the device."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from prism_core.benchmark.store import load_cells

from .report import Check
from .setting import Setting

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_CELLS = ROOT / "docs" / "measurements" / "grid" / "cells.json"


def results_grid(s: Setting, check: Check) -> str:
    """`prism_core benchmark` on a local cluster whose one worker shares the device among 4 tasks, from where the
    committed cells stop. The cells are stored as they finish, so the run stopped at the deadline keeps every
    finished one. Bring back OUT/grid/cells.json: it is the committed file grown, so it replaces
    docs/measurements/grid/cells.json; then python scripts/results.py. Its cells are comparable: the real-init rows
    start from the same images (the packed pool keeps the first 1,000 per class), and random real draws from those
    1,000 instead of all 6,000, the same distribution."""
    cells = s.out / "grid" / "cells.json"
    cells.parent.mkdir(exist_ok=True)
    shutil.copy(SHIPPED_CELLS, cells)
    before = {k: len(c.top1) for k, c in load_cells(cells).items()}
    if s.dry:  # the plumbing: one new tiny cell (seed 4) on one CPU worker
        what = ["--rows", "random real", "--ipcs", "1", "--seeds", "4", "--students", "convnet", "--labels", "hard"]
        what += ["--epochs", "1", "--workers", "1"]
    else:
        what = ["--ipcs", "50", "--students", "resnet18,convnet,vit", "--device", s.dev, "--gpu-slots", "4"]
    seconds = 300 if s.dry else max(0, check.left() - 60)
    with open(s.out / "grid.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "prism_core", "benchmark", "--workspace", "embedded", *what]
            + ["--out", str(cells.parent)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.returncode not in (0, -9):
        raise RuntimeError(f"the benchmark failed ({proc.returncode}): see grid.log")
    after = load_cells(cells)
    added = sum(len(c.top1) - before.get(k, 0) for k, c in after.items())
    return f"{added} evaluations ({len(after) - len(before)} new cells) in {seconds:.0f} s"
