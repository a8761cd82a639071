"""The job store, `<runs root>/.jobs/`: one `<id>.json` per job (a JobRecord), a `<id>.cancel` marker that asks its
worker to stop, and `<id>.png`, the latest preview of a synthesis job.

The queue, its worker processes and every page meet here: a page reads progress from files, never from the process
that makes it, and a restarted server finds every job it had. Each record has one writer at a time (the queue while
the job is queued, then its worker), so a whole-file atomic write is all the coordination there is.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

from ..atomic import atomic_json, atomic_write
from ..stamps import Bounded, Stamp, settled, stamp_or_none
from .record import JobRecord

_READ: Bounded[str, tuple[Stamp, JobRecord]] = Bounded(4096)  # record path -> (its stamp, the record read then)


class JobStore:
    def __init__(self, runs_root: Path | str):
        self.root = Path(runs_root) / ".jobs"

    @staticmethod
    def new_id() -> str:
        """Sortable by submission time, unique without asking anyone."""
        return f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}"

    def path(self, job_id: str) -> Path:
        return self.root / f"{job_id}.json"

    def preview_path(self, job_id: str) -> Path:
        return self.root / f"{job_id}.png"

    def write(self, record: JobRecord) -> JobRecord:
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_json(self.path(record.id), record.to_json())
        return record

    def write_preview(self, job_id: str, png: bytes) -> None:
        atomic_write(self.preview_path(job_id), png)

    def read(self, job_id: str) -> JobRecord | None:
        """The record, re-read only when its file changed (None if it is missing or does not read)."""
        path = self.path(job_id)
        now = stamp_or_none(path)
        cached = _READ.get(str(path))
        if now is None:
            return None
        if cached is not None and cached[0] == now:
            return cached[1]
        try:
            record = JobRecord.from_json(json.loads(path.read_text()))
        except (OSError, ValueError, KeyError, TypeError):  # a record from another version, or a stray file
            return None
        if settled((now,)):
            _READ[str(path)] = (now, record)
        return record

    def records(self) -> list[JobRecord]:
        """Every job, oldest first."""
        if not self.root.is_dir():
            return []
        found = (self.read(p.stem) for p in self.root.glob("*.json") if not p.name.startswith("."))
        return sorted((r for r in found if r is not None), key=lambda r: (r.submitted, r.id))

    def request_cancel(self, job_id: str) -> None:
        (self.root / f"{job_id}.cancel").touch()

    def cancel_requested(self, job_id: str) -> bool:
        """Asked once per optimisation step by the worker: one stat."""
        return os.path.exists(self.root / f"{job_id}.cancel")
