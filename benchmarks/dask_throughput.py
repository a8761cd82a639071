"""The benchmark engine's figures on this machine: the classroom preset on the generated 3-class workspace, measured
by two local Dask worker processes (one torch thread each) against one process (all threads), side by side, and a
local cluster's memory per worker.

    python benchmarks/dask_throughput.py                                # prints a markdown table
    python benchmarks/dask_throughput.py --rows "random real" --seeds 6  # students only: many small tasks
    python benchmarks/dask_throughput.py --rows "random real" --seeds 4 --epochs 200  # longer ones

The workspace (data/shapes.py, a zoo trained on it for one epoch) is made in a temporary folder first and is not
timed. Each side measures the whole preset from nothing: synthesis, metrics and every student.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from prism_core.benchmark import Benchmark, CellStore, cluster, run
from prism_core.benchmark.protocol import PRESETS
from prism_core.workspaces import get_workspace, shapes_workspace


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def timed(bench: Benchmark, client, out: Path) -> tuple[float, int]:
    start = time.perf_counter()
    failed = run(bench, CellStore(out / "cells.json"), client, out / "runs")
    return time.perf_counter() - start, failed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="classroom", choices=list(PRESETS))
    ap.add_argument("--seeds", type=int, help="seeds per row instead of the preset's (more cells to share)")
    ap.add_argument("--rows", help="rows instead of the preset's, comma-separated")
    ap.add_argument("--epochs", type=int, help="student epochs instead of the preset's (longer tasks)")
    args = ap.parse_args()
    preset = {**PRESETS[args.preset], **({"seeds": args.seeds} if args.seeds else {})}
    preset |= {"rows": tuple(args.rows.split(","))} if args.rows else {}
    preset |= {"epochs": args.epochs} if args.epochs else {}
    from distributed import Client

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ws = get_workspace("shapes", shapes_workspace(root)[0])
        threads = torch.get_num_threads()
        one = Benchmark(ws, **preset, threads=threads)
        with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
            t_one, f_one = timed(one, client, root / "one")
        two = Benchmark(ws, **preset, threads=1)
        with cluster(workers=2) as client:
            idle = client.run(rss_mb)
            client.run(lambda: __import__("prism_core.benchmark.measure"))  # as warm as the one process: imports
            t_two, f_two = timed(two, client, root / "two")
            after = client.run(rss_mb)
        cells = len(CellStore(root / "two" / "cells.json").cells)
    rows = ", ".join(preset["rows"])
    print(
        f"| {args.preset} preset ({rows}), seeds {preset['seeds']}, shapes workspace, {cells} cells | wall | failed |"
    )
    print("|---|---:|---:|")
    print(f"| one process, {threads} torch threads | {t_one:.1f} s | {f_one} |")
    print(f"| local Dask cluster, 2 worker processes x 1 thread | {t_two:.1f} s | {f_two} |")
    print(f"\nthroughput ratio (two workers / one process): {t_one / t_two:.2f}x")
    print(
        f"local cluster memory per worker: {sum(idle.values()) / len(idle):.0f} MB idle (started, nothing imported "
        f"by a task), {sum(after.values()) / len(after):.0f} MB after the preset"
    )


if __name__ == "__main__":
    main()
