"""What a bench figure is made of: wall time and peak memory on a device, FLOPs per image, the device's matrix
rate, and untimed warm-up steps."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import replace

import torch
from torch.utils.flop_counter import FlopCounterMode

from ..synthesis import Prepared, make_plan, synthesize


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(device: torch.device, run: Callable[[], None]) -> tuple[float, float]:
    """Wall seconds and peak memory (GiB: device memory on a GPU, process RSS on the CPU)."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    _sync(device)
    start = time.perf_counter()
    run()
    _sync(device)
    seconds = time.perf_counter() - start
    peak = (
        torch.cuda.max_memory_allocated()
        if device.type == "cuda"
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    )
    return seconds, peak / 2**30


def flops_per_image(p: Prepared, names: list[str]) -> float:
    """FLOPs of one forward plus backward to the input (frozen weights) per image, summed over `names`."""
    info, total = p.dataset.info, 0.0
    for name in names:
        x = torch.randn(2, info.channels, info.image_size, info.image_size, device=p.config.device, requires_grad=True)
        with FlopCounterMode(display=False) as counter:
            p.teachers[name].model(x).float().sum().backward()
        total += counter.get_total_flops() / 2
    return total


def matmul_tflops(device: torch.device) -> float:
    """The device's measured dense matrix rate: bf16 on a GPU, fp32 on the CPU."""
    n, dtype = (8192, torch.bfloat16) if device.type == "cuda" else (1024, torch.float32)
    a = torch.randn(n, n, device=device, dtype=dtype)
    a @ a
    reps = 20 if device.type == "cuda" else 5
    seconds, _ = timed(device, lambda: [a @ a for _ in range(reps)])
    return 2 * n**3 * reps / seconds / 1e12


def run_steps(p: Prepared, steps: int) -> None:
    """`steps` steps of each batch of p's plan on its teachers and shapes; as a warm-up, compilation, cuDNN
    autotuning and CUDA graph capture happen there, not in the timed run that follows."""
    if steps:
        short = p.config.replace(iterations=steps)
        for _ in synthesize(replace(p, config=short, plan=make_plan(short, p.method))):
            pass
