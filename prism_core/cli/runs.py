"""Commands over stored runs: `evaluate` (students), `metrics` (diversity and fidelity), `export` (GIF, zip)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..distributed import local_device
from ..evaluation import EvalConfig, check_complete, evaluate_run
from ..events import Evaluated
from ..metrics import compute_metrics
from ..synthesis.run_export import export_zip
from ..synthesis.runstore import Run, RunError
from ..viz import trajectory_gif
from .flags import add_config_flags, add_workspace_flag, given_fields, table, workspace


def cmd_evaluate(args: argparse.Namespace) -> int:
    space = {"weights": workspace(args).weights} if args.workspace else {}
    cfg = EvalConfig(**{**space, **given_fields(EvalConfig, args)})
    runs = [Run(p) for p in args.runs]
    for run in runs:  # refuse before spending any time
        check_complete(run)
    rows = []
    for run in runs:
        for result in evaluate_run(
            run, cfg, args.seeds, real_baseline=args.real_baseline, device=str(local_device(args.device))
        ):
            if isinstance(result, Evaluated):
                name = run.name if result.subject == "run" else f"random real (IPC {run.config().ipc})"
                rows.append(
                    {
                        "run": name,
                        "student": cfg.student,
                        "seeds": args.seeds,
                        "top-1": f"{result.mean:.2f} +- {result.std:.2f}",
                    }
                )
    print(table(rows, list(rows[0])))
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    extractor = args.extractor or (workspace(args).extractor if args.workspace else None)
    measured = {path: compute_metrics(Run(path), extractor=extractor, force=args.force) for path in args.runs}
    if args.json:
        keys = (
            "extractor",
            "vendi",
            "near_duplicate_rate",
            "intra_class_cosine_summary",
            "fidelity_mean",
            "random_real",
        )
        stored = {Path(p).name: m.to_json() for p, m in measured.items()}  # metrics.json's layout
        print(json.dumps({name: {k: m[k] for k in keys} for name, m in stored.items()}, indent=1))
        return 0
    rows = []
    for path, m in measured.items():
        cos, div, fid, real = (
            m.images.intra_class_cosine_summary,
            m.images.diversity,
            m.images.fidelity_mean,
            m.random_real,
        )
        rows.append(
            {
                "run": Path(path).name,
                "extractor": m.extractor,
                "intra-class cos": f"{cos.mean:.3f} +- {cos.std:.3f}",
                "vendi": f"{div.vendi:.2f}",
                "near-dup": f"{div.near_duplicate_rate:.2f}",
                "real: cos / vendi / near-dup": f"{real.intra_class_cosine_summary.mean:.3f} / "
                f"{real.diversity.vendi:.2f} / {real.diversity.near_duplicate_rate:.2f}",
                "precision": f"{fid.precision:.2f}",
                "recall": f"{fid.recall:.2f}",
                "coverage": f"{fid.coverage:.2f}",
                "nearest-real cos": f"{fid.nearest_real_cosine:.3f}",
            }
        )
    print(table(rows, list(rows[0])))
    print(
        "(written to metrics.json in each run; lower intra-class cosine, higher Vendi score (effective number of "
        "distinct images per class) and fewer near-duplicates = more diverse; 'real' is a random real training "
        "subset of the same classes and IPC)"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    run = Run(args.run)
    if not run.exists():
        raise RunError(f"{args.run} is not a run (no config.json)")
    if not (args.gif or args.zip):
        raise ValueError("say what to export: --gif FILE (the trajectory) and/or --zip FILE (the images)")
    if args.gif:
        frames = trajectory_gif(run, args.gif, per_class=args.per_class, scale=args.scale, ms=args.ms)
        print(f"{args.gif}: {frames} frames")
    if args.zip:
        with open(args.zip, "wb") as f:
            export_zip(run, f)
        print(f"{args.zip}: the finished images in ImageFolder layout")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate", help="train students on runs' images with online soft labels; top-1 on the test split"
    )
    p.add_argument("runs", nargs="+")
    add_config_flags(p, EvalConfig)
    add_workspace_flag(p, "the relabel teachers' zoo; --weights overrides")
    p.add_argument("--seeds", type=int, default=3, help="students per run (seeds 0..N-1)")
    p.add_argument("--real-baseline", action="store_true", help="also evaluate a random real subset at the same IPC")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N: where students train and teachers relabel")
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("export", help="a run's trajectory as an animated GIF, its images as a zip")
    p.add_argument("run", help="the run directory")
    p.add_argument("--gif", help="write the images forming (one row per class) to this GIF")
    p.add_argument("--zip", help="write the finished images (ImageFolder layout) to this zip")
    p.add_argument("--per-class", type=int, default=10, help="GIF: images per class row")
    p.add_argument("--scale", type=int, default=3, help="GIF: pixel zoom")
    p.add_argument("--ms", type=int, default=120, help="GIF: milliseconds per frame (the last one stays 1 s)")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("metrics", help="diversity, fidelity and BN-prior fit of runs (JSON into each run)")
    p.add_argument("runs", nargs="+")
    p.add_argument("--extractor", help="feature extractor (default: a zoo model not used by the run)")
    p.add_argument("--force", action="store_true", help="recompute even when cached")
    add_workspace_flag(p, "its extractor, when --extractor is not given")
    p.add_argument(
        "--json", action="store_true", help="machine-readable output (per run: vendi, near_duplicate_rate, ...)"
    )
    p.set_defaults(func=cmd_metrics)
