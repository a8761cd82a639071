"""The synthesis engine: a run's batches through the loop (loop.py), into the run store, as a generator of progress
events, for SRe2L, PRISM, G-VBSM and the selections alike.

    for event in synthesize(config, run_dir): ...

Events are the typed records of `prism_core.events`: Started, Step (loss terms at a stride), Preview
(uint8 images at a stride), BatchDone (a batch finished and written), Done or Cancelled. The CLI, the
app and the tests all consume the same stream. Losses stay on the device between logging strides.
"""

from __future__ import annotations

import importlib.metadata
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from .. import __version__
from ..events import BatchDone, Cancelled, Done, Preview, Started, Step
from ..states import State
from .config import SynthConfig
from .hooks import attached
from .loop import Stopped, SynthesisError, optimise_batch
from .preparation import prepare
from .run_health import sweep_temporaries
from .runstore import Run, RunError, RunRecord
from .types import BatchSpec, Prepared


def run_record(p: Prepared) -> RunRecord:
    versions = {pkg: importlib.metadata.version(pkg) for pkg in ("torch", "timm", "torchvision", "numpy")}
    return RunRecord(
        p.config,
        tuple(p.dataset.info.class_names),
        {n: t.identity() for n, t in p.teachers.items()},
        {"batches": len(p.plan), "images": sum(len(b.classes) for b in p.plan)},
        {"prism_core": __version__, **versions},
        time.time(),
    )


def synthesize(
    cfg: SynthConfig | Prepared,
    run_dir: Path | str | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
    stop: threading.Event | Callable[[], bool] | None = None,
    shard: tuple[int, int] = (0, 1),
) -> Iterator[Started | Step | Preview | BatchDone | Done | Cancelled]:
    """Optimise every batch of the plan (this process's shard of it), yielding progress events.

    With `run_dir`, batches are written to the run store as they finish; re-running on an interrupted
    run continues after its finished batches. A different configuration in an existing run is refused
    unless `resume` (keep the stored configuration) or `overwrite` (start afresh) is given.
    """
    prepared = cfg if isinstance(cfg, Prepared) else prepare(cfg)
    run = Run(run_dir) if run_dir is not None else None
    if run is not None:
        try:
            prepared = open_run(run, prepared, resume, overwrite, primary_rank=shard[0] == 0)
        except OSError as err:
            raise _unwritable(run, err) from None
    yield from run_plan(prepared, run, stop=stop, shard=shard)


def _unwritable(run: Run, err: OSError) -> RunError:
    return RunError(
        f"cannot write the run in {run.path} ({err.strerror or err}); "
        "nothing was changed: free space or make it writable, then run the same command again"
    )


def run_plan(
    prepared: Prepared,
    run: Run | None,
    *,
    stop: threading.Event | Callable[[], bool] | None = None,
    shard: tuple[int, int] = (0, 1),
) -> Iterator[Started | Step | Preview | BatchDone | Done | Cancelled]:
    """Optimise the plan's unfinished batches (this process's shard) into an opened run, or none, yielding
    progress events. The job queue opens a job's run when it is submitted and continues it here."""
    should_stop = stop.is_set if isinstance(stop, threading.Event) else (stop or (lambda: False))
    done = run.finished() if run is not None else {}
    if run is not None and shard[0] == 0:
        try:
            run.set_status(State.RUNNING, batches_total=len(prepared.plan))
        except OSError as err:
            raise _unwritable(run, err) from None
    cfg, plan = prepared.config, prepared.plan
    mine = [b for b in plan if b.index % shard[1] == shard[0]]
    todo = [b for b in mine if b.index not in done]
    total_images = sum(len(b.classes) * b.iterations for b in todo)
    yield Started(
        cfg.to_dict(), len(plan), [b.index for b in todo], len(mine) - len(todo), str(run.path) if run else None
    )
    image_iters_done, t0 = 0, time.perf_counter()
    batches = _batch_events(prepared, todo, should_stop)
    try:
        for spec, event in batches:
            if isinstance(event, Step):
                done_now = image_iters_done + event.step * len(spec.classes)
                rate = done_now / max(time.perf_counter() - t0, 1e-9)
                event = replace(event, img_per_s=rate, eta_s=(total_images - done_now) / max(rate, 1e-9))
                if run is not None:
                    run.append_events([event.record()])
            if isinstance(event, BatchDone):
                image_iters_done += len(spec.classes) * spec.iterations
                if run is not None:
                    images01 = prepared.dataset.info.denormalize(event.pixels).clamp(0, 1)
                    run.write_batch(
                        event.record,
                        event.pixels,
                        images01,
                        trajectory=(event.frame_steps, event.frames) if event.frames is not None else None,
                    )
            yield event
    except (Stopped, KeyboardInterrupt) as err:
        _set_status(run, State.CANCELLED, len(plan))
        if isinstance(err, KeyboardInterrupt):
            raise
        yield Cancelled(len(run.finished()) if run else None)
        return
    except GeneratorExit:  # the consumer stopped listening; the status reads as interrupted once this process ends
        raise
    except OSError as err:
        msg = f"writing the run failed ({err.strerror or err}); finished batches are kept in {run.path if run else '-'}"
        _set_status(run, State.FAILED, len(plan), error=msg)
        raise SynthesisError(msg) from None
    except BaseException as err:
        _set_status(
            run,
            State.FAILED,
            len(plan),
            error=str(err) if isinstance(err, SynthesisError) else f"{type(err).__name__}: {err}",
        )
        raise
    finally:
        batches.close()  # removes the statistics hooks whatever ended the run
    if run is not None and len(run.finished()) == len(plan):  # whichever rank completes the plan says so
        run.set_status(State.FINISHED, batches_total=len(plan))
    yield Done(time.perf_counter() - t0, len(todo))


def _batch_events(
    p: Prepared, todo: list[BatchSpec], should_stop: Callable[[], bool]
) -> Iterator[tuple[BatchSpec, Step | Preview | BatchDone]]:
    """Every batch's events, with the run's statistics hooks attached throughout and removed on any exit.

    The hooks are built once per run (G-VBSM's reference statistics included) and stay attached, so a
    compiled teacher forward is traced once and reused by every batch."""
    stats = {name: p.method.stat_hooks(p, name) for name in p.method.bn_pool(p.config)} if todo else {}
    with attached(list(stats.values())), _cudnn_autotune(p.device.type == "cuda"):
        for spec in todo:
            for event in optimise_batch(p, spec, should_stop, stats):
                yield spec, event


@contextmanager
def _cudnn_autotune(on: bool) -> Iterator[None]:
    """cuDNN picks the fastest convolution algorithms for the run's fixed shapes (measured once, at the first step)."""
    before = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = before or on
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = before


def _set_status(run: Run | None, state: State, batches_total: int, **info: Any) -> None:
    """Record the run's state; a failing disk must not hide the error that brought us here."""
    if run is not None:
        try:
            run.set_status(state, batches_total=batches_total, **info)
        except OSError:
            pass


def open_run(
    run: Run, p: Prepared, resume: bool = False, overwrite: bool = False, primary_rank: bool = True
) -> Prepared:
    """Create the run directory, or check an existing one against `p`; returns what the run will optimise (the
    stored configuration's, with `resume`). `run_plan` reads which batches are finished when it starts.

    Under torchrun only rank 0 creates (or overwrites); the other ranks wait for its configuration.
    """
    if not primary_rank:
        deadline = time.time() + 120
        while not (run.exists() and (resume or run.config() == p.config)):
            if time.time() > deadline:
                raise RunError(f"{run.path}: rank 0 did not create the run within 120 s")
            time.sleep(0.2)
    elif run.exists() and overwrite:
        run.delete()
    if not run.exists():
        run.create(run_record(p))
        run.set_status(State.QUEUED, batches_total=len(p.plan))
        return p
    sweep_temporaries(run)  # a killed writer's half-written files
    stored = run.config()
    if stored != p.config:
        if not resume:
            diff = {k: (v, getattr(p.config, k)) for k, v in stored.to_dict().items() if v != p.config.to_dict()[k]}
            raise RunError(
                f"{run.path} holds a run with a different configuration ({', '.join(diff)} differ); "
                "pass --resume to continue it as stored, --overwrite to replace it, or choose another --out"
            )
        p = prepare(stored)
    return p
