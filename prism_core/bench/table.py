"""The bench table: each loop's rate, achieved TFLOP/s, peak memory and ratios, ready for docs/performance.md."""

from __future__ import annotations

import platform
import time

import torch

from .measure import CaseResult, Failed


def device_label(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU ({platform.machine()}, {torch.get_num_threads()} threads)"


# the lean anchor's figure (../shared/bench/lean_anchor.py, run in the same call) that each case is read against
ANCHOR_OF = {"sre2l-imagenet": "lean_bf16_compiled_S1", "prism4-imagenet": "lean_bf16_compiled_S4"}


def markdown(
    results: list[CaseResult], device: torch.device, rate: float, steps: int, anchor: dict[str, float] | None = None
) -> str:
    """The bench table; with `anchor` (the lean anchor's img-it/s by name), each engine row's ratio to its case's
    anchor figure as well."""
    anchor = {k: v for k, v in (anchor or {}).items() if isinstance(v, int | float)}
    unit = "bf16" if device.type == "cuda" else "fp32"
    mem = "peak GPU memory" if device.type == "cuda" else "peak process RSS"
    lines = [
        f"Device: {device_label(device)}; measured {unit} matrix rate {rate:.3g} TFLOP/s; "
        f"{steps} steps per batch; torch {torch.__version__}; {time.strftime('%Y-%m-%d')}.",
        "",
        f"| case | loop | variant | image-iterations/s | achieved TFLOP/s (% of matrix rate) | {mem} (GiB) "
        "| vs reference | vs lean anchor |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rows = [("reference", "fp32", r.reference)] + [("engine", v, m) for v, m in r.engine.items()]
        against = ANCHOR_OF.get(r.case)
        for loop, variant, m in rows:
            if isinstance(m, Failed):
                lines.append(f"| {r.case} | {loop} | {variant} | failed: {m.error} | | | | |")
                continue
            ratio = f"**{m.ratio:.2f}x**" if loop == "engine" else ""
            lean = f"{m.img_it_s / anchor[against]:.2f}x ({against})" if against in anchor else ""
            if m.graphs:  # compiled: what Dynamo made of it
                variant = f"{variant} ({m.graphs} graph{'s' * (m.graphs > 1)}, {m.breaks} breaks)"
            share = f" ({100 * m.tflops / rate:.1f} %)" if rate > 0 else ""  # a busy CPU can measure ~0
            lines.append(
                f"| {r.case} | {loop} | {variant} | {m.img_it_s:.0f} | {m.tflops:.2f}{share} "
                f"| {m.peak_gib:.2f} | {ratio} | {lean} |"
            )
    lines += [""] + [f"- {r.case}: {r.what}" for r in results]
    return "\n".join(lines)
