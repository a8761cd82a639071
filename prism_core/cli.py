"""`python -m prism_core <command>`: the same library functions the app calls, with tqdm and tables."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import fields, replace
from pathlib import Path

import torch
from tqdm.auto import tqdm

from .bench import cases, markdown, matmul_tflops, run_case, variant_config
from .benchmark import STUDENTS, Benchmark, CellStore, cluster, write_outputs
from .benchmark import run as run_benchmark
from .benchmark.measure import extractor_name
from .benchmark.protocol import PRESETS
from .data import EMBEDDED_DATASET, DataError, get_dataset
from .distributed import local_device, shard_from_env
from .evaluation import EvalConfig, check_complete, evaluate_run
from .events import BatchDone, Done, Evaluated, PriorRow, Started, Step, TeacherSaved
from .metrics import compute_metrics
from .priors import PriorsConfig, render_priors
from .synthesis import METHODS, SynthConfig, synthesize
from .synthesis.config import COMPILE_MODES, ConfigError
from .synthesis.engine import SynthesisError
from .synthesis.presets import preset
from .synthesis.run_export import export_zip
from .synthesis.runstore import Run, RunError
from .teachers import ZOO_DIR, TeacherError
from .teachers.catalog import teacher_rows
from .teachers.zoo import ZOO_TRAINING, rescore_zoo, train_zoo_teacher
from .training import TrainConfig
from .viz import trajectory_gif
from .workspaces import declaration, get_workspace


def _table(rows: list[dict], columns: list[str]) -> str:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) if rows else len(c) for c in columns}
    line = "  ".join(c.ljust(widths[c]) for c in columns)
    body = ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join([line, "  ".join("-" * widths[c] for c in columns), *body])


def cmd_teachers_list(args: argparse.Namespace) -> int:
    rows = teacher_rows(Path(args.zoo))
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print(_table(rows, ["name", "family", "source", "params_M", "bn_layers", "test_top1", "size_MB", "roles"]))
    return 0


def _add_workspace_flag(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--workspace", help=f"a workspace from $PRISM_WORKSPACES (or 'embedded'): {what}")


def _workspace(args: argparse.Namespace):
    return get_workspace(args.workspace)


def cmd_teachers_train(args: argparse.Namespace) -> int:

    dataset = get_dataset(args.dataset)
    names = args.only.split(",") if args.only else list(ZOO_TRAINING)
    for name in names:
        cfg = ZOO_TRAINING.get(name, TrainConfig())
        if args.epochs:
            cfg = replace(cfg, epochs=args.epochs)
        for event in train_zoo_teacher(name, dataset, Path(args.out), cfg, device=args.device):
            if isinstance(event, TeacherSaved):
                print(f"{name}: test top-1 {event.test_top1:.2f}% in {event.seconds:.0f} s", flush=True)
            else:
                print(
                    f"{name}: epoch {event.epoch} loss {event.train_loss:.4f} test top-1 {event.test_top1:.2f}%",
                    flush=True,
                )
    if args.dataset != EMBEDDED_DATASET:
        print(
            "\nTo use this zoo in the app and with --workspace, add to the TOML file named by $PRISM_WORKSPACES:\n\n"
            + declaration(Path(args.out).name, args.dataset, args.out)
        )
    return 0


def _csv(text: str | None, cast=str):
    return None if text is None else tuple(cast(t) for t in text.split(",") if t.strip())


def _csv_of(cast):
    def parse(text: str) -> tuple:
        return _csv(text, cast)

    parse.__name__ = f"comma-separated {cast.__name__}"  # what argparse names in its error message
    return parse


# config fields whose flags have a shape of their own (added by hand in _add_synth_args)
_OWN_FLAGS = {
    "checkpoints": "--checkpoint",
    "include_primary": "--exclude-primary",
    "compile": "--compile",
    "method": "--method",
}


def add_config_flags(
    p: argparse.ArgumentParser, config: type, skip: Iterable[str] = (), show_defaults: bool = True
) -> None:
    """One flag per field of `config` declared with `fields.opt`, typed from its annotation, with its help text and
    choices: a new field is a new flag without being listed again. Flags default to None, so that only the given
    ones replace the dataclass's defaults (`given_fields`)."""
    for f in fields(config):
        if "help" not in f.metadata or f.name in skip:
            continue
        flag, kind = "--" + f.name.replace("_", "-"), str(f.type)
        cast = float if "float" in kind else int if "int" in kind else str
        shown = f.metadata["help"] + (
            f" (default: {_shown(f.default)})" if show_defaults and f.default is not None else ""
        )
        if kind.startswith("bool"):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=shown)
        elif kind.startswith("tuple"):
            p.add_argument(flag, type=_csv_of(cast), metavar="A,B,...", help=shown)
        else:
            p.add_argument(flag, type=cast, choices=f.metadata.get("choices"), help=shown)


def _shown(default: object) -> str:
    return ",".join(map(str, default)) if isinstance(default, tuple) else str(default)


def given_fields(config: type, args: argparse.Namespace) -> dict:
    """The fields of `config` whose flags were given."""
    return {
        f.name: getattr(args, f.name)
        for f in fields(config)
        if "help" in f.metadata and getattr(args, f.name, None) is not None
    }


def synth_config_from_args(args: argparse.Namespace):

    cfg = (
        SynthConfig.from_json(Path(args.config).read_text())
        if args.config
        else preset(args.preset)
        if args.preset
        else SynthConfig()
    )
    if args.workspace:
        cfg = cfg.replace(**_workspace(args).run_fields())
    overrides = {k: v for k, v in given_fields(SynthConfig, args).items() if k not in _OWN_FLAGS}
    overrides.update(compile=args.compile, method=args.method)
    if args.checkpoint:
        pairs = [item.split("=", 1) for item in args.checkpoint]
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError("--checkpoint takes NAME=FILE, e.g. tv_resnet18=/weights/r18.safetensors")
        overrides["checkpoints"] = {**(cfg.checkpoints or {}), **dict(pairs)}
    if args.exclude_primary:
        overrides["include_primary"] = False
    return cfg.replace(**{k: v for k, v in overrides.items() if v is not None})


def cmd_synth(args: argparse.Namespace) -> int:

    cfg = synth_config_from_args(args)
    shard = shard_from_env()
    bar, summary = None, {}
    for event in synthesize(cfg, args.out, resume=args.resume, overwrite=args.overwrite, shard=shard):
        if isinstance(event, Started):
            print(
                f"{event.config['method']}: {event.batches} batches in the plan, {event.already_done} already "
                f"finished here, {len(event.todo)} to do -> {event.run}",
                file=sys.stderr,
            )
            bar = tqdm(total=len(event.todo), unit="batch", disable=shard[0] != 0 and not sys.stderr.isatty())
        elif isinstance(event, Step) and bar is not None:
            bar.set_postfix_str(
                f"b{event.batch} step {event.step}/{event.iterations} "
                + " ".join(f"{k}={v:.3g}" for k, v in event.losses.items() if "/" not in k)
                + f" {event.img_per_s:.0f} img-it/s"
            )
        elif isinstance(event, BatchDone):
            bar.update(1)
            summary = event.record.final_losses
        elif isinstance(event, Done):
            bar.close()
            losses = ", ".join(f"{k}={v:.4g}" for k, v in summary.items() if "/" not in k)
            print(
                f"done: {event.batches} batches in {event.seconds:.1f} s"
                + (f"; last batch losses: {losses}" if losses else " (a selection: nothing optimised)"),
                file=sys.stderr,
            )
    return 0


def cmd_bench(args: argparse.Namespace) -> int:

    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    chosen = cases(args.steps, str(device))
    names = list(chosen) if args.case == "all" else args.case.split(",")
    unknown = [n for n in names if n not in chosen]
    if unknown:
        raise ValueError(f"unknown bench case(s) {unknown}; choose from {', '.join(chosen)} or all")
    variants = (
        tuple(args.variants.split(","))
        if args.variants
        else ("fp32", "bf16", "bf16+compile")
        if device.type == "cuda"
        else ("fp32",)
    )
    for variant in variants:
        variant_config(chosen[names[0]].config, variant)  # a typo fails before anything runs
    rate = matmul_tflops(device)
    results = []
    for name in names:
        print(
            f"{name}: the reference-style loop, then the engine ({', '.join(variants)}; "
            f"{args.steps} steps per batch)...",
            file=sys.stderr,
            flush=True,
        )
        results.append(run_case(chosen[name], variants, warmup=args.warmup))
        r = results[-1]
        print(
            f"{name}: reference {r['reference']['img_it_s']:.0f} img-it/s; engine "
            + ", ".join(
                f"{v} " + (m["error"] if "error" in m else f"{m['img_it_s']:.0f} img-it/s ({m['ratio']:.2f}x)")
                for v, m in r["engine"].items()
            ),
            file=sys.stderr,
            flush=True,
        )
    table = markdown(results, device, rate, args.steps)
    print(table)
    if args.out:
        Path(args.out).write_text(table + "\n")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"device": str(device), "matmul_tflops": rate, "steps": args.steps, "results": results}, indent=1
            )
        )
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    extractor = args.extractor or (_workspace(args).extractor if args.workspace else None)
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
        print(json.dumps({Path(p).name: {k: m[k] for k in keys} for p, m in measured.items()}, indent=1))
        return 0
    rows = []
    for path, m in measured.items():
        cos, fid, real = m["intra_class_cosine_summary"], m["fidelity_mean"], m["random_real"]
        rows.append(
            {
                "run": Path(path).name,
                "extractor": m["extractor"],
                "intra-class cos": f"{cos['mean']:.3f} +- {cos['std']:.3f}",
                "vendi": f"{m['vendi']:.2f}",
                "near-dup": f"{m['near_duplicate_rate']:.2f}",
                "real: cos / vendi / near-dup": f"{real['intra_class_cosine_summary']['mean']:.3f} / "
                f"{real['vendi']:.2f} / {real['near_duplicate_rate']:.2f}",
                "precision": f"{fid['precision']:.2f}",
                "recall": f"{fid['recall']:.2f}",
                "coverage": f"{fid['coverage']:.2f}",
                "nearest-real cos": f"{fid['nearest_real_cosine']:.3f}",
            }
        )
    print(_table(rows, list(rows[0])))
    print(
        "(written to metrics.json in each run; lower intra-class cosine, higher Vendi score (effective number of "
        "distinct images per class) and fewer near-duplicates = more diverse; 'real' is a random real training "
        "subset of the same classes and IPC)"
    )
    return 0


def cmd_priors(args: argparse.Namespace) -> int:
    space = _workspace(args).run_fields() if args.workspace else {}
    cfg = PriorsConfig(
        **{k: v for k, v in space.items() if k in ("dataset", "weights")}, **given_fields(PriorsConfig, args)
    )
    for event in render_priors(cfg, args.out):
        if isinstance(event, BatchDone):
            print(f"  batch {event.batch} done", file=sys.stderr, flush=True)
        elif isinstance(event, PriorRow):
            m = event.measured
            cosine = "-" if m["intra_class_cosine"] is None else f"{m['intra_class_cosine']:.3f}"
            print(
                f"{event.index + 1}/{event.rows} {m['label']}: BN from {', '.join(m['bn_pool'])}; "
                f"{cfg.judge} top-1 {m['judge_top1']:.0f}%, intra-class cosine {cosine}",
                flush=True,
            )
    print(f"grid: {Path(args.out) / 'priors.png'}")
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


def cmd_evaluate(args: argparse.Namespace) -> int:
    space = {"weights": _workspace(args).weights} if args.workspace else {}
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
    print(_table(rows, list(rows[0])))
    return 0


def _add_synth_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="a JSON config file (flags override its values)")
    _add_workspace_flag(p, "dataset, weights and checkpoints; --dataset, --weights and --checkpoint override")
    p.add_argument("--preset", help="start from a named configuration: sre2l-imagenet, prism-imagenet, gvbsm-imagenet")
    p.add_argument(
        "--method",
        choices=list(METHODS),
        help="the method: " + "; ".join(f"{m.name}: {m.summary}" for m in METHODS.values()),
    )
    add_config_flags(p, SynthConfig, skip=_OWN_FLAGS, show_defaults=False)  # None: the method's recipe default
    p.add_argument("--exclude-primary", action="store_true", help="PRISM: keep the primary out of the BN set")
    p.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="a checkpoint for one teacher (repeatable), e.g. tv_resnet18=/weights/r18.safetensors",
    )
    p.add_argument(
        "--compile",
        nargs="?",
        const="default",
        choices=COMPILE_MODES,
        metavar="MODE",
        help="torch.compile the teacher forwards with their statistics (default mode; reduce-overhead adds "
        "CUDA graphs); compiles once per teacher and shape, pays off on long runs and GPUs",
    )
    p.add_argument("--out", required=True, help="run directory")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--resume", action="store_true", help="continue an existing run with its stored configuration")
    g.add_argument("--overwrite", action="store_true", help="replace an existing run")


def cmd_benchmark(args: argparse.Namespace) -> int:
    """Measure the missing cells on Dask (an embedded local cluster, or --scheduler), store each as it arrives, then
    write results.md and results.png beside cells.json."""

    bench = benchmark_from_args(args)
    extractor = extractor_name(bench)
    out = Path(args.out)
    store = CellStore(out / "cells.json")
    with cluster(args.scheduler, args.workers, args.gpu_slots) as client:
        bar = tqdm(desc="benchmark", unit="task")

        def show(p) -> None:
            bar.total = p.total
            bar.update(1)
            if p.error:
                tqdm.write(f"{p.cell} {p.label}: failed ({p.error})")

        failed = run_benchmark(bench, store, client, out / "runs", show)
        bar.close()
    write_outputs(
        store.cells,
        out / "results.md",
        out / "results.png",
        extractor,
        "python -m prism_core benchmark " + " ".join(sys.argv[2:]),
    )
    print(
        f"{len(store.cells)} cells in {out / 'cells.json'}; wrote {out / 'results.md'} and {out / 'results.png'}"
        + (f"; {failed} task(s) failed (stored in the cells under 'failed')" if failed else "")
    )
    return 1 if failed else 0


def benchmark_from_args(args: argparse.Namespace):
    """The preset's fields, each replaced by its flag where one is given."""

    def listed(text: str | None, flag: str, numbers: bool = False) -> tuple | None:
        if text is None:
            return None
        items = [v.strip() for v in text.split(",") if v.strip()]
        return tuple(_int(v, flag) for v in items) if numbers else tuple(items)

    given = {
        "rows": listed(args.rows, "--rows"),
        "ipcs": listed(args.ipcs, "--ipcs", True),
        "seeds": args.seeds,
        "students": listed(args.students, "--students"),
        "labels": listed(args.labels, "--labels"),
        "epochs": args.epochs,
    }
    chosen = {**PRESETS[args.preset], **{k: v for k, v in given.items() if v is not None}}
    return Benchmark(_workspace(args), **chosen, device=args.device, threads=args.threads)


def _int(text: str, flag: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{flag}: {text!r} is not an integer") from None


def cmd_teachers_rescore(args: argparse.Namespace) -> int:
    for name, (full, subset) in rescore_zoo(get_dataset(args.dataset), Path(args.zoo)).items():
        print(f"{name}: test top-1 {full:.2f}% (first 2,000: {subset:.2f}%)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m prism_core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    teachers = sub.add_parser("teachers", help="the teacher registry and zoo").add_subparsers(
        dest="action", required=True
    )
    p = teachers.add_parser("list", help="print the registry and the zoo as a table")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--zoo", default=str(ZOO_DIR), help="zoo folder (manifest.json + weights)")
    p.set_defaults(func=cmd_teachers_list)
    p = teachers.add_parser("train", help="train zoo teachers on a dataset (seeded)")
    p.add_argument("--dataset", default=EMBEDDED_DATASET, help=f"{EMBEDDED_DATASET} or folder:/path/to/imagefolder")
    p.add_argument("--only", default="", help="comma-separated architectures (default: every zoo architecture)")
    p.add_argument("--epochs", type=int, default=0, help="override each architecture's epochs")
    p.add_argument("--out", default=str(ZOO_DIR), help="zoo folder to write")
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=cmd_teachers_train)
    p = teachers.add_parser("rescore", help="re-measure the zoo's test accuracy and record it in the manifest")
    p.add_argument("--dataset", default=EMBEDDED_DATASET)
    p.add_argument("--zoo", default=str(ZOO_DIR))
    p.set_defaults(func=cmd_teachers_rescore)
    p = sub.add_parser("synth", help="synthesise a distilled dataset (SRe2L, PRISM, G-VBSM)")
    _add_synth_args(p)
    p.set_defaults(func=cmd_synth)
    p = sub.add_parser(
        "evaluate", help="train students on runs' images with online soft labels; top-1 on the test split"
    )
    p.add_argument("runs", nargs="+")
    add_config_flags(p, EvalConfig)
    _add_workspace_flag(p, "the relabel teachers' zoo; --weights overrides")
    p.add_argument("--seeds", type=int, default=3, help="students per run (seeds 0..N-1)")
    p.add_argument("--real-baseline", action="store_true", help="also evaluate a random real subset at the same IPC")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N: where students train and teachers relabel")
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("bench", help="the engine vs a reference-style loop: image-iterations/s, TFLOP/s, memory")
    p.add_argument(
        "--case",
        default="fmnist-defaults",
        help="fmnist-defaults, sre2l-imagenet, prism4-imagenet (comma-separated) or all",
    )
    p.add_argument("--steps", type=int, default=20, help="optimisation steps per batch for both loops")
    p.add_argument("--device", help="default: cuda when available, else cpu")
    p.add_argument(
        "--variants",
        help="engine variants, comma-separated, each fp32|bf16 joined with +cl (channels_last), "
        "+compile, +cudagraphs, +packN (default: fp32,bf16,bf16+compile on a GPU, fp32 on "
        "the CPU)",
    )
    p.add_argument("--warmup", type=int, default=2, help="untimed engine steps first (compilation, autotuning)")
    p.add_argument("--json", help="also write every figure as JSON to this file")
    p.add_argument("--out", help="also write the markdown table to this file")
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser("priors", help="one run per BN teacher (same classes, seed, init and primary) and their grid")
    p.add_argument("--out", required=True, help="folder for the runs, priors.png and priors.json")
    add_config_flags(p, PriorsConfig)
    _add_workspace_flag(p, "the dataset and the zoo whose BN teachers make the rows")
    p.set_defaults(func=cmd_priors)
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
    _add_workspace_flag(p, "its extractor, when --extractor is not given")
    p.add_argument(
        "--json", action="store_true", help="machine-readable output (per run: vendi, near_duplicate_rate, ...)"
    )
    p.set_defaults(func=cmd_metrics)
    p = sub.add_parser("benchmark", help="the init-controlled comparison on a workspace, cells on Dask (resumes)")
    _add_workspace_flag(p, "the dataset, the zoo and the extractor")
    p.add_argument(
        "--preset",
        default="paper",
        choices=list(PRESETS),
        help="the budget the flags below start from: paper (the shipped protocol: the main rows at IPC 10, "
        "3 seeds, ResNet-18 and ConvNet), coresets (the selections beside PRISM at IPC 1 and 10) or "
        "classroom (IPC 1, one seed, 20 epochs)",
    )
    p.add_argument("--rows", help="comma-separated rows, as docs/results.md names them")
    p.add_argument("--ipcs", help="comma-separated IPCs")
    p.add_argument("--seeds", type=int, help="seeds per row (pairs for the intervals)")
    p.add_argument("--students", help=f"comma-separated, of {', '.join(STUDENTS)}")
    p.add_argument("--labels", help="soft, hard or both, comma-separated")
    p.add_argument("--epochs", type=int, help="student epochs (the protocol's: 300 at IPC <= 10, else 150)")
    p.add_argument("--device", default="cpu", help="cpu, or cuda for every task (each asks for a GPU slot)")
    p.add_argument("--threads", type=int, default=1, help="torch threads per task")
    p.add_argument("--workers", type=int, default=2, help="worker processes of the embedded local cluster")
    p.add_argument("--gpu-slots", type=int, default=0, help="tasks that share one GPU (embedded cluster)")
    p.add_argument(
        "--scheduler", help="a running Dask scheduler's address (tcp://host:8786) instead of the local cluster"
    )
    p.add_argument("--out", required=True, help="folder of cells.json, results.md and results.png (resumes)")
    p.set_defaults(func=cmd_benchmark, workspace="embedded")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (DataError, TeacherError, ConfigError, RunError, SynthesisError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
