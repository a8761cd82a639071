"""`workspaces list|check`: the declared workspaces, and everything one will be asked for, tried up front."""

from __future__ import annotations

import argparse

from ..doctor import examine
from ..workspaces import get_workspace, load_workspaces


def cmd_list(args: argparse.Namespace) -> int:
    found, problems = load_workspaces()
    for ws in found.values():
        print(f"{ws.name}: {ws.dataset}, {ws.weights} ({ws.source})")
    for problem in problems:
        print(f"cannot be used: {problem}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Print the report; exit 1 when something that applies here cannot run."""
    report = examine(get_workspace(args.name))
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


def register(sub: argparse._SubParsersAction) -> None:
    ws = sub.add_parser("workspaces", help="the workspaces of $PRISM_WORKSPACES, and a check of one").add_subparsers(
        dest="action", required=True
    )
    p = ws.add_parser("list", help="the usable workspaces, and why any other cannot be used")
    p.set_defaults(func=cmd_list)
    p = ws.add_parser("check", help="dataset, teachers, extractor, selector, methods and benchmark rows, tried")
    p.add_argument("name", help="a workspace name ('embedded' or one of $PRISM_WORKSPACES)")
    p.set_defaults(func=cmd_check)
