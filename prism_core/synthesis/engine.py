"""The synthesis engine: one loop for SRe2L, PRISM and G-VBSM, as a generator of progress events.

    for event in synthesize(config, run_dir): ...

Events are plain dicts with a "kind": "start", "step" (loss terms at a stride), "preview" (uint8
images at a stride), "batch" (a batch finished and written), "done". The CLI, the app and the tests
all consume the same stream. Losses stay on the device between logging strides.
"""
from __future__ import annotations

import importlib.metadata
import math
import random
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

from ..data import Dataset, class_indices, get_dataset, real_image_indices
from ..distributed import local_device
from ..images import to_uint8
from ..runstore import Run, RunError
from ..teachers import Teacher, TeacherCache, create_teacher, get_spec
from ..teachers.registry import bn_layer_count
from .augment import CropFlipRoll
from .config import ConfigError, SynthConfig, validate
from .compiled import teacher_forward
from .hooks import StatHook, TeacherStats, attached, bn_hooks
from .objectives import (CrossEntropy, DataDensification, Objective, PixelL2, StatAlignment, StepContext,
                         TotalVariationL2)
from .plan import BatchSpec, make_plan
from .recipes import resolve
from .refstats import conv_layers, conv_reference_stats
from .selection import draw_bn_set


class SynthesisError(RuntimeError):
    """A batch could not be optimised (e.g. a non-finite loss); finished batches are kept."""


@dataclass
class Prepared:
    """Everything a run needs, checked before anything is written to disk."""
    config: SynthConfig
    dataset: Dataset
    teachers: dict[str, Teacher]
    plan: list[BatchSpec]


def _stat_teachers(cfg: SynthConfig) -> list[str]:
    if cfg.method == "sre2l":
        return [cfg.primary]
    pool = list(cfg.bn_pool)
    return list(dict.fromkeys(([cfg.primary] if cfg.method == "prism" and cfg.include_primary else []) + pool))


def prepare(cfg: SynthConfig, cache: TeacherCache | None = None) -> Prepared:
    """Resolve defaults and validate everything, loading the teachers (through `cache` when given);
    raises before any run exists."""
    dataset = get_dataset(cfg.dataset)
    info = dataset.info
    cfg = resolve(cfg, info.image_size, info.num_classes)
    validate(cfg, info.num_classes)
    names = [cfg.primary] + [n for n in _stat_teachers(cfg) if n != cfg.primary]
    for name in names:
        get_spec(name)  # unknown architecture: a clear error before anything loads
    for name in _stat_teachers(cfg):
        if bn_layer_count(name) == 0:
            raise ConfigError(f"{name} has no BatchNorm layers, so it cannot be a BN teacher; "
                              f"use it as the primary (logit) teacher instead, or remove it from the BN pool")
    if cfg.method == "prism" and not cfg.bn_pool and not cfg.include_primary:
        raise ConfigError("PRISM with the primary excluded needs at least one BN teacher in the pool")
    if cfg.method == "gvbsm" and not cfg.bn_pool:
        raise ConfigError("G-VBSM needs at least one backbone in bn_pool")
    if cfg.init == "real":
        train = dataset.split("train")
        short = {c: len(class_indices(train, c)) for c in cfg.classes if len(class_indices(train, c)) < cfg.ipc}
        if short:
            raise ConfigError(f"real-image init needs {cfg.ipc} training images per class, but classes {short} "
                              "have fewer; lower the IPC or use noise init")
    device = local_device(cfg.device)
    load = cache.get if cache is not None else create_teacher
    stray = sorted(set(cfg.checkpoints or {}) - set(names))
    if stray:
        raise ConfigError(f"checkpoints given for {', '.join(stray)}, which take no part in this run "
                          f"(its teachers: {', '.join(names)})")
    weights = {name: (cfg.checkpoints or {}).get(name, cfg.weights) for name in names}
    teachers = {name: load(name, info, weights=weights[name], device=device) for name in names}
    for teacher in teachers.values():
        teacher.model.to(memory_format=torch.channels_last if cfg.channels_last else torch.contiguous_format)
    return Prepared(cfg, dataset, teachers, make_plan(cfg))


def run_record(p: Prepared) -> dict[str, Any]:
    versions = {pkg: importlib.metadata.version(pkg) for pkg in ("torch", "timm", "torchvision", "numpy")}
    from .. import __version__
    return {"config": p.config.to_dict(), "class_names": list(p.dataset.info.class_names), "teachers": {n: t.identity() for n, t in p.teachers.items()},
            "plan": {"batches": len(p.plan), "images": sum(len(b.classes) for b in p.plan)},
            "versions": {"prism_core": __version__, **versions}, "created": time.time()}


class _Stopped(Exception):
    pass


def synthesize(cfg: SynthConfig | Prepared, run_dir: Path | str | None = None, *, resume: bool = False,
               overwrite: bool = False, stop: threading.Event | Callable[[], bool] | None = None,
               shard: tuple[int, int] = (0, 1)) -> Iterator[dict[str, Any]]:
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
    return RunError(f"cannot write the run in {run.path} ({err.strerror or err}); "
                    "nothing was changed: free space or make it writable, then run the same command again")


def run_plan(prepared: Prepared, run: Run | None, *, stop: threading.Event | Callable[[], bool] | None = None,
             shard: tuple[int, int] = (0, 1)) -> Iterator[dict[str, Any]]:
    """Optimise the plan's unfinished batches (this process's shard) into an opened run, or none, yielding
    progress events. The job queue opens a job's run when it is submitted and continues it here."""
    should_stop = stop.is_set if isinstance(stop, threading.Event) else (stop or (lambda: False))
    done = run.finished() if run is not None else {}
    if run is not None and shard[0] == 0:
        try:
            run.set_status("running", batches_total=len(prepared.plan))
        except OSError as err:
            raise _unwritable(run, err) from None
    cfg, plan = prepared.config, prepared.plan
    mine = [b for b in plan if b.index % shard[1] == shard[0]]
    todo = [b for b in mine if b.index not in done]
    total_images = sum(len(b.classes) * b.iterations for b in todo)
    yield {"kind": "start", "config": cfg.to_dict(), "batches": len(plan), "todo": [b.index for b in todo],
           "already_done": len(mine) - len(todo), "run": str(run.path) if run else None}
    image_iters_done, t0 = 0, time.perf_counter()
    batches = _batch_events(prepared, todo, should_stop)
    try:
        for spec, event in batches:
            if event["kind"] == "step":
                rate = (image_iters_done + event["step"] * len(spec.classes)) / max(time.perf_counter() - t0, 1e-9)
                event["img_per_s"] = rate
                event["eta_s"] = (total_images - image_iters_done - event["step"] * len(spec.classes)) / max(rate, 1e-9)
                if run is not None:
                    run.append_events([{k: v for k, v in event.items() if k != "images"}])
            if event["kind"] == "batch":
                image_iters_done += len(spec.classes) * spec.iterations
                if run is not None:
                    run.write_batch(spec.index, event.pop("pixels"), event.pop("images01"), spec.classes,
                                    spec.ipc_indices, event["record"])
                else:
                    event.pop("images01")
            yield event
    except (_Stopped, KeyboardInterrupt) as err:
        _set_status(run, "cancelled", len(plan))
        if isinstance(err, KeyboardInterrupt):
            raise
        yield {"kind": "cancelled", "batches_done": len(run.finished()) if run else None}
        return
    except GeneratorExit:  # the consumer stopped listening; the status reads as interrupted once this process ends
        raise
    except OSError as err:
        msg = f"writing the run failed ({err.strerror or err}); finished batches are kept in {run.path if run else '-'}"
        _set_status(run, "failed", len(plan), error=msg)
        raise SynthesisError(msg) from None
    except BaseException as err:
        _set_status(run, "failed", len(plan), error=str(err) if isinstance(err, SynthesisError)
                    else f"{type(err).__name__}: {err}")
        raise
    finally:
        batches.close()  # removes the statistics hooks whatever ended the run
    if run is not None and len(run.finished()) == len(plan):  # whichever rank completes the plan says so
        run.set_status("finished", batches_total=len(plan))
    yield {"kind": "done", "seconds": time.perf_counter() - t0, "batches": len(todo)}


def _batch_events(p: Prepared, todo: list[BatchSpec], should_stop: Callable[[], bool]
                  ) -> Iterator[tuple[BatchSpec, dict[str, Any]]]:
    """Every batch's events, with the run's statistics hooks attached throughout and removed on any exit.

    The hooks are built once per run (G-VBSM's reference statistics included) and stay attached, so a
    compiled teacher forward is traced once and reused by every batch."""
    stats = {name: _stat_hooks(p, name) for name in _stat_teachers(p.config)} if todo else {}
    with attached(list(stats.values())), _cudnn_autotune(local_device(p.config.device).type == "cuda"):
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


def _set_status(run: Run | None, state: str, batches_total: int, **info: Any) -> None:
    """Record the run's state; a failing disk must not hide the error that brought us here."""
    if run is not None:
        try:
            run.set_status(state, batches_total=batches_total, **info)
        except OSError:
            pass


def open_run(run: Run, p: Prepared, resume: bool = False, overwrite: bool = False,
             primary_rank: bool = True) -> Prepared:
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
        run.set_status("queued", batches_total=len(p.plan))
        return p
    run.sweep_temporaries()  # a killed writer's half-written files
    stored = run.config()
    if stored != p.config:
        if not resume:
            diff = {k: (v, getattr(p.config, k)) for k, v in stored.to_dict().items()
                    if v != p.config.to_dict()[k]}
            raise RunError(f"{run.path} holds a run with a different configuration ({', '.join(diff)} differ); "
                           "pass --resume to continue it as stored, --overwrite to replace it, or choose another --out")
        p = prepare(stored)
    return p


def initial_pixels(p: Prepared, classes: tuple[int, ...], ipc_indices: tuple[int, ...], gens: list[torch.Generator],
                   device: torch.device) -> torch.Tensor:
    """Real init: the k-th training image of each class; noise init: one normal draw per group's generator."""
    info = p.dataset.info
    if p.config.init == "real":
        split = p.dataset.split("train")
        x = info.normalize(split.load(real_image_indices(split, list(zip(classes, ipc_indices)))))
    else:
        n = len(classes) // len(gens)
        x = torch.cat([torch.randn((n, info.channels, info.image_size, info.image_size), generator=g) for g in gens])
    return x.to(device)


def _stat_hooks(p: Prepared, name: str) -> TeacherStats:
    cfg, teacher = p.config, p.teachers[name]
    if cfg.method != "gvbsm":
        return TeacherStats(name, bn_hooks(teacher.model.net, cfg.first_bn_multiplier))
    # G-VBSM: BN and conv-input hooks with EMA; x first_multiplier on the first hooked module (conv1 for a ResNet)
    refs = dict(zip(conv_layers(teacher.model.net),
                    conv_reference_stats(teacher, p.dataset, cfg.stats_images, device=local_device(cfg.device))))
    bn = {h.module: h for h in bn_hooks(teacher.model.net, 1.0, ema_alpha=cfg.ema_alpha)}
    hooks = []
    for module in teacher.model.net.modules():
        if module in bn:
            hooks.append(bn[module])
        elif module in refs:
            hooks.append(StatHook(module, refs[module], patches=True, ema_alpha=cfg.ema_alpha))
    hooks[0].multiplier = cfg.first_bn_multiplier
    return TeacherStats(name, hooks)


def build_objective(cfg: SynthConfig) -> Objective:
    terms = [CrossEntropy("ce"), StatAlignment("bn" if cfg.method != "gvbsm" else "stats", cfg.r_bn),
             TotalVariationL2("tv_l2", cfg.tv_l2), PixelL2("l2", cfg.l2)]
    if cfg.method == "gvbsm":
        terms.append(DataDensification("dd", cfg.dd_weight, tau=cfg.dd_tau))
    return Objective(terms)


def _optimise_batch(p: Prepared, spec: BatchSpec, should_stop: Callable[[], bool],
                    stats: dict[str, TeacherStats]) -> Iterator[dict[str, Any]]:
    cfg, info = p.config, p.dataset.info
    device = local_device(cfg.device)
    G = spec.groups  # each group has its own generator, BN set and augmentation (plan.py)
    gens = [torch.Generator().manual_seed(seed) for seed in spec.seeds]
    rngs = [random.Random(seed) for seed in spec.seeds]
    torch.manual_seed(spec.seeds[0])
    x = initial_pixels(p, spec.classes, spec.ipc_indices, gens, device).requires_grad_(True)
    targets = torch.tensor(spec.classes, device=device)
    lo, hi = info.pixel_bounds(x)
    opt = torch.optim.Adam([x], lr=cfg.lr, betas=(0.5, 0.9), eps=1e-8)
    augment = CropFlipRoll(info.image_size, cfg.crop_scale, flip=cfg.flip, jitter=cfg.jitter)
    objective = build_objective(cfg)
    forward = teacher_forward(cfg.compile)
    indices: dict[tuple[int, ...], torch.Tensor] = {}
    bn_sets = [list(s) for s in spec.bn_sets]
    sets_used: list[dict[str, int]] = [{} for _ in range(G)]
    last: dict[str, torch.Tensor] = {}
    # bf16 for the teachers' forwards only: hooks, CE and the other terms read fp32 (.float()) values
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.precision == "bf16")
    for step in range(spec.iterations):
        if should_stop():
            raise _Stopped()
        if cfg.method == "prism" and cfg.selection == "intra" and step % cfg.reselect_every == 0 and step > 0:
            bn_sets = [draw_bn_set(cfg.primary, cfg.bn_pool, cfg.subset_rule, cfg.subset_k, cfg.include_primary, r)
                       for r in rngs]
        if cfg.method == "gvbsm":
            ce_name = spec.bn_sets[0][step % len(spec.bn_sets[0])]
            active = [[ce_name]] * G
        else:
            ce_name, active = cfg.primary, bn_sets
        for used, names in zip(sets_used, active):
            key = "+".join(names)
            used[key] = used.get(key, 0) + 1
        for group in opt.param_groups:
            group["lr"] = 0.5 * (1 + math.cos(math.pi * step / spec.iterations)) * cfg.lr
        x_aug = torch.cat([augment(part, gen) for part, gen in zip(x.chunk(G), gens)])
        if cfg.channels_last:
            x_aug = x_aug.contiguous(memory_format=torch.channels_last)
        served = {n: [g for g in range(G) if n in active[g]] for n in dict.fromkeys(sum(active, []))}
        with autocast:
            # one forward serves CE and, if the CE teacher is in S, its own statistics term
            logits, ce_stats = forward(p.teachers[ce_name].model, stats.get(ce_name), x_aug, G, ce_name in served)
            stat_losses = {}
            for name, rows in served.items():
                index = indices.get(tuple(rows))
                if index is None:  # made once per batch: a host-to-device copy is a sync on a GPU
                    index = indices[tuple(rows)] = torch.tensor(rows, device=device)
                if name == ce_name:
                    stat_losses[name] = (index, ce_stats[index])
                    continue
                # eager: only the groups that drew this teacher; compiled: the whole batch (one static shape,
                # one graph per teacher), of which only those groups' losses count
                whole = len(rows) == G or cfg.compile != "off"
                part = x_aug if whole else x_aug.view(G, -1, *x_aug.shape[1:])[index].flatten(0, 1)
                losses = forward(p.teachers[name].model, stats[name], part, G if whole else len(rows), True)[1]
                stat_losses[name] = (index, losses[index] if whole else losses)
        total, report = objective(StepContext(x, x_aug, targets, logits, stat_losses, groups=G))
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
        with torch.no_grad():
            x.clamp_(min=lo, max=hi)  # keep pixels in the valid range after every step
        last = report
        final = step == spec.iterations - 1
        if step % cfg.log_every == 0 or final:
            values = {k: float(v) for k, v in last.items()}
            bad = [k for k, v in values.items() if not math.isfinite(v)]
            if bad:
                raise SynthesisError(f"batch {spec.index}: the loss became non-finite at step {step} "
                                     f"(terms: {', '.join(bad)}); the batch was stopped and earlier batches are kept. "
                                     "Lower the learning rate or the loss weights.")
            yield {"kind": "step", "batch": spec.index, "step": step + 1, "iterations": spec.iterations,
                   "lr": opt.param_groups[0]["lr"], "bn_set": list(served), "ce_teacher": ce_name, "losses": values}
        if cfg.preview_every and (step % cfg.preview_every == 0 or final):
            yield {"kind": "preview", "batch": spec.index, "step": step + 1, "classes": list(spec.classes),
                   "ipc": list(spec.ipc_indices), "images": to_uint8(info.denormalize(x.detach())).cpu()}
    for ts in stats.values():
        ts.reset()
    images01 = info.denormalize(x.detach()).clamp(0, 1)
    record = {"classes": list(spec.classes), "ipc_indices": list(spec.ipc_indices), "seeds": list(spec.seeds),
              "iterations": spec.iterations, "bn_sets_drawn": [list(s) for s in spec.bn_sets], "bn_sets_used": sets_used,
              "final_losses": {k: float(v) for k, v in last.items()}}
    yield {"kind": "batch", "batch": spec.index, "record": record, "pixels": x.detach().cpu(), "images01": images01.cpu()}
