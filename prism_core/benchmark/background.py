"""A benchmark in a background thread, for callers that must not block (the app): progress, cancel, state.

The thread owns its Dask client (runner.cluster) for the benchmark's life; every result is stored by runner.run as
it arrives, so a cancelled or crashed benchmark keeps its finished cells and resumes from them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..states import State
from .protocol import Benchmark
from .runner import LOCAL_WORKERS, Progress, cluster, run
from .store import CellStore


@dataclass
class BackgroundBenchmark:
    bench: Benchmark
    out: Path
    workers: int = LOCAL_WORKERS
    scheduler: str | None = None
    state: State = State.QUEUED
    done: int = 0
    total: int = 0
    failed_tasks: int = 0
    error: str = ""
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)

    def start(self) -> BackgroundBenchmark:
        threading.Thread(target=self._work, name=f"benchmark {self.out.name}", daemon=True).start()
        return self

    def cancel(self) -> None:
        self._stop.set()

    def _submitted(self, total: int) -> None:
        self.total = total

    def _progress(self, p: Progress) -> None:
        self.done = p.done
        self.failed_tasks += bool(p.error)

    def _work(self) -> None:
        self.state = State.RUNNING
        try:
            with cluster(self.scheduler, self.workers) as client:
                run(
                    self.bench,
                    CellStore(self.out / "cells.json"),
                    client,
                    self.out / "runs",
                    self._progress,
                    self._stop.is_set,
                    self._submitted,
                )
            self.state = State.CANCELLED if self._stop.is_set() else State.FINISHED
        except Exception as err:  # shown on the page; the cells stored so far stay
            self.state, self.error = State.FAILED, f"{type(err).__name__}: {err}"
