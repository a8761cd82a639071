"""The synthesis engine: one loop for SRe2L, PRISM and G-VBSM, as a generator of progress events.

    for event in synthesize(config, run_dir): ...

Events are the typed records of `prism_core.events`: Started, Step (loss terms at a stride), Preview
(uint8 images at a stride), BatchDone (a batch finished and written), Done or Cancelled. The CLI, the
app and the tests all consume the same stream. Losses stay on the device between logging strides.
"""

from __future__ import annotations

import importlib.metadata
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from .. import __version__
from ..data import Dataset, class_indices, get_dataset
from ..distributed import local_device
from ..events import BatchDone, Cancelled, Done, Preview, Started, Step
from ..images import to_uint8
from ..records import BatchRecord
from ..selection import Picked, SelectionError, Selector, get_rule
from ..states import State
from ..teachers import Teacher, TeacherCache, TeacherError, create_teacher, get_spec
from ..teachers.registry import bn_layer_count
from .compiled import compiled_adam_update, compiled_step, teacher_forward
from .config import ConfigError, SynthConfig, validate
from .hooks import TeacherStats, attached, forward_with_stats
from .methods import get_method
from .plan import make_plan
from .recipes import resolve
from .run_health import sweep_temporaries
from .runstore import Run, RunError
from .step import Shares, StepInputs, StepModels, step_loss
from .types import BatchSpec, Prepared


class SynthesisError(RuntimeError):
    """A batch could not be optimised (e.g. a non-finite loss); finished batches are kept."""


def prepare(cfg: SynthConfig, cache: TeacherCache | None = None) -> Prepared:
    """Resolve defaults and validate everything, loading the teachers (through `cache` when given);
    raises before any run exists."""
    dataset = get_dataset(cfg.dataset)
    info = dataset.info
    method = get_method(cfg.method)
    cfg = resolve(cfg, method, info.image_size, info.num_classes)
    validate(cfg, info.num_classes)
    bn_pool = method.bn_pool(cfg)
    names = [cfg.primary] + [n for n in bn_pool if n != cfg.primary]
    for name in names:
        get_spec(name)  # unknown architecture: a clear error before anything loads
    for name in bn_pool:
        if bn_layer_count(name) == 0:
            raise ConfigError(
                f"{name} has no BatchNorm layers, so it cannot be a BN teacher; "
                f"use it as the primary (logit) teacher instead, or remove it from the BN pool"
            )
    method.check(cfg)
    if method.optimises and cfg.iterations == 0:
        raise ConfigError(
            f"iterations must be a positive integer for {method.name}, which optimises, got 0; to keep "
            "real images as they are, run a selection (--method random, herding, kcenter, easy, ...)"
        )
    if cfg.init != "noise":
        train = dataset.split("train")
        short = {c: len(class_indices(train, c)) for c in cfg.classes if len(class_indices(train, c)) < cfg.ipc}
        if short:
            raise ConfigError(
                f"real-image init needs {cfg.ipc} training images per class, but classes {short} "
                "have fewer; lower the IPC or use noise init"
            )
    device = local_device(cfg.device)
    load = cache.get if cache is not None else create_teacher
    stray = sorted(set(cfg.checkpoints or {}) - set(names))
    if stray:
        raise ConfigError(
            f"checkpoints given for {', '.join(stray)}, which take no part in this run "
            f"(its teachers: {', '.join(names)})"
        )
    weights = {name: (cfg.checkpoints or {}).get(name, cfg.weights) for name in names}
    teachers = {name: load(name, info, weights=weights[name], device=device) for name in names}
    for teacher in teachers.values():
        teacher.model.to(memory_format=torch.channels_last if cfg.channels_last else torch.contiguous_format)
    return Prepared(
        cfg, dataset, teachers, make_plan(cfg, method), method, device, init=_pick_init(cfg, dataset, load, device)
    )


def _pick_init(
    cfg: SynthConfig, dataset: Dataset, load: Callable[..., Teacher], device: torch.device
) -> dict[int, Picked] | None:
    """The selection rule's real images per class (its selector loaded only when the rule scores images)."""
    if cfg.init == "noise":
        return None
    rule = get_rule(cfg.init)
    selector = None
    if rule.needs_selector:
        try:
            model = load(cfg.selector, dataset.info, weights=cfg.weights, device=device).model
        except (TeacherError, ValueError) as err:
            raise ConfigError(
                f"the {rule.name} rule embeds and scores images with the selector {cfg.selector}, which "
                f"cannot load ({err}); name another with --selector (or `selector` in the workspace)"
            ) from None
        selector = Selector(model, dataset.info)
    try:
        return rule.pick(dataset.split("train"), cfg.classes, cfg.ipc, cfg.seed, selector, cfg.candidates)
    except SelectionError as err:
        raise ConfigError(str(err)) from None


def run_record(p: Prepared) -> dict[str, Any]:
    versions = {pkg: importlib.metadata.version(pkg) for pkg in ("torch", "timm", "torchvision", "numpy")}
    return {
        "config": p.config.to_dict(),
        "class_names": list(p.dataset.info.class_names),
        "teachers": {n: t.identity() for n, t in p.teachers.items()},
        "plan": {"batches": len(p.plan), "images": sum(len(b.classes) for b in p.plan)},
        "versions": {"prism_core": __version__, **versions},
        "created": time.time(),
    }


class _Stopped(Exception):
    pass


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
    except (_Stopped, KeyboardInterrupt) as err:
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
            for event in _optimise_batch(p, spec, should_stop, stats):
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


def _optimise_batch(
    p: Prepared, spec: BatchSpec, should_stop: Callable[[], bool], stats: dict[str, TeacherStats]
) -> Iterator[Step | Preview | BatchDone]:
    """The loop: it optimises with what the method's `setup` hands it and knows no method by name."""
    cfg, info, device = p.config, p.dataset.info, p.device
    G = spec.groups  # each group has its own generator, BN set and augmentation (plan.py)
    setup = p.method.setup(p, spec)
    x, opt = setup.pixels, setup.optimiser
    whole_step = cfg.graph == "step"
    models = StepModels(
        {name: t.model for name, t in p.teachers.items()},
        stats,
        setup.objective,
        setup.augment,
        forward_with_stats if whole_step else teacher_forward(cfg.compile),
        bf16=cfg.precision == "bf16",
        channels_last=cfg.channels_last,
    )
    loss_of = compiled_step(cfg.compile) if whole_step else step_loss
    lo, hi = info.pixel_bounds(x)
    update_at = _updater(cfg, opt, x, lo, hi)
    targets = torch.tensor(spec.classes, device=device)
    class_rows = _class_rows(spec)
    # eager: a teacher sees only the groups that drew it; compiled: the whole batch (one static shape), of which only
    # those groups' losses count
    shares = Shares(G, device, whole_batch=cfg.compile != "off")
    # every step's crop, flip and roll, drawn up front in the steps' order and copied to the device once
    draws = setup.augment.draw(*x.shape[-2:], setup.generators, spec.iterations).to(device)
    sets_used: list[dict[tuple[str, ...], int]] = [{} for _ in range(G)]
    last: dict[str, torch.Tensor] = {}
    # the trajectory: uint8 images before `snapshots` evenly spaced steps (the first is the init) and at the end
    marks = {round(i * spec.iterations / cfg.snapshots) for i in range(cfg.snapshots)}
    frames: list[torch.Tensor] = []
    frame_steps: list[int] = []
    for step in range(spec.iterations):
        if step in marks:
            frames.append(to_uint8(info.denormalize(x.detach())).cpu())
            frame_steps.append(step)
        if should_stop():
            raise _Stopped()
        ce_name, bn_sets = setup.teachers_at(step)  # this step's BN set of each group
        for used, bn_set in zip(sets_used, bn_sets):
            used[tuple(bn_set)] = used.get(tuple(bn_set), 0) + 1
        served = shares.of(bn_sets, ce_name)
        total, report = loss_of(models, x, targets, class_rows, StepInputs(draws[step], ce_name, served))
        opt.zero_grad(set_to_none=True)
        total.backward()
        lr = setup.lr_at(step)
        update_at(lr)
        last = report
        final = step == spec.iterations - 1
        if step % cfg.log_every == 0 or final:
            values = {k: float(v) for k, v in last.items()}
            bad = [k for k, v in values.items() if not math.isfinite(v)]
            if bad:
                raise SynthesisError(
                    f"batch {spec.index}: the loss became non-finite at step {step} "
                    f"(terms: {', '.join(bad)}); the batch was stopped and earlier batches are kept. "
                    "Lower the learning rate or the loss weights."
                )
            yield Step(spec.index, step + 1, spec.iterations, lr, list(served), ce_name, values)
        if cfg.preview_every and (step % cfg.preview_every == 0 or final):
            yield Preview(
                spec.index,
                step + 1,
                list(spec.classes),
                list(spec.ipc_indices),
                to_uint8(info.denormalize(x.detach())).cpu(),
            )
    for ts in stats.values():
        ts.reset()
    if marks:
        frames.append(to_uint8(info.denormalize(x.detach())).cpu())
        frame_steps.append(spec.iterations)
    sources = (
        () if p.init is None else tuple(tuple(p.init[c].sources[k]) for c, k in zip(spec.classes, spec.ipc_indices))
    )
    record = BatchRecord(
        spec.index,
        spec.classes,
        spec.ipc_indices,
        spec.seeds,
        spec.iterations,
        spec.bn_sets,
        tuple(sets_used),
        {k: float(v) for k, v in last.items()},
        sources,
        os.getpid(),
    )
    yield BatchDone(spec.index, record, x.detach().cpu(), torch.stack(frames) if frames else None, frame_steps)


def _class_rows(spec: BatchSpec) -> tuple[tuple[tuple[int, ...], ...], ...]:
    """Per group, the rows of each of its classes (by class id), for terms that work per class."""
    n = len(spec.classes) // spec.groups
    groups = [spec.classes[g * n : (g + 1) * n] for g in range(spec.groups)]
    return tuple(tuple(tuple(i for i, c in enumerate(cs) if c == k) for k in sorted(set(cs))) for cs in groups)


def _updater(
    cfg: SynthConfig, opt: torch.optim.Optimizer, x: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor
) -> Callable[[float], None]:
    """The update at a step's learning rate: the optimiser's own step, or with `graph="step"` Adam's update compiled
    as one graph on the optimiser's state, its learning rate a tensor (a new value must not recompile)."""
    if cfg.graph != "step":

        def eager(lr: float) -> None:
            for group in opt.param_groups:
                group["lr"] = lr
            opt.step()
            with torch.no_grad():
                x.clamp_(min=lo, max=hi)  # keep pixels in the valid range after every step

        return eager
    state, group, adam = _adam_state(opt, x), opt.param_groups[0], compiled_adam_update(cfg.compile)
    lr_now = torch.zeros((), device=x.device)

    def compiled(lr: float) -> None:
        group["lr"] = lr
        lr_now.fill_(lr)
        adam(x, state, lr_now, group["betas"], group["eps"], lo, hi)

    return compiled


def _adam_state(opt: torch.optim.Optimizer, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """The optimiser's state for `x`, made as Adam makes it, for the compiled update (which supports plain Adam)."""
    group = opt.param_groups[0]
    if type(opt) is not torch.optim.Adam or group["amsgrad"] or group["weight_decay"] or group["maximize"]:
        raise ConfigError(
            f"graph 'step' compiles plain Adam's update, and this method optimises with {type(opt).__name__}; "
            "use graph 'teachers'"
        )
    state = opt.state[x]
    state.update(step=torch.zeros((), device=x.device), exp_avg=torch.zeros_like(x), exp_avg_sq=torch.zeros_like(x))
    return state
