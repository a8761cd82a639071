"""`python -m prism_core bench`: the engine beside a reference-style loop, in one process on one device.

The reference-style loop has the public recover loops' structure (gpu-anchors.md): one model instance per
teacher role (the logit teacher and every BN teacher, even when they share an architecture), fp32 eager,
BN hooks computing the mean and then the variance of a reshaped copy, one batch per IPC index, a per-channel
clip loop and a host sync (`loss.item()`) every step. Both loops optimise the same pixels under the same
loss (methods.md section 0; `test_bench.py` checks the first step's loss agrees); only the execution differs.
"""

from __future__ import annotations

import math
import platform
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from .synthesis import Prepared, SynthConfig, make_plan, prepare, synthesize
from .synthesis.augment import CropFlipRoll
from .synthesis.types import initial_pixels
from .teachers import create_teacher


@dataclass(frozen=True)
class Case:
    name: str
    config: SynthConfig
    what: str


def cases(steps: int, device: str, imagenet_dataset: str = "imagenet_shape") -> dict[str, Case]:
    """The benchmark cases; `imagenet_dataset` "imagenet_shape:64" shrinks the ImageNet ones (CPU dry runs)."""
    imagenet = dict(
        dataset=imagenet_dataset,
        weights="random",
        ipc=1,
        classes=tuple(range(100)),
        iterations=steps,
        init="noise",
        device=device,
        log_every=steps,
        snapshots=0,  # no trajectory frames: each is a device-to-host copy, and the reference keeps none
    )
    return {
        "sre2l-imagenet": Case(
            "sre2l-imagenet",
            SynthConfig(method="sre2l", primary="tv_resnet18", **imagenet),
            "SRe2L, ResNet-18, 224 px, 1,000 classes, batch 100, random weights",
        ),
        "prism4-imagenet": Case(
            "prism4-imagenet",
            SynthConfig(
                method="prism",
                primary="tv_resnet18",
                subset_rule="k",
                subset_k=4,
                bn_pool=("tv_mobilenet_v2", "tv_efficientnet_b0", "tv_shufflenet_v2_x0_5"),
                **imagenet,
            ),
            "PRISM, S = {ResNet-18, MobileNetV2, EfficientNet-B0, ShuffleNetV2} every step, 224 px, batch 100",
        ),
        "fmnist-defaults": Case(
            "fmnist-defaults",
            SynthConfig(method="prism", iterations=steps, log_every=steps, snapshots=0, device=device),
            "PRISM defaults on Fashion-MNIST (zoo teachers, IPC 10, all classes)",
        ),
    }


class _ReferenceBNHook:
    """The public loops' BN hook: mean over (N, H, W), then the variance of a (C, N*H*W) copy."""

    def __init__(self, module: nn.BatchNorm2d):
        self.module, self.loss = module, None
        self.handle = module.register_forward_hook(self)

    def __call__(self, module, inputs, output):
        x = inputs[0]
        mean = x.mean([0, 2, 3])
        var = x.permute(1, 0, 2, 3).contiguous().reshape(x.shape[1], -1).var(1, unbiased=False)
        self.loss = torch.norm(module.running_mean - mean, 2) + torch.norm(module.running_var - var, 2)


def reference_models(p: Prepared) -> tuple[nn.Module, dict[str, nn.Module]]:
    """The reference's own instances: the logit teacher, and one more per BN teacher of the plan (PRISM's
    public code loads them once, before its loop; the bench builds them outside the timed region)."""
    cfg, info = p.config, p.dataset.info
    fresh = lambda name: create_teacher(name, info, weights=cfg.weights, device=torch.device(cfg.device)).model  # noqa: E731
    names = dict.fromkeys(n for b in p.plan for s in b.bn_sets for n in s) if cfg.method == "prism" else {}
    return fresh(cfg.primary), {name: fresh(name) for name in names}


def reference_loop(
    p: Prepared, steps: int, models: tuple[nn.Module, dict[str, nn.Module]] | None = None
) -> Iterator[float]:
    """Optimise p's plan, one IPC index per batch, in the public loops' style; yields each step's loss."""
    cfg, info = p.config, p.dataset.info
    assert cfg.method in ("sre2l", "prism"), "the reference loop is SRe2L's / PRISM's"
    device = torch.device(cfg.device)
    ce_model, bn_instances = models or reference_models(p)
    augment = CropFlipRoll(info.image_size, cfg.crop_scale, flip=cfg.flip, jitter=cfg.jitter)
    for spec in p.plan:
        n = len(spec.classes) // spec.groups
        for g in range(spec.groups):  # the reference optimises each group as its own batch
            # SRe2L's loop uses its one teacher for both terms; PRISM's loads one instance per BN role
            bn_models = [bn_instances[name] for name in spec.bn_sets[g]] if cfg.method == "prism" else [ce_model]
            hooks = [
                [_ReferenceBNHook(m) for m in model.modules() if isinstance(m, nn.BatchNorm2d)] for model in bn_models
            ]
            gen = torch.Generator().manual_seed(spec.seeds[g])
            rows = slice(g * n, (g + 1) * n)
            x = initial_pixels(p, spec.classes[rows], spec.ipc_indices[rows], [gen]).requires_grad_(True)
            targets = torch.tensor(spec.classes[rows], device=device)
            lo, hi = info.pixel_bounds(x)
            opt = torch.optim.Adam([x], lr=cfg.lr, betas=(0.5, 0.9), eps=1e-8)
            for step in range(steps):
                for group in opt.param_groups:
                    group["lr"] = 0.5 * (1 + math.cos(math.pi * step / steps)) * cfg.lr
                x_aug = augment(x, gen)
                ce = F.cross_entropy(ce_model(x_aug), targets)
                per_teacher = []
                for model, model_hooks in zip(bn_models, hooks):
                    if model is not ce_model:
                        model(x_aug)
                    per_teacher.append(
                        sum((cfg.first_bn_multiplier if i == 0 else 1.0) * h.loss for i, h in enumerate(model_hooks))
                    )
                loss = ce + cfg.r_bn * sum(per_teacher) / len(per_teacher)
                opt.zero_grad()
                loss.backward()
                opt.step()
                with torch.no_grad():
                    for c in range(info.channels):  # the public per-channel clip
                        x[:, c] = x[:, c].clamp(float(lo.flatten()[c]), float(hi.flatten()[c]))
                yield loss.item()  # the per-step host sync
            for model_hooks in hooks:
                for h in model_hooks:
                    h.handle.remove()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _timed(device: torch.device, run: Callable[[], None]) -> tuple[float, float]:
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
    seconds, _ = _timed(device, lambda: [a @ a for _ in range(reps)])
    return 2 * n**3 * reps / seconds / 1e12


def variant_config(cfg: SynthConfig, variant: str) -> SynthConfig:
    """ "bf16+compile" -> the engine options it names: fp32|bf16, cl (channels_last), compile, cudagraphs
    (compile with CUDA graphs), step (the whole step compiled: graph="step"), packN (N reference batches per
    forward; the case's IPC is raised to N so that there are N to pack: the figures are rates, so they compare with
    the reference's)."""
    parts = set(variant.split("+"))
    packs = {p for p in parts if p.startswith("pack") and p[4:].isdigit() and int(p[4:]) > 0}
    unknown = parts - packs - {"fp32", "bf16", "cl", "compile", "cudagraphs", "step"}
    compiled = parts & {"compile", "cudagraphs"}
    if unknown or len(parts & {"fp32", "bf16"}) > 1 or len(packs) > 1 or ("step" in parts and not compiled):
        raise ValueError(
            f"unknown bench variant {variant!r}: join fp32|bf16, cl, compile, cudagraphs, step (with compile or "
            "cudagraphs) or packN with '+'"
        )
    mode = "reduce-overhead" if "cudagraphs" in parts else "default" if "compile" in parts else "off"
    pack = int(packs.pop()[4:]) if packs else 1
    return cfg.replace(
        precision="bf16" if "bf16" in parts else "fp32",
        channels_last="cl" in parts,
        compile=mode,
        graph="step" if "step" in parts else "teachers",
        pack=pack,
        ipc=max(cfg.ipc, pack),
    )


def run_steps(p: Prepared, steps: int) -> None:
    """`steps` steps of each batch of p's plan on its teachers and shapes; as a warm-up, compilation, cuDNN
    autotuning and CUDA graph capture happen there, not in the timed run that follows."""
    if steps:
        short = p.config.replace(iterations=steps)
        for _ in synthesize(replace(p, config=short, plan=make_plan(short, p.method))):
            pass


def _engine(p: Prepared, warmup: int) -> tuple[int, float, float]:
    """Image-iterations, seconds and peak GiB of the engine on p's plan, after `warmup` untimed steps."""
    run_steps(p, warmup)
    seconds, peak = _timed(torch.device(p.config.device), lambda: [None for _ in synthesize(p)])
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


def run_case(case: Case, variants: tuple[str, ...] = ("fp32",), warmup: int = 2) -> CaseResult:
    """The reference-style loop once (fp32 eager, as the public code) and the engine in each variant; both get
    `warmup` untimed steps first and load their models before the clock starts."""
    p = prepare(case.config)
    device = torch.device(p.config.device)
    steps = p.config.iterations
    image_iters = sum(len(b.classes) * steps for b in p.plan)
    models = reference_models(p)
    for _ in reference_loop(p, warmup, models):  # the same untimed warm-up as the engine gets
        pass
    reference_s, reference_mem = _timed(device, lambda: [None for _ in reference_loop(p, steps, models)])
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

    engine: dict[str, Figures | Failed] = {}
    for variant in variants:
        try:
            before = _graph_counts()
            measured = _engine(prepare(variant_config(case.config, variant)), warmup)
            after = _graph_counts()
            engine[variant] = figures(*measured, engine_flops, after[0] - before[0], after[1] - before[1])
        except Exception as err:  # a variant the device cannot run (e.g. CUDA graphs) is reported, not fatal
            engine[variant] = Failed(f"{type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}")
    reference = figures(image_iters, reference_s, reference_mem, reference_flops)
    return CaseResult(case.name, case.what, image_iters, avg_set, reference, engine)


def _graph_counts() -> tuple[int, int]:
    """Graphs Dynamo has compiled and graph breaks it has met in this process (a variant's are the difference)."""
    from torch._dynamo.utils import counters  # deferred: Dynamo loads on first use, not with torch

    return counters["stats"]["unique_graphs"], sum(counters["graph_break"].values())


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
        f"Device: {device_label(device)}; measured {unit} matrix rate {rate:.1f} TFLOP/s; "
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
            lines.append(
                f"| {r.case} | {loop} | {variant} | {m.img_it_s:.0f} | {m.tflops:.2f} "
                f"({100 * m.tflops / rate:.1f} %) | {m.peak_gib:.2f} | {ratio} | {lean} |"
            )
    lines += [""] + [f"- {r.case}: {r.what}" for r in results]
    return "\n".join(lines)
