"""One case measured: the reference loop once, the engine in each variant, as typed figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch

from ..synthesis import Prepared, prepare, synthesize
from .cases import Case, variant_config
from .reference import reference_loop, reference_models
from .timing import flops_per_image, run_steps, timed


def _engine(p: Prepared, warmup: int) -> tuple[int, float, float]:
    """Image-iterations, seconds and peak GiB of the engine on p's plan, after `warmup` untimed steps."""
    run_steps(p, warmup)
    seconds, peak = timed(torch.device(p.config.device), lambda: [None for _ in synthesize(p)])
    return sum(len(b.classes) * b.iterations for b in p.plan), seconds, peak


@dataclass(frozen=True)
class Figures:
    """One loop's speed on a case; `ratio` is its image-iterations/s over the reference loop's."""

    img_it_s: float
    tflops: float  # achieved, from the counted FLOPs per image-iteration
    peak_gib: float
    seconds: float
    ratio: float
    graphs: int = 0  # compiled variants: graphs Dynamo made and graph breaks it met
    breaks: int = 0


@dataclass(frozen=True)
class Failed:
    """A variant the device could not run (CUDA graphs on a CPU, say): reported in the table, not fatal."""

    error: str


@dataclass(frozen=True)
class CaseResult:
    case: str
    what: str
    image_iterations: int
    avg_bn_set: float
    reference: Figures
    engine: dict[str, Figures | Failed]  # variant -> its figures

    def line(self) -> str:
        """One line for progress output: the reference's rate, then each variant's rate, ratio and memory."""
        return f"{self.case}: reference {self.reference.img_it_s:.0f} img-it/s; engine " + ", ".join(
            f"{v} " + (m.error if isinstance(m, Failed) else f"{m.img_it_s:.0f} ({m.ratio:.2f}x, {m.peak_gib:.1f} GiB)")
            for v, m in self.engine.items()
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CaseResult:
        """The inverse of to_json: a result measured in another process (`bench --json`) joins a report's table."""
        engine = {v: Failed(**m) if "error" in m else Figures(**m) for v, m in d["engine"].items()}
        return cls(**{**d, "reference": Figures(**d["reference"]), "engine": engine})


def run_case(
    case: Case,
    variants: tuple[str, ...] = ("fp32",),
    warmup: int = 2,
    on_result: Callable[[CaseResult], None] | None = None,
) -> CaseResult:
    """The reference-style loop once (fp32 eager, as the public code) and the engine in each variant; both get
    `warmup` untimed steps first and load their models before the clock starts. `on_result` gets the result so far
    after the reference and after each variant, so that a caller cut short (a device's time limit) keeps what was
    measured."""
    p = prepare(case.config)
    device = torch.device(p.config.device)
    steps = p.config.iterations
    image_iters = sum(len(b.classes) * steps for b in p.plan)
    models = reference_models(p)
    for _ in reference_loop(p, warmup, models):  # the same untimed warm-up as the engine gets
        pass
    reference_s, reference_mem = timed(device, lambda: [None for _ in reference_loop(p, steps, models)])
    # work per image-iteration: the engine forwards each teacher once; the reference forwards the primary again
    # for each BN role (expected over the plan's drawn sets)
    sets = [s for b in p.plan for s in b.bn_sets]
    avg_set = sum(len(s) for s in sets) / len(sets)
    unique = list(dict.fromkeys(n for s in sets for n in s))
    per_teacher = {n: flops_per_image(p, [n]) for n in dict.fromkeys([p.config.primary, *unique])}
    use = {n: sum(n in s for s in sets) / len(sets) for n in unique}
    engine_flops = per_teacher[p.config.primary] + sum(
        f * use[n] for n, f in per_teacher.items() if n != p.config.primary
    )
    reference_flops = per_teacher[p.config.primary] + (
        0.0 if p.config.method == "sre2l" else sum(f * use.get(n, 0.0) for n, f in per_teacher.items())
    )

    def figures(iters: int, seconds: float, peak: float, flops: float, graphs: int = 0, breaks: int = 0) -> Figures:
        ratio = iters / seconds / (image_iters / reference_s)
        return Figures(iters / seconds, flops * iters / seconds / 1e12, peak, seconds, ratio, graphs, breaks)

    reference = figures(image_iters, reference_s, reference_mem, reference_flops)
    engine: dict[str, Figures | Failed] = {}

    def result() -> CaseResult:
        return CaseResult(case.name, case.what, image_iters, avg_set, reference, dict(engine))

    for variant in variants:
        if on_result:
            on_result(result())
        try:
            before = _graph_counts()
            measured = _engine(prepare(variant_config(case.config, variant)), warmup)
            after = _graph_counts()
            engine[variant] = figures(*measured, engine_flops, after[0] - before[0], after[1] - before[1])
        except Exception as err:  # a variant the device cannot run (e.g. CUDA graphs) is reported, not fatal
            engine[variant] = Failed(f"{type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}")
    if on_result:
        on_result(result())
    return result()


def _graph_counts() -> tuple[int, int]:
    """Graphs Dynamo has compiled and graph breaks it has met in this process (a variant's are the difference)."""
    from torch._dynamo.utils import counters  # deferred: Dynamo loads on first use, not with torch

    return counters["stats"]["unique_graphs"], sum(counters["graph_break"].values())
