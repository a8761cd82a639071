"""The steps that check the engine works on the device: every recipe through the CLI, the evaluation, the app's job
queue, agreement with the CPU, and the compiled paths against eager. Each returns its one-line finding and raises
on a failure."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from prism_core.cli import main as cli
from prism_core.data.fashion_mnist import INFO as FASHION_MNIST
from prism_core.events import BatchDone, Step
from prism_core.images import to_uint8
from prism_core.synthesis import SynthConfig, synthesize
from prism_core.synthesis.run_health import run_status
from prism_core.synthesis.runstore import Run

from .setting import Setting

ALL_CLASSES = "0,1,2,3,4,5,6,7,8,9"


def run_cli(args: list[str]) -> None:
    code = cli(args)
    if code != 0:
        raise RuntimeError(f"`python -m prism_core {' '.join(args)}` exited with {code}")


def grey_levels(pixels: torch.Tensor) -> torch.Tensor:
    """Fashion-MNIST pixels (normalised space) as the grey levels their PNGs hold."""
    return to_uint8(FASHION_MNIST.denormalize(pixels)).float()


def png_count(run_dir: Path) -> int:
    return len(list(run_dir.glob("images/*/*.png")))


def image_folder(root: Path, size: int, classes: int = 3, per_class: int = 4) -> Path:
    """A small ImageFolder of noise-textured images at `size` px (G-VBSM needs real images for its statistics)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for split in ("train", "val"):
        for c in range(classes):
            folder = root / split / f"class_{c}"
            folder.mkdir(parents=True, exist_ok=True)
            for k in range(per_class):
                base = rng.integers(0, 255, (size // 8, size // 8, 3), dtype=np.uint8)
                Image.fromarray(base).resize((size, size)).save(folder / f"{k}.png")
    return root


def recipes_fmnist(s: Setting) -> str:
    notes = []
    for method, extra in (
        ("sre2l", []),
        ("prism", ["--selection", "pre"]),
        ("prism", ["--selection", "intra"]),
        ("gvbsm", []),
    ):
        name = f"{method}-{extra[1] if extra else 'default'}"
        start = time.time()
        run_cli(
            ["synth", "--method", method, *extra, "--ipc", "1", "--classes", ALL_CLASSES]
            + ["--iterations", str(s.iterations), "--device", s.dev, "--out", str(s.work / name)]
        )
        n = png_count(s.work / name)
        if n != 10:
            raise RuntimeError(f"{name}: {n} PNGs written, expected 10")
        notes.append(f"{name} {time.time() - start:.1f} s")
    return "zoo teachers, 10 PNGs each: " + ", ".join(notes)


def recipes_imagenet(s: Setting) -> str:
    notes = []
    twenty = ["--ipc", "1", "--classes", ",".join(map(str, range(20)))]
    runs = (
        ("sre2l-imagenet", f"imagenet_shape:{s.size}", twenty),
        ("prism-imagenet", f"imagenet_shape:{s.size}", ["--init", "noise", *twenty]),
        ("gvbsm-imagenet", f"folder:{image_folder(s.work / 'folder224', s.size)}", ["--ipc", "2"]),
    )
    for preset, dataset, extra in runs:
        start = time.time()
        run_cli(
            ["synth", "--preset", preset, "--dataset", dataset, "--weights", "random", *extra]
            + ["--iterations", "3" if s.dry else "20", "--no-vary-iterations", "--precision", "bf16"]
            + ["--device", s.dev, "--out", str(s.work / preset)]
        )
        notes.append(f"{preset} {png_count(s.work / preset)} PNGs {time.time() - start:.1f} s")
    return f"{s.size} px, random weights, bf16: " + ", ".join(notes)


def evaluation(s: Setting) -> str:
    """A student on the PRISM run that `recipes_fmnist` wrote."""
    start = time.time()
    run = s.work / "prism-pre"
    run_cli(
        ["evaluate", str(run), "--student", "resnet18", "--epochs", "2" if s.dry else "20", "--seeds", "1"]
        + ["--device", s.dev]
    )
    top1 = json.loads((run / "evaluation.json").read_text())
    return (
        f"ResNet-18 student on the PRISM run: top-1 {next(iter(top1.values()))['mean']:.1f} % "
        f"in {time.time() - start:.1f} s"
    )


def job_queue(s: Setting) -> str:
    from prism_core.jobs import JobQueue

    queue = JobQueue(s.work / "jobs", device=s.dev)
    try:
        job = queue.wait(
            queue.submit(
                SynthConfig(method="prism", ipc=2, classes=(0, 1, 2, 3, 4), iterations=s.iterations, preview_every=5),
                "gpu-job",
            ),
            timeout=300,
        )
    finally:
        queue.close()
    if job.state != "finished":
        raise RuntimeError(f"job {job.state}: {job.error}")
    run = s.work / "jobs" / job.run_name
    status = run_status(Run(run))
    return (
        f"state {job.state} in worker process {job.pid}, run status {status.state}, {png_count(run)} PNGs, "
        f"{job.progress.img_per_s:.0f} img-it/s, preview {queue.store.preview_path(job.id).is_file()}"
    )


def _first_losses_and_pixels(cfg: SynthConfig) -> tuple[dict[str, float], torch.Tensor]:
    events = list(synthesize(cfg))
    return (
        next(e for e in events if isinstance(e, Step)).losses,
        torch.cat([e.pixels for e in events if isinstance(e, BatchDone)]),
    )


def _relative_gap(a: dict[str, float], b: dict[str, float]) -> float:
    return max(abs(a[k] - b[k]) / max(abs(a[k]), 1e-12) for k in a)


def cpu_vs_device(s: Setting) -> str:
    """The first step (same pixels, same augmentation) must agree; later steps drift by float noise (TF32
    convolutions on the GPU; Adam's sign-like first updates amplify it where gradients are near zero)."""
    cfg = SynthConfig(method="prism", ipc=1, classes=(0, 1, 2, 3), iterations=10, log_every=1, seed=1)
    (lc, pc), (ld, pd) = (_first_losses_and_pixels(cfg.replace(device=d)) for d in ("cpu", s.dev))
    rel = _relative_gap(lc, ld)
    grey = (grey_levels(pc) - grey_levels(pd)).abs()
    note = (
        f"first-step losses rel. diff max {rel:.1e}; after 10 steps PNG grey levels differ by {grey.mean():.2f} "
        f"on average (max {grey.max():.0f}, {100 * (grey > 1).float().mean():.1f} % by more than 1)"
    )
    if rel > 1e-3 or grey.mean() > 2:
        raise RuntimeError("CPU and device disagree beyond tolerance (first step 1e-3, mean drift 2 levels): " + note)
    return note


def compiled_equals_eager(s: Setting) -> str:
    """Each teacher's forward compiled, and the whole step as two graphs, against eager: a packed run of 2 teachers."""
    cfg = SynthConfig(
        method="prism",
        ipc=2,
        classes=(0, 1, 2),
        iterations=6,
        log_every=1,
        seed=2,
        device=s.dev,
        bn_pool=("mobilenetv2_050",),
        subset_rule="k",
        subset_k=2,
        init="noise",
    )
    le, pe = _first_losses_and_pixels(cfg)
    notes, far = [], []
    for name, changes in (("teachers", dict(compile="default")), ("step", dict(compile="default", graph="step"))):
        lc, pc = _first_losses_and_pixels(cfg.replace(**changes))
        rel = _relative_gap(le, lc)
        off = (grey_levels(pe) - grey_levels(pc)).abs()
        notes.append(
            f"graph {name}: first-step losses rel. diff max {rel:.1e}; after 6 steps PNG grey levels differ by "
            f"{off.mean():.2f} on average, {100 * (off > 8).float().mean():.2f} % by more than 8"
        )
        if rel > 1e-3 or off.mean() > 1 or (off > 8).float().mean() > 0.03:  # later: float noise through Adam
            far.append(name)
    if far:
        raise RuntimeError(f"compiled ({', '.join(far)}) differs from eager beyond tolerance: " + "; ".join(notes))
    return "; ".join(notes)
