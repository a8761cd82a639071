"""`benchmark`: the init-controlled comparison on a workspace, its cells measured on Dask (it resumes)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm.auto import tqdm

from ..benchmark import Benchmark, CellStore, cluster, write_outputs
from ..benchmark import run as run_benchmark
from ..benchmark.measure import extractor_name
from ..benchmark.preflight import preflight
from ..benchmark.protocol import PRESET_NOTES, PRESETS
from ..benchmark.runner import GPU_SLOTS, LOCAL_WORKERS, require_gpu_workers
from .flags import add_config_flags, add_workspace_flag, given_fields, workspace


def benchmark_from_args(args: argparse.Namespace) -> Benchmark:
    """The preset's fields, each replaced by its flag where one is given."""
    return Benchmark(workspace(args), **{**PRESETS[args.preset], **given_fields(Benchmark, args)})


def cmd_benchmark(args: argparse.Namespace) -> int:
    """Measure the missing cells on Dask (an embedded local cluster, or --scheduler), store each as it arrives, then
    write results.md, results.png and forest.png beside cells.json."""
    bench = benchmark_from_args(args)
    preflight(bench)
    extractor = extractor_name(bench)
    out = Path(args.out)
    store = CellStore(out / "cells.json")
    slots = args.gpu_slots
    if bench.device.startswith("cuda") and not args.scheduler and not slots:
        slots = GPU_SLOTS
        print(f"GPU slots: {slots} tasks share the GPU (--gpu-slots to change)", file=sys.stderr)
    with cluster(args.scheduler, args.workers, slots) as client:
        if bench.device.startswith("cuda"):
            require_gpu_workers(client, args.scheduler)
        bar = tqdm(desc="benchmark", unit="task")

        def announce(total: int) -> None:
            bar.total = total
            bar.refresh()

        def show(p) -> None:
            bar.update(1)
            if p.error:
                tqdm.write(f"{p.cell} {p.label}: failed ({p.error})")

        failed = run_benchmark(bench, store, client, out / "runs", show, submitted=announce)
        bar.close()
    write_outputs(
        store.cells,
        out / "results.md",
        out,
        extractor,
        "python -m prism_core benchmark " + " ".join(sys.argv[2:]),
    )
    print(
        f"{len(store.cells)} cells in {out / 'cells.json'}; wrote {out / 'results.md'}, results.png and forest.png"
        + (f"; {failed} task(s) failed (stored in the cells under 'failed')" if failed else "")
    )
    return 1 if failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("benchmark", help="the init-controlled comparison on a workspace, cells on Dask (resumes)")
    add_workspace_flag(p, "the dataset, the zoo and the extractor")
    p.add_argument(
        "--preset",
        default="paper",
        choices=list(PRESETS),
        help="the budget the flags below start from: " + "; ".join(f"{k}: {v}" for k, v in PRESET_NOTES.items()),
    )
    add_config_flags(p, Benchmark, show_defaults=False)  # None: the preset's value
    p.add_argument(
        "--workers",
        type=int,
        default=LOCAL_WORKERS,
        help=f"worker processes of the embedded local cluster (default: a core each as memory holds: {LOCAL_WORKERS})",
    )
    p.add_argument(
        "--gpu-slots",
        type=int,
        default=0,
        help=f"tasks that share one GPU on the embedded cluster (default with --device cuda: {GPU_SLOTS})",
    )
    p.add_argument(
        "--scheduler", help="a running Dask scheduler's address (tcp://host:8786) instead of the local cluster"
    )
    p.add_argument("--out", required=True, help="folder of cells.json, results.md and its figures (resumes)")
    p.set_defaults(func=cmd_benchmark, workspace="embedded")
