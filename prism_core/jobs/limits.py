"""What one session may ask of a shared server: nothing is refused by default; CLASSROOM bounds a room on one server
(`make run CLASSROOM=1`) so that every student's demo runs soon and the disk does not fill."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..synthesis import SynthConfig


class LimitError(ValueError):
    """A submission beyond the server's limits; the message says which and what to do."""


@dataclass(frozen=True)
class Limits:
    active_per_session: int | None = None  # queued or running jobs of one session
    max_ipc: int | None = None
    max_iterations: int | None = None
    store_bytes: int | None = None  # the run store's disk use above which nothing new is queued

    def check(self, cfg: SynthConfig | None, active_of_session: int, store: Path) -> None:
        """Raise LimitError if a session with `active_of_session` jobs may not queue one more (`cfg`: a synthesis)."""
        if self.active_per_session is not None and active_of_session >= self.active_per_session:
            raise LimitError(
                f"you have {active_of_session} runs queued or running, the most one session may have here; "
                "wait for one to finish or cancel one"
            )
        if cfg is not None and self.max_ipc is not None and cfg.ipc > self.max_ipc:
            raise LimitError(f"IPC {cfg.ipc} is above this server's limit of {self.max_ipc}: lower it")
        if cfg is not None and self.max_iterations is not None and (cfg.iterations or 0) > self.max_iterations:
            raise LimitError(
                f"{cfg.iterations} iterations per batch is above this server's limit of {self.max_iterations}: lower it"
            )
        if self.store_bytes is not None and (used := disk_use(store)) >= self.store_bytes:
            raise LimitError(
                f"the run store holds {used / 2**20:.0f} MB, this server's limit is {self.store_bytes / 2**20:.0f} MB: "
                "delete runs on the Runs page before launching more"
            )


UNLIMITED = Limits()
# a Quick demo (a run and its baseline) is 2 jobs: two demos queued at once per student; IPC and steps of the presets
CLASSROOM = Limits(active_per_session=4, max_ipc=10, max_iterations=300, store_bytes=2 * 2**30)


def disk_use(root: Path) -> int:
    """Bytes of every file under `root` (a walk: milliseconds for a classroom's hundreds of runs)."""
    total = 0
    for path in root.rglob("*"):
        try:
            if path.is_file():
                total += path.stat().st_size
        except OSError:  # removed while walking
            continue
    return total
