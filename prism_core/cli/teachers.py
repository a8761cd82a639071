"""`teachers list|train|rescore`: the registry and the zoo."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from ..data import EMBEDDED_DATASET, get_dataset
from ..events import TeacherSaved
from ..teachers import ZOO_DIR
from ..teachers.catalog import TeacherRow, teacher_rows
from ..teachers.zoo import ZOO_TRAINING, rescore_zoo, train_zoo_teacher
from ..training import TrainConfig
from ..workspaces import declaration
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
    p.add_argument("--epochs", type=int, default=0, help="override each architecture's epochs")
    p.add_argument("--out", default=str(ZOO_DIR), help="zoo folder to write")
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=cmd_train)
    p = teachers.add_parser("rescore", help="re-measure the zoo's test accuracy and record it in the manifest")
    p.add_argument("--dataset", default=EMBEDDED_DATASET)
    p.add_argument("--zoo", default=str(ZOO_DIR))
    p.set_defaults(func=cmd_rescore)
