"""The order a shared queue serves its jobs in: round-robin across the sessions that submitted them, so a student who
queues four runs does not make the next student wait for all four."""

from __future__ import annotations

import math

from .record import JobRecord


def next_job(queued: list[JobRecord], last_served: dict[str, float]) -> JobRecord | None:
    """The oldest queued job of the owner served longest ago (an owner never served first; ties by submission)."""
    first: dict[str, JobRecord] = {}
    for record in sorted(queued, key=lambda r: (r.submitted, r.id)):
        first.setdefault(record.owner, record)
    return min(first.values(), key=lambda r: (last_served.get(r.owner, -math.inf), r.submitted, r.id), default=None)
