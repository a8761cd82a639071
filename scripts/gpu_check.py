"""The prepared device check (`make gpu-check`): everything a lent GPU machine should tell us, in one call.

    python scripts/gpu_check.py --out DIR            # on the GPU machine (its own torch and timm; no Streamlit)
    python scripts/gpu_check.py --out DIR --dry-run  # on a CPU: the same steps, tiny sizes (tested in CI)
    python scripts/gpu_check.py --pack-data DIR      # here: a Fashion-MNIST small enough to travel with the tree

Steps run cheapest and most telling first, each timed and caught, under a wall-clock budget; after every step
DIR/gpu_check.md (a table ready for docs/performance.md) and DIR/gpu_check.json are rewritten, so a check cut
short still reports what it did. Exit status 1 when a step failed. The steps live in scripts/device_check/.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANCHOR = ROOT / ".gpu-data" / "lean_anchor.py"  # make gpu-data copies it (ANCHOR=FILE)
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from device_check import engine_steps, speed_steps  # noqa: E402
from device_check.grid_step import results_grid  # noqa: E402
from device_check.machine import facts  # noqa: E402
from device_check.report import Check  # noqa: E402
from device_check.setting import Setting  # noqa: E402
from device_check.travel_data import pack_fashion_mnist  # noqa: E402

from prism_core import bench  # noqa: E402


def plan(s: Setting, check: Check) -> list[tuple[str, Callable[[], str], float]]:
    """(name, step, seconds it needs at least), in the order they run."""
    e, sp = engine_steps, speed_steps
    own = "fp32" if s.dry else "bf16+cudagraphs+step"  # the variant that crashed torch 2.11; a dry run: the plumbing
    compiled = () if s.dry else ("bf16+compile", "bf16+compile+step")  # a dry run compiles one case: 2 slow cores
    whole_step = (
        "fp32",
        "bf16",
        "bf16+compile",
        "bf16+compile+step",
        "bf16+compile+step+pack4",
    )
    return [
        ("CLI synth, each recipe, Fashion-MNIST zoo", partial(e.recipes_fmnist, s), 0),
        (f"CLI synth, each ImageNet preset, {s.size} px", partial(e.recipes_imagenet, s), 30),
        ("CLI evaluate (student + online soft labels)", partial(e.evaluation, s), 30),
        ("job queue (the app's path)", partial(e.job_queue, s), 30),
        ("CPU and device images agree", partial(e.cpu_vs_device, s), 30),
        ("compiled equals eager", partial(e.compiled_equals_eager, s), 60),
        ("lean anchor", partial(sp.anchor, s, check), 60),
        ("bench sre2l-imagenet", partial(sp.bench_case, s, check, "sre2l-imagenet", whole_step), 90),
        ("profile sre2l-imagenet, whole step", partial(sp.profile, s, "sre2l-imagenet", "bf16+compile+step"), 30),
        ("bench prism4-imagenet", partial(sp.bench_case, s, check, "prism4-imagenet", ("fp32", *compiled)), 150),
        ("bench fmnist-defaults", partial(sp.bench_case, s, check, "fmnist-defaults", ("fp32", *compiled)), 90),
        ("profile fmnist-defaults, eager", partial(sp.profile, s, "fmnist-defaults", "fp32"), 30),
        (
            f"bench sre2l-imagenet {own}, own process",
            partial(sp.bench_own_process, s, check, "sre2l-imagenet", own),
            60,
        ),
        ("results grid", partial(results_grid, s, check), 120),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="report folder")
    ap.add_argument("--dry-run", action="store_true", help="CPU, tiny sizes: checks the script itself")
    ap.add_argument("--budget-s", type=float, default=450, help="stop starting steps after this many seconds")
    ap.add_argument("--steps", type=int, default=50, help="bench steps per batch")
    ap.add_argument("--only", help="run only the steps whose names contain one of these comma-separated words")
    ap.add_argument("--pack-data", metavar="DIR", help="write a travelling Fashion-MNIST to DIR and exit")
    ap.add_argument(
        "--anchor",
        default=str(ANCHOR),
        help="the lean anchor loop (make gpu-data ANCHOR=FILE copies it here)",
    )
    ap.add_argument("--anchor-runs", default="", help="the anchor's runs to time, comma-separated (default: all)")
    args = ap.parse_args()
    if args.pack_data:
        pack_fashion_mnist(Path(args.pack_data))
        return 0
    if not args.out:
        ap.error("--out is required")
    dry = args.dry_run or not torch.cuda.is_available()
    s = Setting(
        out=Path(args.out),
        work=Path(tempfile.mkdtemp(prefix="gpu_check_")),
        dry=dry,
        bench_steps=2 if dry else args.steps,
        anchor=Path(args.anchor),
        anchor_runs=args.anchor_runs,
    )
    s.out.mkdir(parents=True, exist_ok=True)
    check = Check(s.out, args.budget_s, args.only.split(",") if args.only else None)
    check.facts = {**facts(s.device), "mode": "dry run (CPU, tiny sizes)" if dry else "GPU"}
    check.write()
    check.facts["matmul_tflops"] = round(bench.matmul_tflops(s.device), 3)  # a dry run's CPU: well under 1
    check.facts["bench_steps"] = s.bench_steps
    for name, step, need_s in plan(s, check):
        check.step(name, step, need_s)
    check.facts["total_s"] = round(check.elapsed())
    check.write()
    print((s.out / "gpu_check.md").read_text())
    return 1 if check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
