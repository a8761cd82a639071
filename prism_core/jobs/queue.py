"""The server's side of the jobs: it checks and records submissions, hands queued jobs to a pool of worker processes in
a fair order, and, when it starts, takes back the jobs a previous server left queued or running.

It never runs torch work itself: the request that submits a run checks its config (milliseconds) and writes one
record; progress travels through the store (store.py), which is also how a page, another process or a restarted
server sees it.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
import traceback
import types
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from ..evaluation import EvalConfig, check_complete
from ..states import State
from ..synthesis import SynthConfig, check
from ..synthesis.run_health import pid_alive
from ..synthesis.runstore import Run, RunError, check_run_name
from . import worker
from .fair import next_job
from .limits import UNLIMITED, Limits
from .record import JobRecord, Kind
from .store import JobStore

POLL_S = 1.0  # the dispatcher looks at the store at least this often (submissions and ends wake it at once)
MAX_CPU_WORKERS = 4


def default_workers(device: str) -> int:
    """One process per core on a CPU, one torch thread each (on 2 cores, three Quick demos finish 1.5x sooner than
    on one two-thread process: 28.7 s against 43.8 s); one per GPU, which batches its own work."""
    return 1 if device.startswith("cuda") else min(os.cpu_count() or 1, MAX_CPU_WORKERS)


class JobQueue:
    def __init__(
        self,
        runs_root: Path | str,
        device: str = "cpu",
        workers: int | None = None,
        threads: int | None = None,
        limits: Limits = UNLIMITED,
    ):
        """`workers` processes (default_workers) run jobs side by side, each on `threads` torch threads (default: the
        cores shared)."""
        self.runs_root, self.device, self.limits = Path(runs_root), device, limits
        self.store = JobStore(runs_root)
        self.workers = workers or default_workers(device)
        self.threads = threads or max(1, (os.cpu_count() or 1) // self.workers)
        self._lock = threading.Lock()  # one writer of queued records: submissions, cancels and the dispatcher
        self._wake = threading.Event()
        self._closed = False
        self._running: dict[str, Future] = {}  # job id -> its future in the pool
        self._served: dict[str, float] = {}  # owner -> when the dispatcher last started one of its jobs
        self._pool = self._new_pool()
        self._dispatcher = threading.Thread(target=self._dispatch, name="prism-jobs", daemon=True)
        self._dispatcher.start()

    def _new_pool(self) -> ProcessPoolExecutor:
        """Spawned workers (a fork of a threaded server is unsafe), started and warm before the first job."""
        pool = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=worker.ready,
            initargs=(self.threads, os.getpid()),
        )
        with _main_left_alone():  # a pool spawns its processes on submit: all of them here
            for _ in range(self.workers):
                pool.submit(os.getpid)
        return pool

    # --- what sessions call -----------------------------------------------------------------------------------
    def submit(self, cfg: SynthConfig, run_name: str, resume: bool = False, owner: str = "") -> JobRecord:
        """Check the config and the name now (errors reach the caller at once), then queue it; `resume` continues
        the stored run of that name."""
        check_run_name(run_name)
        cfg, _, _ = check(cfg.replace(device=self.device))
        with self._lock:
            records = self.store.records()
            if any(r.run_name == run_name and r.active for r in records):
                raise RunError(f"run {run_name!r} is already queued or running")
            if Run(self.runs_root / run_name).exists() and not resume:
                raise RunError(f"the run name {run_name!r} is taken: choose another")
            self.limits.check(cfg, self._active_of(owner, records), self.runs_root)
            record = self.store.write(
                JobRecord(self.store.new_id(), Kind.SYNTH, run_name, owner, time.time(), config=cfg, resume=resume)
            )
        self._wake.set()
        return record

    def submit_evaluation(self, run_name: str, cfg: EvalConfig, seeds: int = 1, owner: str = "") -> JobRecord:
        """Queue a student evaluation of a run and of the random-real baseline, in the same protocol."""
        check_complete(Run(self.runs_root / check_run_name(run_name)))
        with self._lock:
            self.limits.check(None, self._active_of(owner, self.store.records()), self.runs_root)
            record = self.store.write(
                JobRecord(self.store.new_id(), Kind.EVALUATE, run_name, owner, time.time(), evaluation=cfg, seeds=seeds)
            )
        self._wake.set()
        return record

    def cancel(self, job_id: str) -> None:
        """A queued job ends here; a running one stops at its worker's next step (its finished batches are kept)."""
        self.store.request_cancel(job_id)
        with self._lock:
            record = self.store.read(job_id)
            if record is not None and record.state == State.QUEUED and job_id not in self._running:
                self.store.write(record.replace(state=State.CANCELLED, ended=time.time()))
        self._wake.set()

    def jobs(self) -> list[JobRecord]:
        return self.store.records()

    def wait(self, job: JobRecord, timeout: float = 600) -> JobRecord:
        deadline = time.time() + timeout
        while (job := self.store.read(job.id) or job).active and time.time() < deadline:
            time.sleep(0.1)
        return job

    def close(self) -> None:
        """Stop dispatching, cancel the running jobs (their finished batches are kept) and end the workers."""
        self._closed = True
        self._wake.set()
        self._dispatcher.join(timeout=5)
        for job_id in list(self._running):
            self.store.request_cancel(job_id)
        self._pool.shutdown(wait=True, cancel_futures=True)

    @staticmethod
    def _active_of(owner: str, records: list[JobRecord]) -> int:
        return sum(r.owner == owner and r.active for r in records)

    # --- the dispatcher thread --------------------------------------------------------------------------------
    def _dispatch(self) -> None:
        while not self._closed:
            try:
                self._dispatch_once()
            except Exception:  # a damaged store must not stop the queue for everyone
                traceback.print_exc()
            self._wake.wait(POLL_S)
            self._wake.clear()

    def _dispatch_once(self) -> None:
        with self._lock:
            records = {r.id: r for r in self.store.records()}
            broken = False
            for job_id, future in list(self._running.items()):
                if future.done():
                    del self._running[job_id]
                    if future.exception() is not None and job_id in records:  # a worker process died
                        broken = True
                        records[job_id] = self._end(
                            records[job_id],
                            State.FAILED,
                            f"its worker process died ({future.exception()}): out of memory, or killed; "
                            "resume it on the Runs page",
                        )
            if broken:
                self._pool.shutdown(wait=False)
                self._pool = self._new_pool()
            for record in records.values():
                if record.state == State.RUNNING and record.id not in self._running and not pid_alive(record.pid or 0):
                    # a previous server's worker, gone with it: queued again, it resumes after its finished batches
                    records[record.id] = self.store.write(record.replace(state=State.QUEUED, pid=None))
            queued = [r for r in records.values() if r.state == State.QUEUED and r.id not in self._running]
            while len(self._running) < self.workers and (job := next_job(queued, self._served)) is not None:
                queued.remove(job)  # one cancelled meanwhile is ended by its worker before it starts
                self._served[job.owner] = time.monotonic()
                try:
                    with _main_left_alone():
                        future = self._pool.submit(worker.execute, str(self.runs_root), job.id, self.device)
                except RuntimeError:  # the interpreter is exiting: its pools take no more work, the job stays queued
                    self._closed = True
                    return
                future.add_done_callback(lambda _: self._wake.set())
                self._running[job.id] = future

    def _end(self, record: JobRecord, state: State, error: str = "") -> JobRecord:
        return self.store.write(record.replace(state=state, error=error, ended=time.time()))


@contextmanager
def _main_left_alone() -> Iterator[None]:
    """A spawned process re-runs its parent's __main__ from its file, unless that has none. Streamlit runs the app's
    script as __main__ (with no `if __name__` guard): each worker would run the app. So the spawns see a bare one."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main
