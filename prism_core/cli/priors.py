"""`priors`: one run per BN teacher from the same noise, seed and primary, and their grid."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..events import BatchDone, PriorRow
from ..priors import PriorsConfig, render_priors
from .flags import add_config_flags, add_workspace_flag, given_fields, workspace


def cmd_priors(args: argparse.Namespace) -> int:
    space = workspace(args).run_fields() if args.workspace else {}
    cfg = PriorsConfig(
        **{k: v for k, v in space.items() if k in ("dataset", "weights")}, **given_fields(PriorsConfig, args)
    )
    for event in render_priors(cfg, args.out):
        if isinstance(event, BatchDone):
            print(f"  batch {event.batch} done", file=sys.stderr, flush=True)
        elif isinstance(event, PriorRow):
            m = event.measured
            cosine = "-" if m.intra_class_cosine is None else f"{m.intra_class_cosine:.3f}"
            print(
                f"{event.index + 1}/{event.rows} {m.label}: BN from {', '.join(m.bn_pool)}; "
                f"{cfg.judge} top-1 {m.judge_top1:.0f}%, intra-class cosine {cosine}",
                flush=True,
            )
    print(f"grid: {Path(args.out) / 'priors.png'}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("priors", help="one run per BN teacher (same classes, seed, init and primary) and their grid")
    p.add_argument("--out", required=True, help="folder for the runs, priors.png and priors.json")
    add_config_flags(p, PriorsConfig)
    add_workspace_flag(p, "the dataset and the zoo whose BN teachers make the rows")
    p.set_defaults(func=cmd_priors)
