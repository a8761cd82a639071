"""Background jobs in worker processes, shared by every app session: synthesis and evaluation, queued fairly, with
their progress in the job store on disk (the pages only read it)."""

from .limits import CLASSROOM, UNLIMITED, LimitError, Limits
from .queue import JobQueue
from .record import JobRecord, Kind, Progress
from .store import JobStore

__all__ = ["CLASSROOM", "UNLIMITED", "JobQueue", "JobRecord", "JobStore", "Kind", "LimitError", "Limits", "Progress"]
