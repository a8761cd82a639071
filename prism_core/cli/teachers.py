"""`teachers list|train|rescore`: the registry and the zoo."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from ..data import EMBEDDED_DATASET, get_dataset, with_size
from ..data.summary import summarize
from ..events import TeacherSaved
from ..teachers import ZOO_DIR
from ..teachers.catalog import TeacherRow, teacher_rows
from ..teachers.report import TeacherReportRow, teacher_report
from ..teachers.zoo import ZOO_TRAINING, rescore_zoo, train_zoo_teacher, training_for
from ..training import TrainConfig
from ..workspaces import declaration, workspace_name
from .flags import table


def cmd_list(args: argparse.Namespace) -> int:
    rows = [r.to_json() for r in teacher_rows(Path(args.zoo))]
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print(table(rows, list(TeacherRow.COLUMNS)))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    dataset = get_dataset(args.dataset)
    print(summarize(args.dataset, dataset).line(), flush=True)
    pinned = with_size(args.dataset, dataset.info.image_size)  # what opens it again, at this size
    names = args.only.split(",") if args.only else list(ZOO_TRAINING)
    flags = {"epochs": args.epochs, "min_updates": args.min_updates, "lr": args.lr}
    overrides = {k: v for k, v in flags.items() if v is not None}
    saved = []
    for name in names:
        cfg = replace(training_for(name, dataset.info), **overrides)
        events = train_zoo_teacher(name, dataset, Path(args.out), cfg, args.device, pinned)
        for n, event in enumerate(events):
            if isinstance(event, TeacherSaved):
                saved.append(event)
            elif n % 4 == 3:  # ten lines of the (at most) forty scores
                print(f"{name}: epoch {event.epoch} loss {event.train_loss:.4f} {_score(event.val_top1)}", flush=True)
    print("\n" + table([row.to_json() for row in teacher_report(saved)], list(TeacherReportRow.COLUMNS)))
    if args.dataset != EMBEDDED_DATASET:
        name = args.name or workspace_name(args.dataset)
        print(
            "\nTo use this zoo in the app and with --workspace, add these lines to the TOML file named by "
            f"$PRISM_WORKSPACES:\n\n{declaration(name, pinned, args.out)}"
        )
    return 0


def _score(val_top1: float | None) -> str:
    return f"validation top-1 {val_top1:.2f}%" if val_top1 is not None else ""


def cmd_rescore(args: argparse.Namespace) -> int:
    for name, (full, subset) in rescore_zoo(get_dataset(args.dataset), Path(args.zoo)).items():
        print(f"{name}: test top-1 {full:.2f}% (first 2,000: {subset:.2f}%)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    teachers = sub.add_parser("teachers", help="the teacher registry and zoo").add_subparsers(
        dest="action", required=True
    )
    p = teachers.add_parser("list", help="print the registry and the zoo as a table")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--zoo", default=str(ZOO_DIR), help="zoo folder (manifest.json + weights)")
    p.set_defaults(func=cmd_list)
    p = teachers.add_parser("train", help="train zoo teachers on a dataset (seeded)")
    p.add_argument("--dataset", default=EMBEDDED_DATASET, help=f"{EMBEDDED_DATASET} or folder:/path/to/imagefolder")
    p.add_argument("--only", default="", help="comma-separated architectures (default: every zoo architecture)")
    p.add_argument("--epochs", type=int, help="override each architecture's epochs")
    p.add_argument(
        "--min-updates",
        type=int,
        help=f"optimiser updates at least, whatever the epochs (default {TrainConfig.min_updates}; 0: epochs alone)",
    )
    p.add_argument("--lr", type=float, help="override each architecture's peak learning rate")
    p.add_argument(
        "--name", default="", help="the workspace name in the lines printed at the end (default: the folder's)"
    )
    p.add_argument("--out", default=str(ZOO_DIR), help="zoo folder to write")
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=cmd_train)
    p = teachers.add_parser("rescore", help="re-measure the zoo's test accuracy and record it in the manifest")
    p.add_argument("--dataset", default=EMBEDDED_DATASET)
    p.add_argument("--zoo", default=str(ZOO_DIR))
    p.set_defaults(func=cmd_rescore)
