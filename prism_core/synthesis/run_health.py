"""Whether a run can be used: its state (a dead writer's "running" reads as interrupted) and the problems of its
finished batches, cheap enough for the app to poll on every render.

What a status costs must not grow with a run's size:
- PNGs that passed PIL's verify (or that this process wrote) are remembered by path with the stamp they had then; a
  file rewritten or truncated since has another size or mtime and is checked again;
- runs of up to FULL_CHECK_LIMIT images have every file's stamp compared on each call (~10 ms per 1,000 images);
  larger runs only their folders' (a file added, removed or replaced by a rename changes its folder's mtime), and
  their images are verified in full when a run resumes or is evaluated (`run_problems`);
- the store re-reads finished batch records only when the batches folder changed.
The caches are bounded, so a long-lived app process does not grow with every run it has shown.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..records import BatchRecord
from ..stamps import Bounded, Stamp, settled, stamp, stamp_or_none
from ..states import State
from .runstore import WRITTEN_PNGS, Run, RunError

FULL_CHECK_LIMIT = 5000
_VERIFIED: Bounded[str, Stamp] = Bounded(200_000)  # PNG path -> its stamp when it passed PIL's verify
_HEALTH: Bounded[str, tuple[tuple, list[str]]] = Bounded(1024)  # run path -> (folder stamps, problems)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def png_problem(path: Path, verify: bool = True) -> str | None:
    """None for a readable PNG (without `verify`: for a present, non-empty file); else "missing", "empty" or
    "unreadable (...)"."""
    try:
        now = stamp(path)
    except FileNotFoundError:
        return "missing"
    if now in (_VERIFIED.get(str(path)), WRITTEN_PNGS.get(str(path))):
        return None
    if not verify:
        return None if now[0] else "empty"
    try:
        with Image.open(path) as img:
            img.verify()
    except Exception as err:  # PIL raises OSError, SyntaxError, ValueError... for broken files
        return f"unreadable ({type(err).__name__})"
    _VERIFIED[str(path)] = now
    return None


@dataclass(frozen=True)
class RunStatus:
    """What status.json says of a run, checked against its files: its state (damaged when they do not read), how
    far it got, and why it failed."""

    state: State
    batches_done: int = 0
    batches_total: int | None = None
    error: str = ""


def run_status(run: Run) -> RunStatus:
    """The run's status; a run whose writer died on this host reads as interrupted."""
    try:
        status = json.loads((run.path / "status.json").read_text())
    except FileNotFoundError:
        status = {"state": State.INTERRUPTED if run.exists() else State.MISSING}
    except (OSError, json.JSONDecodeError) as err:
        return RunStatus(State.DAMAGED, error=f"status.json unreadable ({err})")
    try:
        state = State(status.get("state"))
    except ValueError:
        return RunStatus(State.DAMAGED, error=f"status.json names no state ({status.get('state')!r})")
    if (
        state == State.RUNNING
        and status.get("host") == socket.gethostname()
        and not pid_alive(int(status.get("pid", -1)))
    ):
        state = State.INTERRUPTED
    finished = run.finished()  # read once
    if sum(len(r.classes) for r in finished.values()) <= FULL_CHECK_LIMIT:
        problems = run_problems(run, finished)
    else:
        stamps = _folder_stamps(run)
        cached = _HEALTH.get(str(run.path))
        problems = cached[1] if cached and cached[0] == stamps else run_problems(run, finished, verify=False)
        if settled(stamps):
            _HEALTH[str(run.path)] = (stamps, problems)
    if problems:
        state, error = State.DAMAGED, f"{len(problems)} problem(s): {'; '.join(problems[:3])}"
    else:
        error = status.get("error", "")
    return RunStatus(state, len(finished), status.get("batches_total"), error)


def run_problems(run: Run, finished: dict[int, BatchRecord] | None = None, verify: bool = True) -> list[str]:
    """Why the run's finished batches (`run.finished()` unless given) cannot be used: an unreadable config, missing
    or corrupt images or pixel files (without `verify`, images are only checked to be present and non-empty).
    Empty for a healthy run (a batch without its record is simply not finished)."""
    try:
        run.record()
    except RunError as err:
        return [str(err)]
    out = []
    for index, rec in (run.finished() if finished is None else finished).items():
        if not run.pixels_path(index).is_file():
            out.append(f"{run.pixels_path(index).relative_to(run.path)} is missing")
        for c, k in rec.pairs:
            path = run.image_path(c, k)
            problem = png_problem(path, verify)
            if problem:
                out.append(f"{path.relative_to(run.path)} is {problem}")
    return out


def sweep_temporaries(run: Run) -> list[Path]:
    """Remove temporary files (`.<name>.<pid>.tmp`, atomic.py's) left by writers that died; returns what went."""
    gone = []
    for tmp in run.path.rglob(".*.tmp"):
        parts = tmp.name.rsplit(".", 2)
        if len(parts) == 3 and parts[1].isdigit() and not pid_alive(int(parts[1])):
            tmp.unlink(missing_ok=True)
            gone.append(tmp)
    return gone


def _folder_stamps(run: Run) -> tuple:
    images = run.path / "images"
    folders = sorted(images.iterdir()) if images.is_dir() else []
    return tuple(
        stamp_or_none(p) for p in [run.path / "config.json", run.path / "batches", run.path / "pixels", *folders]
    )
