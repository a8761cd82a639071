"""`python -m prism_core <command>`: the same library functions the app calls, with tqdm and tables.

One module per command (or per family of commands), each adding its parser with `register`; `flags` holds what
they share."""

from __future__ import annotations

import argparse
import os
import sys

from ..data import DataError
from ..synthesis import SynthesisError
from ..synthesis.config import ConfigError
from ..synthesis.runstore import RunError
from ..teachers import TeacherError
from . import bench, benchmark, calibrate, priors, runs, synth, teachers, workspaces


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m prism_core", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for command in (teachers, workspaces, calibrate, synth, runs, bench, priors, benchmark):
        command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()  # a reader that closed early (`| head`) shows up here, inside the handler below
        return code
    except BrokenPipeError:
        # The reader has what it wanted: point stdout at devnull so the interpreter's final flush stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # what a program killed by SIGPIPE reports
    except (DataError, TeacherError, ConfigError, RunError, SynthesisError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
