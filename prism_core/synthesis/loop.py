"""The optimisation loop of one batch: it optimises with what the method's `setup` hands it (pixels, optimiser,
objective, augmentation, teacher schedule) and knows no method by name."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F

from ..events import BatchDone, Preview, Step
from ..images import to_uint8
from ..records import BatchRecord
from .compiled import compiled_adam_update, compiled_step, teacher_forward
from .config import ConfigError, SynthConfig
from .hooks import TeacherStats, forward_with_stats
from .step import Shares, StepInputs, StepModels, step_loss
from .types import BatchSpec, Prepared


class SynthesisError(RuntimeError):
    """A batch could not be optimised (e.g. a non-finite loss); finished batches are kept."""


class Stopped(Exception):
    """Raised inside the loop when the caller asks it to stop; the engine records the run as cancelled."""


def optimise_batch(
    p: Prepared, spec: BatchSpec, should_stop: Callable[[], bool], stats: dict[str, TeacherStats]
) -> Iterator[Step | Preview | BatchDone]:
    """One batch's steps: Step and Preview events at their strides, then BatchDone with the pixels, the trajectory
    and the batch's record."""
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
    full = x.shape[-1]
    # at least the last step at full size, so the batch ends at the images' own size
    low_steps = min(round(cfg.multires_fraction * spec.iterations), spec.iterations - 1) if cfg.multires_size else 0
    start = x.detach().clone() if cfg.residual_every else None  # what the residual pulls back toward
    if low_steps:  # FADRM's multi-resolution: the first steps' pixels at the lower size
        x, opt = _resized(x, opt, cfg.multires_size)
    update_at = _updater(cfg, opt, x, lo, hi)
    targets = torch.tensor(spec.classes, device=device)
    class_rows = _class_rows(spec)
    # eager: a teacher sees only the groups that drew it; compiled: the whole batch (one static shape), of which only
    # those groups' losses count
    shares = Shares(G, device, whole_batch=cfg.compile != "off")
    # every step's crop, flip and roll, drawn up front in the steps' order and copied to the device once
    draws = setup.augment.draw(*x.shape[-2:], setup.generators, low_steps or spec.iterations)
    if low_steps:  # the lower size's draws are in its pixels; the rest in the full size's, drawn after them
        draws = torch.cat([draws, setup.augment.draw(full, full, setup.generators, spec.iterations - low_steps)])
    draws = draws.to(device)
    sets_used: list[dict[tuple[str, ...], int]] = [{} for _ in range(G)]
    last: dict[str, torch.Tensor] = {}
    # the trajectory: uint8 images before `snapshots` evenly spaced steps (the first is the init) and at the end
    marks = {round(i * spec.iterations / cfg.snapshots) for i in range(cfg.snapshots)}
    frames: list[torch.Tensor] = []
    frame_steps: list[int] = []
    for step in range(spec.iterations):
        if low_steps and step == low_steps:  # on at full size, with a fresh optimiser as FADRM starts each stage
            x, opt = _resized(x, opt, full)
            update_at = _updater(cfg, opt, x, lo, hi)
        if step in marks:
            frames.append(to_uint8(info.denormalize(_at(x.detach(), full))).cpu())
            frame_steps.append(step)
        if should_stop():
            raise Stopped()
        ce_name, bn_sets = setup.teachers_at(step)  # this step's BN set of each group
        for used, bn_set in zip(sets_used, bn_sets):
            used[tuple(bn_set)] = used.get(tuple(bn_set), 0) + 1
        served = shares.of(bn_sets, ce_name)
        total, report = loss_of(models, x, targets, class_rows, StepInputs(draws[step], ce_name, served))
        opt.zero_grad(set_to_none=True)
        total.backward()
        lr = setup.lr_at(step)
        update_at(lr)
        if start is not None and (step + 1) % cfg.residual_every == 0 and step + 1 < spec.iterations:
            _residual(x, _at(start, x.shape[-1]), cfg.residual_alpha, opt)
        last = report
        final = step == spec.iterations - 1
        if step % cfg.log_every == 0 or final:
            values = {k: float(v) for k, v in last.items()}
            bad = [k for k, v in values.items() if not math.isfinite(v)]
            if bad:
                cause = (
                    "This was before any update, so the learning rate is not the cause: a teacher (its weights or BN "
                    "statistics) or the init is; `python -m prism_core workspaces check` tests every teacher."
                    if step == 0
                    else "Lower the learning rate or the loss weights."
                )
                raise SynthesisError(
                    f"batch {spec.index}: the loss became non-finite at step {step} "
                    f"(terms: {', '.join(bad)}); the batch was stopped and earlier batches are kept. {cause}"
                )
            yield Step(spec.index, step + 1, spec.iterations, lr, list(served), ce_name, values)
        if cfg.preview_every and (step % cfg.preview_every == 0 or final):
            yield Preview(
                spec.index,
                step + 1,
                list(spec.classes),
                list(spec.ipc_indices),
                to_uint8(info.denormalize(_at(x.detach(), full))).cpu(),
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


def _at(x: torch.Tensor, size: int) -> torch.Tensor:
    """`x` at `size` px (bilinear, antialiased when shrinking); itself when it is that size already."""
    if x.shape[-1] == size:
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=size < x.shape[-1])


def _resized(x: torch.Tensor, opt: torch.optim.Optimizer, size: int) -> tuple[torch.Tensor, torch.optim.Optimizer]:
    """The pixels at `size` px as a new leaf, and a fresh optimiser of the same kind and settings over them."""
    resized = _at(x.detach(), size).contiguous().requires_grad_(True)
    return resized, type(opt)([resized], **opt.defaults)


def _residual(x: torch.Tensor, start: torch.Tensor, alpha: float, opt: torch.optim.Optimizer) -> None:
    """FADRM's data residual: the images mixed back toward where they started, and Adam's moments restarted (in
    place, so a compiled update keeps its state tensors), as its official loop restarts its optimiser there."""
    with torch.no_grad():
        x.mul_(alpha).add_(start, alpha=1 - alpha)
        for value in opt.state[x].values():
            if torch.is_tensor(value):
                value.zero_()


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
