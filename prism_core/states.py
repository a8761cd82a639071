"""The states a run, a job and a background benchmark go through: one enum, a `str`, so status files written by any
version read unchanged and compare equal to their plain strings."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    FAILED = "failed"
    # read from a run, never written: its writer died, its files do not read, or it does not exist
    INTERRUPTED = "interrupted"
    DAMAGED = "damaged"
    MISSING = "missing"

    @property
    def active(self) -> bool:
        """Still to finish: a job or benchmark that can be cancelled, a run that must not be resumed elsewhere."""
        return self in (State.QUEUED, State.RUNNING)

    @property
    def resumable(self) -> bool:
        return self in (State.INTERRUPTED, State.CANCELLED, State.FAILED)
