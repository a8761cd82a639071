"""A background job queue: one FIFO worker per device, shared by every caller (all app sessions).

Workers run the same `synthesize` generator as the CLI and keep the latest progress in memory for
pollers; everything durable goes to the run store, so a restarted server finds finished runs intact
and interrupted ones resumable. Nothing here knows about Streamlit.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .evaluation import EvalConfig, check_complete, evaluate_run
from .events import BatchDone, Cancelled, Epoch, Evaluated, Preview, Started, Step
from .states import State
from .synthesis import Prepared, SynthConfig, prepare
from .synthesis.engine import open_run, run_plan
from .synthesis.runstore import Run, check_run_name
from .teachers import TeacherCache

HISTORY = 2000  # loss points kept per job for live curves


@dataclass
class Job:
    id: int
    run_name: str
    run_dir: Path
    config: SynthConfig
    kind: str = "synth"  # "synth" or "evaluate"
    prepared: Prepared | None = None  # a synthesis job's validated teachers and plan; its run is already open
    evaluation: EvalConfig | None = None
    seeds: int = 1
    message: str = ""  # evaluation progress in words
    state: State = State.QUEUED
    error: str = ""
    batches_total: int = 0
    batches_done: int = 0
    step: int = 0
    iterations: int = 0
    img_per_s: float = 0.0
    eta_s: float = 0.0
    losses: list[dict[str, float]] = field(default_factory=list)
    preview: Preview | None = None
    submitted: float = field(default_factory=time.time)
    started: float = 0.0
    ended: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def active(self) -> bool:
        return self.state.active

    def apply(self, event: object) -> None:
        """Keep the latest progress of a synthesis or evaluation event stream for pollers."""
        if isinstance(event, Started):
            self.batches_total, self.batches_done = event.batches, event.already_done
        elif isinstance(event, Step):
            self.step, self.iterations = event.step, event.iterations
            self.img_per_s, self.eta_s = event.img_per_s, event.eta_s
            self.losses.append({"batch": event.batch, "step": event.step, **event.losses})
            del self.losses[:-HISTORY]
        elif isinstance(event, Preview):
            self.preview = event
        elif isinstance(event, BatchDone):
            self.batches_done += 1
        elif isinstance(event, Evaluated):
            self.message = f"{event.subject}: top-1 {event.mean:.2f} +- {event.std:.2f}"
        elif isinstance(event, Epoch):
            self.message = (
                f"{event.subject} seed {event.seed + 1}/{self.seeds}: epoch {event.epoch}/"
                f"{self.evaluation.epochs}, loss {event.loss:.4f}"
            )
        elif isinstance(event, Cancelled):
            self.state = State.CANCELLED


class JobQueue:
    def __init__(self, runs_root: Path | str, device: str = "cpu", max_models: int = 8):
        self.runs_root, self.device = Path(runs_root), device
        self.teachers = TeacherCache(max_models)  # only the worker forwards them; submit() only loads
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._queue: queue.Queue[Job] = queue.Queue()
        self._worker = threading.Thread(target=self._work, name=f"prism-jobs-{device}", daemon=True)
        self._worker.start()

    def submit(self, cfg: SynthConfig, run_name: str, resume: bool = False) -> Job:
        """Validate now (errors reach the caller at once), create the run on disk, then queue it: the worker
        continues this same prepared run, preparing and opening nothing again."""
        check_run_name(run_name)
        prepared = prepare(cfg.replace(device=self.device), self.teachers)
        run = Run(self.runs_root / run_name)
        with self._lock:
            if any(j.run_name == run_name and j.active for j in self._jobs.values()):
                raise ValueError(f"run {run_name!r} is already queued or running")
            prepared = open_run(run, prepared, resume=resume)
            job = Job(
                next(self._ids),
                run_name,
                run.path,
                prepared.config,
                prepared=prepared,
                batches_total=len(prepared.plan),
            )
            self._jobs[job.id] = job
        self._queue.put(job)
        return job

    def submit_evaluation(self, run_name: str, cfg: EvalConfig, seeds: int = 1) -> Job:
        """Queue a student evaluation of a run and of the random-real baseline, in the same protocol."""
        run = Run(self.runs_root / check_run_name(run_name))
        check_complete(run)
        job = Job(next(self._ids), run_name, run.path, run.config(), kind="evaluate", evaluation=cfg, seeds=seeds)
        with self._lock:
            self._jobs[job.id] = job
        self._queue.put(job)
        return job

    def cancel(self, job_id: int) -> None:
        job = self._jobs[job_id]
        job.stop.set()
        if job.state == State.QUEUED:
            job.state = State.CANCELLED
            if job.kind == "synth":
                Run(job.run_dir).set_status(State.CANCELLED, batches_total=job.batches_total)

    def jobs(self) -> list[Job]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.id)

    def job_for(self, run_name: str) -> Job | None:
        matches = [j for j in self.jobs() if j.run_name == run_name]
        return matches[-1] if matches else None

    def wait(self, job: Job, timeout: float = 600) -> Job:
        deadline = time.time() + timeout
        while job.active and time.time() < deadline:
            time.sleep(0.05)
        return job

    def _work(self) -> None:
        torch.set_num_threads(max(1, torch.get_num_threads()))
        while True:
            job = self._queue.get()
            if job.stop.is_set():
                continue
            job.state, job.started = State.RUNNING, time.time()
            try:
                if job.kind == "synth":
                    events = run_plan(job.prepared, Run(job.run_dir), stop=job.stop)  # the run opened at submit
                else:
                    events = evaluate_run(
                        Run(job.run_dir),
                        job.evaluation,
                        job.seeds,
                        real_baseline=True,
                        device=self.device,
                        stop=job.stop.is_set,
                    )
                for event in events:
                    job.apply(event)
                if job.state == State.RUNNING:
                    job.state = State.FINISHED
            except Exception as err:  # the job fails, the worker lives on for the next one
                job.state, job.error = State.FAILED, f"{type(err).__name__}: {err}"
                traceback.print_exc()
            finally:
                job.ended = time.time()
