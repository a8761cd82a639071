"""The compiled path: `torch.compile` of the step's pieces.

With `graph="teachers"`, each teacher forward with its statistics (hooks.forward_with_stats) is a graph: Dynamo
traces the statistics hooks into it, so the step computes its BN (and G-VBSM conv/patch) statistics inside the
graph and returns their loss. With `graph="step"`, the whole loss is one graph (`compiled_step`) and Adam's
update with the clip another (`compiled_adam_update`). Graphs are cached by Dynamo per teacher (or served set) and input
shape, so they compile on the first batch of a process and are reused by later batches and runs.

The backward pass stays a call between the two graphs: Dynamo does not trace `Tensor.backward` (torch 2.14's
experimental `trace_autograd_ops` fails inside Adam), and AOTAutograd compiles the loss graph's backward instead.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import torch
from torch.optim.adam import adam

from .hooks import forward_with_stats
from .step import step_loss

# graphs per process: each teacher (or served set) x {group counts of a packed batch} x {statistics on, off}
RECOMPILE_LIMIT = 64


def allow_graphs() -> None:
    """Raise Dynamo's graphs-per-function limit to RECOMPILE_LIMIT: past its default of 8, a function runs eager."""
    config = torch._dynamo.config
    name = "recompile_limit" if hasattr(config, "recompile_limit") else "cache_size_limit"
    setattr(config, name, max(getattr(config, name), RECOMPILE_LIMIT))


def _mode(mode: str) -> str | None:
    return None if mode == "default" else mode


@cache
def teacher_forward(mode: str = "off") -> Callable:
    """`forward_with_stats`, compiled with torch.compile's `mode` unless mode is "off"."""
    if mode == "off":
        return forward_with_stats
    allow_graphs()
    return torch.compile(forward_with_stats, mode=_mode(mode), dynamic=False)


@cache
def compiled_step(mode: str) -> Callable:
    """`step.step_loss` as one graph per CE teacher and served set (AOTAutograd compiles its backward with it)."""
    allow_graphs()
    return torch.compile(step_loss, mode=_mode(mode), dynamic=False)


def adam_update(
    x: torch.Tensor,
    state: dict[str, torch.Tensor],
    lr: torch.Tensor,
    betas: tuple[float, float],
    eps: float,
    lo: torch.Tensor,
    hi: torch.Tensor,
) -> None:
    """Adam's update through torch's functional form (the optimiser's own arithmetic on its own state tensors),
    then the clip. Compiled as a function of tensors, it is one graph for every batch of a run; `Optimizer.step`
    would be specialised to each batch's optimiser object and recompile per batch."""
    with torch.no_grad():
        adam(
            [x],
            [x.grad],
            [state["exp_avg"]],
            [state["exp_avg_sq"]],
            [],
            [state["step"]],
            foreach=False,
            capturable=x.is_cuda,
            differentiable=False,
            fused=None,
            grad_scale=None,
            found_inf=None,
            has_complex=False,
            amsgrad=False,
            beta1=betas[0],
            beta2=betas[1],
            lr=lr,
            weight_decay=0.0,
            eps=eps,
            maximize=False,
        )
        x.clamp_(min=lo, max=hi)


@cache
def compiled_adam_update(mode: str) -> Callable:
    """`adam_update` compiled with torch.compile's `mode`, except CUDA graphs: it updates its inputs in place, so
    inductor skips them for it anyway ("mutated inputs", logged on an H200 on 2026-11-30, just before torch 2.11
    segfaulted). Only the loss graph is captured; whether that avoids the crash is for the next device check."""
    allow_graphs()
    without_graphs = {"reduce-overhead": "default", "max-autotune": "max-autotune-no-cudagraphs"}
    return torch.compile(adam_update, mode=_mode(without_graphs.get(mode, mode)), dynamic=False)
