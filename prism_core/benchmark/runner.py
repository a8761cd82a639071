"""Running a benchmark's missing cells on Dask distributed, and collecting them in one client.

Every evaluation is a task, and so are a cell's images (synthesis, or a real subset) and its metrics, which the
evaluations depend on. The default cluster is embedded: worker processes on this machine (`cluster` says which
kind). With a scheduler address the same tasks go to a running cluster (`dask scheduler` / `dask worker`, or
dask-jobqueue).
Tasks that need a GPU ask for the worker resource "GPU": a worker started with `--resources GPU=4` runs four small
cells on its device at once. A task whose worker dies is retried once (the scheduler's allowed-failures), a task
that raises is retried once; then the cell keeps the error under "failed". Only this client writes the cells.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..data import get_dataset
from .measure import Result, evaluate, make_images, measure_metrics
from .protocol import Benchmark, BenchmarkError, key, protocol_of
from .store import Cell, CellStore, missing

ALLOWED_FAILURES = 1  # worker deaths a task survives before it is stored as failed
GPU_SLOTS = 4  # tasks that share one GPU on the embedded cluster: students and small syntheses leave it idle alone
ORPHAN_IDLE_S = 60  # an embedded cluster with no task to run for this long closes (its client may have been killed)
WORKER_MEMORY = 2**30  # about what a worker holds once its tasks have loaded torch, the zoo and the dataset (0.9 GB)


def _memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # no sysconf (Windows): cores alone decide
        return 2**62


def local_workers(cores: int, memory: int) -> int:
    """The embedded cluster's size: a single-threaded worker per core (the cells' tasks are small), as many as
    `memory` bytes hold."""
    return max(1, min(cores, memory // WORKER_MEMORY))


LOCAL_WORKERS = local_workers(os.cpu_count() or 1, _memory())


@dataclass(frozen=True)
class Progress:
    """One finished (or failed) task, with how many are done (`run`'s `submitted` heard the total)."""

    done: int
    result: Result | None  # None: the task failed
    cell: str  # its key, "row|ipc|seed"
    label: str
    error: str = ""


@contextmanager
def cluster(scheduler: str | None = None, workers: int = LOCAL_WORKERS, gpu_slots: int = 0) -> Iterator:
    """A Dask client: to `scheduler`, or to a local cluster of `workers` processes (one thread each; with
    `gpu_slots`, one process with that many GPU slots).

    The local cluster is Dask's SubprocessCluster: the scheduler and each worker start as fresh `python -m dask`
    processes. LocalCluster's workers are spawned from this process and re-run its __main__, which inside
    Streamlit (and its AppTest) is the app's script, not a guarded entry point. Those processes outlive a client
    killed outright (the app's server, the CLI): the scheduler's idle timeout then closes it, its workers with it,
    instead of leaving its processes (a scheduler, and a nanny and a worker each: about a GB) behind for good."""
    from distributed import Client  # deferred: Dask only when a benchmark runs, not when the app imports this
    from distributed.deploy.subprocess import SubprocessCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as err:
            raise BenchmarkError(
                f"--scheduler {scheduler}: cannot reach it ({err}); start one with `dask scheduler` "
                "and workers with `dask worker ADDRESS`"
            ) from None
        with client:
            yield client
        return
    local = SubprocessCluster(
        n_workers=1 if gpu_slots else workers,
        threads_per_worker=gpu_slots or 1,
        dashboard_address=None,
        scheduler_kwargs={"allowed_failures": ALLOWED_FAILURES, "idle_timeout": f"{ORPHAN_IDLE_S}s"},
        worker_kwargs={"resources": {"GPU": gpu_slots}} if gpu_slots else None,
    )
    with local, Client(local) as client:
        client.wait_for_workers(1 if gpu_slots else workers, timeout=120)
        yield client


def require_gpu_workers(client, scheduler: str | None) -> None:
    """Tasks on a GPU ask for the worker resource "GPU"; without a worker that offers it they would wait forever."""
    workers = client.scheduler_info()["workers"].values()
    if not any(w.get("resources", {}).get("GPU") for w in workers):
        raise BenchmarkError(
            f"--device cuda: no worker of {scheduler or 'the local cluster'} offers the resource GPU, so no task "
            "would start; start workers with `dask worker ADDRESS --resources GPU=4` (4 tasks share a GPU)"
        )


def task_key(kind: str, token: str, what: str) -> str:
    """A task's Dask key: "images", "metrics" or "evaluate", then "-", the submission's token and what it measures.

    Dask learns one duration per key prefix (what precedes the first "-"), which its work stealing balances by.
    Keys without one make every task its own prefix, assumed to take 0.5 s: a worker then sat idle while the other
    held a queue of evaluations (17 of the first 35 minutes of an IPC 50 benchmark on 2 workers)."""
    return f"{kind}-{token} {what}"


def submit(bench: Benchmark, store: CellStore, client, work: Path) -> dict:
    """Futures for everything the stored cells lack, each with (its task, its cell's (row, IPC, seed)): per cell its
    images, then its metrics and each evaluation. Keys carry a token of this call, so a resumed benchmark never meets
    the cancelled futures of an earlier one in the same client."""
    gpu = {"GPU": 1} if bench.device.startswith("cuda") else None
    token = uuid.uuid4().hex[:8]
    tasks = {}
    for row, ipc, seed in bench.cells():
        cell = store.get(row, ipc, seed)
        todo = missing(cell, bench.evals)
        need_metrics = cell is None or not cell.metrics
        if not todo and not need_metrics:
            continue
        name = key(row, ipc, seed)
        images = client.submit(
            make_images, bench, row, ipc, seed, work, key=task_key("images", token, name), retries=1, resources=gpu
        )
        if need_metrics:
            tasks[
                client.submit(
                    measure_metrics,
                    bench,
                    row,
                    ipc,
                    seed,
                    images,
                    key=task_key("metrics", token, name),
                    retries=1,
                    resources=gpu,
                )
            ] = ("metrics", (row, ipc, seed))
        for label in todo:
            tasks[
                client.submit(
                    evaluate,
                    bench,
                    row,
                    ipc,
                    seed,
                    label,
                    images,
                    key=task_key("evaluate", token, f"{label} {name}"),
                    retries=1,
                    resources=gpu,
                )
            ] = (label, (row, ipc, seed))
    return tasks


def run(
    bench: Benchmark,
    store: CellStore,
    client,
    work: Path,
    progress: Callable[[Progress], None] = lambda p: None,
    should_stop: Callable[[], bool] = lambda: False,
    submitted: Callable[[int], None] = lambda total: None,
) -> int:
    """Measure what the store lacks; each result is stored as it arrives. Returns the number of failed tasks.
    `submitted` hears how many tasks there are before any runs (a first result can be many minutes away).
    `should_stop` is polled twice a second: when it turns true the outstanding tasks are cancelled, and nothing
    finished is lost."""
    from distributed import as_completed  # deferred: as above

    tasks = submit(bench, store, client, Path(work))
    futures = list(tasks)
    submitted(len(futures))
    threading.Thread(target=_cancel_when, args=(should_stop, client, futures), daemon=True).start()
    train_images = len(get_dataset(bench.workspace.dataset).split("train").labels)
    failed, imaged = 0, set()  # cells whose images' seconds are counted
    for done, future in enumerate(as_completed(futures), 1):
        task, where = tasks[future]
        if should_stop():
            break
        try:
            result: Result = future.result()
        except Exception as err:  # the task's own error, or KilledWorker after ALLOWED_FAILURES deaths
            failed += 1
            error = f"{type(err).__name__}: {err}"
            cell = store.get(*where) or Cell(*where, protocol_of(where[0]), train_images=train_images)
            cell.failed[task] = error
            store.put(cell)
            progress(Progress(done, None, key(*where), task, error))
        else:
            _store_result(store, result, train_images, where not in imaged)
            imaged.add(where)
            progress(Progress(done, result, key(*where), task))
    return failed


def _cancel_when(should_stop: Callable[[], bool], client, futures: list) -> None:
    while not all(f.done() for f in futures):
        if should_stop():
            client.cancel(futures)
            return
        time.sleep(0.5)


def _store_result(store: CellStore, r: Result, train_images: int, with_images: bool) -> None:
    """Add a task's result to its cell, with the seconds it took (and its images' seconds, once per cell)."""
    cell = store.get(r.row, r.ipc, r.seed) or Cell(
        r.row, r.ipc, r.seed, protocol_of(r.row), machine=r.machine, train_images=train_images
    )
    if r.label == "metrics":
        cell.metrics.update(r.value)
    else:
        cell.top1[r.label] = r.value
    cell.failed.pop(r.label, None)
    spent = r.seconds + (r.images_seconds if with_images else 0.0)
    cell.seconds += spent
    cell.seconds_on[r.machine] = cell.seconds_on.get(r.machine, 0.0) + spent
    store.put(cell)
