"""Golden outputs: every recipe's images for a small zoo run on the CPU, kept as uint8 arrays in golden.npz.

Floats differ across CPUs (vector width, oneDNN and ATen kernels), so the check is a tolerance, not a hash: the
mean absolute difference in grey levels and the share of pixels more than one level apart. Each recipe's step
count and tolerance were chosen from measurement (`--measure`, recorded in docs/reliability.md): the drift between
kernel variants on one machine against the drift of real one-line changes.

Recipes from noise with one teacher or a k-set do not move by one grey level across kernels, so their tolerance is
tight. Real init and G-VBSM do move: Fashion-MNIST's constant backgrounds make exact ties (max-pool, ReLU) that
another kernel's last-bit rounding breaks the other way, and Adam's sign-like first steps turn each flipped tie into
a full step on one pixel. They run 2 steps, with a tolerance that a change of the BN pool still exceeds.

    python tests/synthesis/golden.py --write      # store the references (after a change that is meant)
    python tests/synthesis/golden.py --measure    # kernel-variant noise against mutations, as a markdown table
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REFERENCE = Path(__file__).with_name("golden.npz")


@dataclass(frozen=True)
class Drift:
    """How far two uint8 image sets are apart."""

    mean_abs: float  # grey levels
    share_over_1: float  # of pixels more than one grey level apart
    max_abs: int = 255

    def __str__(self) -> str:
        return f"{self.mean_abs:.3f} / {100 * self.share_over_1:.2f} %"

    def within(self, tolerance: Drift) -> bool:
        return self.mean_abs <= tolerance.mean_abs and self.share_over_1 <= tolerance.share_over_1


# measured noise (--measure): 0.001 / 0.00 % (tight recipes), 0.173 / 3.97 % (loose, ATen's scalar kernels)
TIGHT = Drift(mean_abs=0.01, share_over_1=0.001)
LOOSE = Drift(mean_abs=0.35, share_over_1=0.06)


@dataclass(frozen=True)
class Recipe:
    changes: dict = field(default_factory=dict)
    iterations: int = 6
    tolerance: Drift = TIGHT


SMALL = dict(ipc=2, classes=(0, 3, 7), log_every=2, seed=5)
RECIPES = {
    "sre2l": Recipe(dict(method="sre2l")),
    "prism-pre": Recipe(dict(method="prism", selection="pre"), 2, LOOSE),
    "prism-intra": Recipe(dict(method="prism", selection="intra", reselect_every=1), 2, LOOSE),
    "prism-k-noise": Recipe(dict(method="prism", subset_rule="k", subset_k=2, init="noise")),
    "gvbsm": Recipe(dict(method="gvbsm", stats_images=64), 2, LOOSE),
    "sre2l-multires": Recipe(dict(method="sre2l", multires_size=16, multires_fraction=0.5), 6, LOOSE),
    "prism-residual": Recipe(dict(method="prism", selection="pre", residual_every=1, residual_alpha=0.5), 2, LOOSE),
}
POOL_WITHOUT_REGNET = ("mobilenetv2_050", "shufflenet_v2_x0_5", "lcnet_050", "ghostnet_050")
# one-line changes the check must catch (as config changes: the same pixels as editing the default), each with
# the recipe that catches it by the widest margin
MUTATIONS = {
    "first-BN multiplier 10 -> 9": (dict(first_bn_multiplier=9.0), "prism-k-noise"),
    "TV weight 0 -> 1e-4": (dict(tv_l2=1e-4), "sre2l"),
    "PRISM pool without regnetx_002": (dict(bn_pool=POOL_WITHOUT_REGNET), "prism-pre"),
}
# kernel variants of one CPU, standing in for other CPUs (the environment of a subprocess); test_golden.py
# checks each against the tolerance
VARIANTS = {
    "default": {},
    "avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"},
    "scalar ATen": {"ATEN_CPU_CAPABILITY": "default"},
    "SSE4.1 oneDNN, scalar ATen": {"ONEDNN_MAX_CPU_ISA": "SSE41", "ATEN_CPU_CAPABILITY": "default"},
}


def drift(a: np.ndarray, b: np.ndarray) -> Drift:
    d = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return Drift(float(d.mean()), float((d > 1).mean()), int(d.max()))


def config(name: str, **changes):
    from prism_core.synthesis import SynthConfig

    recipe = RECIPES[name]
    return SynthConfig(**{**SMALL, "iterations": recipe.iterations, **recipe.changes, **changes})


def render(cfg, out: Path) -> np.ndarray:
    """Run `cfg` into `out` on two threads; its images as uint8 (N, C, H, W), ordered by (class, k)."""
    import torch

    from prism_core.synthesis import synthesize
    from prism_core.synthesis.run_export import contents, read_images
    from prism_core.synthesis.runstore import Run

    torch.set_num_threads(2)
    list(synthesize(cfg, out))
    run = Run(out)
    return read_images(run, *contents(run))


def references() -> dict[str, np.ndarray]:
    with np.load(REFERENCE) as z:
        return {k: z[k] for k in z.files}


def render_all(dest: Path, changes: dict) -> None:
    """Every recipe with `changes` into dest (.npz)."""
    with tempfile.TemporaryDirectory() as tmp:
        np.savez_compressed(dest, **{name: render(config(name, **changes), Path(tmp) / name) for name in RECIPES})


def in_subprocess(dest: Path, env: dict, changes: dict) -> dict[str, np.ndarray]:
    """render_all in a new process (kernel choices are read once, at start-up), with `env` added."""
    code = (
        f"import sys, json; sys.path.insert(0, {str(Path(__file__).parent)!r}); import golden; "
        f"golden.render_all(__import__('pathlib').Path({str(dest)!r}), golden.decode({json.dumps(changes)!r}))"
    )
    subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, check=True)
    with np.load(dest) as z:
        return {k: z[k] for k in z.files}


def decode(text: str) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(text).items()}


def measure() -> None:
    """Print each kernel variant's and each mutation's drift from the default kernels, per recipe."""
    with tempfile.TemporaryDirectory() as tmp:
        base = in_subprocess(Path(tmp) / "base.npz", {}, {})
        rows = [
            (f"kernels: {v}", in_subprocess(Path(tmp) / f"v{i}.npz", env, {}))
            for i, (v, env) in enumerate(VARIANTS.items())
            if env
        ]
        rows += [
            (f"mutation: {m}", in_subprocess(Path(tmp) / f"m{i}.npz", {}, ch))
            for i, (m, (ch, _)) in enumerate(MUTATIONS.items())
        ]
    print("mean |difference| in grey levels / share of pixels more than one level apart, against the default kernels")
    print(f"\n| | {' | '.join(f'{n} ({r.iterations} steps)' for n, r in RECIPES.items())} |")
    print(f"|---|{'---:|' * len(RECIPES)}")
    print(f"| tolerance | {' | '.join(str(r.tolerance) for r in RECIPES.values())} |")
    for label, images in rows:
        cells = [
            f"{drift(images[n], base[n])}{'' if drift(images[n], base[n]).within(r.tolerance) else ' ✗'}"
            for n, r in RECIPES.items()
        ]
        print(f"| {label} | {' | '.join(cells)} |")
    if REFERENCE.exists():
        refs = references()
        print(f"| stored references | {' | '.join(str(drift(refs[n], base[n])) for n in RECIPES)} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="store the references from this machine")
    parser.add_argument("--measure", action="store_true", help="print kernel-variant noise against mutations")
    args = parser.parse_args()
    if args.write:
        render_all(REFERENCE, {})
        print(f"wrote {REFERENCE}")
    if args.measure:
        measure()
