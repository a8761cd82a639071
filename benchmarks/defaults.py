"""Each method's defaults at IPC 10 on all Fashion-MNIST classes: wall time and held-out top-1.

    python benchmarks/defaults.py [--ipc 10] [--judge convnext_atto] [--methods sre2l,prism,prism-intra,gvbsm]
                                  [--set lr=0.5 --set crop_scale=[0.25,1]]   # try other values (tuning)

Two held-out measures: top-1 of convnext_atto, the one zoo teacher no recipe uses (BN-free, so never in a
BN pool, and never a primary here: the same judge for every method), and the mean top-1 over every zoo
teacher that took no part in that run (more judges, but a different set per method). Prints a markdown
table; docs/methods.md quotes it.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time

import torch

from prism_core.data import get_dataset
from prism_core.metrics import run_images01
from prism_core.synthesis import SynthConfig, prepare, synthesize
from prism_core.synthesis.runstore import Run
from prism_core.teachers import ZOO_DIR, create_teacher, read_manifest
from prism_core.training import predict

VARIANTS = {
    "sre2l": SynthConfig(method="sre2l"),
    "prism": SynthConfig(method="prism"),
    "prism-intra": SynthConfig(method="prism", selection="intra"),
    "gvbsm": SynthConfig(method="gvbsm"),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ipc", type=int, default=10)
    ap.add_argument("--judge", default="convnext_atto")
    ap.add_argument("--methods", default=",".join(VARIANTS))
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="override a config field in every variant, e.g. r_bn=0.1 or crop_scale=[0.5,1]",
    )
    args = ap.parse_args()
    overrides = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    if overrides:
        print(f"# overrides: {overrides}")
    ds = get_dataset("fashion_mnist")
    zoo = {name: create_teacher(name, ds.info).model for name in read_manifest(ZOO_DIR).teachers}
    print(
        f"# defaults at IPC {args.ipc}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}"
    )
    print(
        f"| method | iterations | lr | r_bn | crop scale | init | held-out top-1 ({args.judge}) "
        "| mean top-1 of all held-out zoo teachers (n) | wall s (incl. teacher loading) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.methods.split(","):
        cfg = SynthConfig.from_dict({**VARIANTS[name].to_dict(), "ipc": args.ipc, **overrides})
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            prepared = prepare(cfg)
            assert args.judge not in prepared.teachers, "the judge must take no part in the synthesis"
            for _ in synthesize(prepared, tmp):
                pass
            wall = time.perf_counter() - start
            x01, classes, _ = run_images01(Run(tmp))  # exactly what the PNGs hold
        held_out = {
            n: 100 * (predict(m, x01, ds.info).numpy() == classes).mean()
            for n, m in zoo.items()
            if n not in prepared.teachers
        }
        c = prepared.config
        print(
            f"| {name} | {c.iterations} | {c.lr} | {c.r_bn} | {c.crop_scale[0]:g}-{c.crop_scale[1]:g} | {c.init} "
            f"| {held_out[args.judge]:.1f} | {sum(held_out.values()) / len(held_out):.1f} ({len(held_out)}) "
            f"| {wall:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
