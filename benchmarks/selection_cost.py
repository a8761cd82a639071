"""What each selection rule costs to build on Fashion-MNIST (all 10 classes), against one synthesis from the same
real images, side by side in one process: the wall time of `synthesize` from nothing (the selector's load and
forward passes included), as a user launching `--method RULE` waits for it.

    python benchmarks/selection_cost.py [--ipcs 1,10,50] [--threads 2]   # prints a markdown table
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from prism_core.selection import RULES
from prism_core.synthesis import SynthConfig, synthesize
from prism_core.synthesis.init_settings import INIT_SETTINGS


def seconds(cfg: SynthConfig, out: Path) -> float:
    started = time.perf_counter()
    for _ in synthesize(cfg, out):
        pass
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ipcs", default="1,10,50")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ipcs = [int(i) for i in args.ipcs.split(",")]
    rows = {
        **{r: SynthConfig(method=r, snapshots=0) for r in RULES if r != "first"},
        "PRISM · real (100 steps)": SynthConfig(method="prism", snapshots=0, **INIT_SETTINGS["real"]),
    }
    threads = f"{args.threads} thread{'s' if args.threads > 1 else ''}"
    print(f"| rule ({threads}) | " + " | ".join(f"IPC {i} (s)" for i in ipcs) + " |")
    print("|---|" + "---:|" * len(ipcs))
    with tempfile.TemporaryDirectory() as tmp:
        for name, cfg in rows.items():
            times = [seconds(cfg.replace(ipc=i), Path(tmp) / f"{name}-{i}") for i in ipcs]
            print(f"| {name} | " + " | ".join(f"{t:.1f}" for t in times) + " |", flush=True)


if __name__ == "__main__":
    main()
