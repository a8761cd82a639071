"""What the commands share: flags made from config dataclasses, the --workspace flag, comma lists and tables."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import fields

from ..workspaces import Workspace, get_workspace


def table(rows: list[dict], columns: list[str]) -> str:
    """A plain-text table; a missing or None value is a blank cell."""
    cells = [{c: "" if r.get(c) is None else str(r[c]) for c in columns} for r in rows]
    widths = {c: max(len(c), *(len(r[c]) for r in cells)) if cells else len(c) for c in columns}
    line = "  ".join(c.ljust(widths[c]) for c in columns)
    body = ["  ".join(r[c].ljust(widths[c]) for c in columns) for r in cells]
    return "\n".join([line, "  ".join("-" * widths[c] for c in columns), *body])


def add_workspace_flag(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--workspace", help=f"a workspace from $PRISM_WORKSPACES (or 'embedded'): {what}")


def workspace(args: argparse.Namespace) -> Workspace:
    return get_workspace(args.workspace)


def _csv_of(cast):
    def parse(text: str) -> tuple:
        return tuple(cast(t.strip()) for t in text.split(",") if t.strip())

    parse.__name__ = f"comma-separated {cast.__name__}"  # what argparse names in its error message
    return parse


def _shown(default: object) -> str:
    return ",".join(map(str, default)) if isinstance(default, tuple) else str(default)


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


def given_fields(config: type, args: argparse.Namespace) -> dict:
    """The fields of `config` whose flags were given."""
    return {
        f.name: getattr(args, f.name)
        for f in fields(config)
        if "help" in f.metadata and getattr(args, f.name, None) is not None
    }
