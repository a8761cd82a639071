"""What a worker process runs: one job from start to end, reporting through the job store and the run store only.

Nothing here is shared with the server: teachers a job loads stay cached in this process for the next job.
"""

from __future__ import annotations

import io
import os
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import torch
from PIL import Image

from ..evaluation import evaluate_run
from ..events import BatchDone, Cancelled, Epoch, Evaluated, Preview, Started, Step
from ..states import State
from ..synthesis import prepare
from ..synthesis.engine import open_run, run_plan
from ..synthesis.runstore import Run
from ..teachers import TeacherCache
from ..viz import grid
from .record import JobRecord, Kind, Progress
from .store import JobStore

REPORT_EVERY_S = 0.5  # the longest a page's view of a running job lags behind it
_TEACHERS = TeacherCache(8)  # this process's: back-to-back jobs on the same teachers load nothing


def ready(threads: int, server: int) -> None:
    """Each worker's start: its share of the cores, and an exit when the server process is gone (a pool's idle
    workers would otherwise outlive a killed server; the new server queues its running job again)."""
    torch.set_num_threads(threads)
    threading.Thread(target=_exit_without, args=(server,), name="prism-server-watch", daemon=True).start()


def _exit_without(server: int) -> None:
    while os.getppid() == server:
        time.sleep(1.0)
    os._exit(0)


def execute(runs_root: str, job_id: str, device: str) -> State:
    """Run the job to its end and record how it ended; never raises (the error is the record's)."""
    store = JobStore(runs_root)
    record = store.read(job_id)
    if record is None:
        return State.CANCELLED
    if store.cancel_requested(job_id):  # cancelled between its dispatch and this start
        store.write(record.replace(state=State.CANCELLED, ended=time.time()))
        return State.CANCELLED
    report = Reporter(store, record.replace(state=State.RUNNING, pid=os.getpid(), started=time.time()))
    state, error = State.FINISHED, ""
    try:
        for event in _events(record, Path(runs_root), device, lambda: store.cancel_requested(job_id)):
            if isinstance(event, Cancelled):
                state = State.CANCELLED
            report.event(event)
    except Exception as err:
        state, error = State.FAILED, f"{type(err).__name__}: {err}"
        traceback.print_exc()
    report.end(state, error)
    return state


def _events(record: JobRecord, runs_root: Path, device: str, stop) -> Iterator[object]:
    run = Run(runs_root / record.run_name)
    if record.kind == Kind.EVALUATE:
        return evaluate_run(run, record.evaluation, record.seeds, real_baseline=True, device=device, stop=stop)
    prepared = open_run(run, prepare(record.config.replace(device=device), _TEACHERS), resume=record.resume)
    return run_plan(prepared, run, stop=stop)


class Reporter:
    """Folds a job's events into its record and writes it at most every REPORT_EVERY_S (and at every batch)."""

    def __init__(self, store: JobStore, record: JobRecord):
        self.store, self.record, self.p = store, record, record.progress
        self.written = 0.0
        self._write()

    def _write(self) -> None:
        self.record = self.store.write(self.record.replace(progress=self.p))
        self.written = time.monotonic()

    def event(self, event: object) -> None:
        p, urgent = self.p, False
        if isinstance(event, Started):
            p, urgent = Progress(batches_total=event.batches, batches_done=event.already_done), True
        elif isinstance(event, Step):
            p = replace(p, step=event.step, iterations=event.iterations, img_per_s=event.img_per_s, eta_s=event.eta_s)
        elif isinstance(event, Preview):
            ncol = min(10, len(event.classes))
            png = io.BytesIO()
            Image.fromarray(grid(event.images, ncol=ncol, scale=3)).save(png, format="PNG")
            self.store.write_preview(self.record.id, png.getvalue())
            p = replace(p, preview=f"batch {event.batch} at step {event.step}")
        elif isinstance(event, BatchDone):
            p, urgent = replace(p, batches_done=p.batches_done + 1, step=0), True
        elif isinstance(event, Evaluated):
            p = replace(p, message=f"{event.subject}: top-1 {event.mean:.2f} +- {event.std:.2f}")
        elif isinstance(event, Epoch):
            cfg = self.record.evaluation
            p = replace(
                p,
                message=f"{event.subject} seed {event.seed + 1}/{self.record.seeds}: epoch {event.epoch}/"
                f"{cfg.epochs if cfg else '?'}, loss {event.loss:.4f}",
            )
        self.p = p
        if urgent or time.monotonic() - self.written >= REPORT_EVERY_S:
            self._write()

    def end(self, state: State, error: str = "") -> None:
        self.record = self.record.replace(state=state, error=error, ended=time.time())
        self._write()
