"""The steps that measure speed: the lean anchor loop run beside the engine on the same device, the bench cases,
and profiles of where a step's time goes."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time

import torch

from prism_core import bench
from prism_core.synthesis import prepare, synthesize

from .report import Check
from .setting import Setting


def lean_anchor(s: Setting) -> dict[str, float | str]:
    """The lean anchor's figures (img-it/s by name): on the GPU its own run, as a subprocess in this call, so that
    the engine's rates read as ratios to a loop measured on the same device, warmed up the same way; on a dry run,
    one tiny step of its loop in this process (64 px, batch 4, CPU), which checks that it loads and runs."""
    if not s.anchor.is_file():
        raise FileNotFoundError(f"{s.anchor} is missing: `make gpu-data ANCHOR=FILE` copies a lean anchor loop there")
    if s.dry:
        spec = importlib.util.spec_from_file_location("lean_anchor", s.anchor)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return {"lean_bf16_S1": round(module.bench_lean(1, [], True, False, "cpu", B=4, res=64), 1)}
    out = s.out / "anchor"
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [sys.executable, str(s.anchor), "--iters", "30", "--out", str(out), "--only", s.anchor_runs],
        capture_output=True,
        text=True,
    )
    (out / "lean_anchor.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode:
        raise RuntimeError(f"the lean anchor failed ({proc.returncode}): see anchor/lean_anchor.log")
    figures = json.loads((out / "lean_anchor.json").read_text())
    return {k: v for k, v in figures.items() if k != "env"}


def anchor(s: Setting, check: Check) -> str:
    """The anchor's figures also go into the facts, where the bench table reads them as its reference."""
    check.facts["anchor"] = lean_anchor(s)
    return ", ".join(f"{k} {v}" for k, v in check.facts["anchor"].items())


def _case(s: Setting, name: str, steps: int) -> bench.Case:
    return bench.cases(steps, s.dev, imagenet_size=s.size)[name]


def bench_case(s: Setting, check: Check, name: str, variants: tuple[str, ...]) -> str:
    """The report is rewritten after each variant: a call cut short by its time limit keeps the variants measured
    (on 2026-11-30 the PRISM-4 case outran a call and left nothing)."""
    at = len(check.bench)

    def keep(partial: bench.CaseResult) -> None:
        check.bench[at:] = [partial]
        check.write()
        print(f"   {partial.line()}", flush=True)

    return bench.run_case(_case(s, name, s.bench_steps), variants, warmup=s.bench_warmup, on_result=keep).line()


def bench_own_process(s: Setting, check: Check, name: str, variant: str) -> str:
    """One variant in a child process, for a variant that can take the process down (inductor's CUDA graphs over
    the whole step segfaulted torch 2.11 on an H200, 2026-11-30): a crash costs this figure, not the call. The
    child measures its own reference; its row joins the bench table."""
    out = s.out / f"bench_{name}_{variant.replace('+', '_')}.json"
    cmd = [sys.executable, "-m", "prism_core", "bench", "--case", name, "--variants", variant, "--device", s.dev]
    cmd += ["--steps", str(s.bench_steps), "--warmup", str(s.bench_warmup), "--imagenet-size", str(s.size)]
    proc = subprocess.run([*cmd, "--json", str(out)], capture_output=True, text=True)
    if proc.returncode:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1][:200]
        raise RuntimeError(f"{variant} exited with {proc.returncode} (negative: killed by that signal): {tail}")
    (result,) = (bench.CaseResult.from_json(r) for r in json.loads(out.read_text())["results"])
    check.bench.append(result)
    check.write()
    return result.line()


def profile(s: Setting, name: str, variant: str) -> str:
    """Where a step's time goes: torch.profiler over 10 steps after a warm-up; the top kernels by self time."""
    from torch.profiler import ProfilerActivity

    p = prepare(bench.variant_config(_case(s, name, 10).config, variant))
    bench.run_steps(p, 3)
    cuda = s.device.type == "cuda"
    start = time.time()
    with torch.profiler.profile(activities=[ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])) as prof:
        for _ in synthesize(p):
            pass
    wall = time.time() - start
    events = prof.key_averages()
    key = "self_device_time_total" if cuda else "self_cpu_time_total"
    busy = sum(getattr(e, key, 0) or 0 for e in events) / 1e6
    (s.out / f"profile_{name}_{variant.replace('+', '_')}.txt").write_text(events.table(sort_by=key, row_limit=25))
    top = sorted(events, key=lambda e: -(getattr(e, key, 0) or 0))[:3]
    return (
        f"{wall:.2f} s for 10 steps; {'GPU' if cuda else 'CPU'} self time {busy:.2f} s "
        f"({100 * busy / wall:.0f} % of wall); top: "
        + ", ".join(f"{e.key[:40]} {(getattr(e, key, 0) or 0) / 1e3:.0f} ms" for e in top)
    )
