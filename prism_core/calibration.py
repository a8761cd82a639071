"""Calibrate a workspace's recipes: a small seeded sweep of the optimiser setting of each init (lr and r_bn, then the
steps at the best of them), each point scored by a held-out zoo model's top-1 on the images it made, convergence
(the teacher's final cross-entropy) breaking ties, as benchmarks/defaults.py tuned the Fashion-MNIST recipes.

The built-in setting (the one the benchmark measured on Fashion-MNIST) is kept unless a point beats it by MARGIN
points: 50 images score in steps of 2 points, and a binomial standard error there is about 7, so a smaller gain is
as likely the draw as the recipe.

Why one setting per init, probed with SRe2L: the benchmark gives every method the same setting per init, so that
two rows differ only in the method or only in the init; SRe2L is the cheapest method to sweep (one teacher), and PRISM
is then run once at each chosen setting, so the record says how it fares there too.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from .calibrated import Calibrated, Point, Recipe
from .data import get_dataset
from .metrics.run_metrics import run_images01
from .synthesis import SynthConfig, prepare, synthesize
from .synthesis.init_settings import INIT_SETTINGS
from .synthesis.methods import get_method
from .synthesis.preparation import check, models_loaded
from .synthesis.recipes import fit_to_zoo
from .synthesis.runstore import Run
from .teachers import TeacherCache
from .training import predict
from .workspaces import Workspace


@dataclass(frozen=True)
class Sweep:
    """The grid of one init: every lr x r_bn at the first step count, then the best of those at each other count;
    `base` (the built-in setting) is one of its points."""

    lr: tuple[float, ...]
    r_bn: tuple[float, ...]
    steps: tuple[int, ...]
    base: Recipe

    def size(self) -> int:
        return len(self.lr) * len(self.r_bn) + len(self.steps) - 1


# noise: the Fashion-MNIST recipe (lr 1.0, r_bn 0.1, 300 steps) and the gentler settings a weak or small zoo needs;
# real: PRISM's (lr 0.05, r_bn 0.01, 100 steps) and a step either side
def _built_in(kind: str) -> Recipe:
    s = INIT_SETTINGS[kind]
    return Recipe(s["lr"], s["r_bn"], s["iterations"])


SWEEPS = {
    "noise": Sweep(lr=(0.1, 0.25, 1.0), r_bn=(0.01, 0.1), steps=(300, 1000), base=_built_in("noise")),
    "real": Sweep(lr=(0.01, 0.05, 0.2), r_bn=(0.01,), steps=(100,), base=_built_in("real")),
}
MARGIN = 10.0  # points of held-out top-1 a setting must gain over the built-in one to replace it
INIT_OF = {"noise": "noise", "real": "first"}  # the init each kind is swept with
CHECKED = "prism"  # run once at each chosen setting


class CalibrationError(ValueError):
    """The workspace cannot be calibrated; the message says why."""


def judge_for(ws: Workspace, used: set[str]) -> str:
    """The held-out model that scores the images: the workspace's extractor (it takes part in no run), else the first
    zoo model no run of the sweep uses."""
    teachers = ws.teachers()
    for name in (ws.extractor, *teachers):
        if name and name in teachers and name not in used:
            return name
    raise CalibrationError(f"every model of {ws.name}'s zoo takes part in a run: none is left to judge the images")


def calibrate(
    ws: Workspace,
    *,
    ipc: int = 5,
    seed: int = 0,
    device: str = "cpu",
    sweeps: dict[str, Sweep] = SWEEPS,
    on_point: Callable[[Point, int, int], None] = lambda point, done, total: None,
) -> Calibrated:
    """Sweep each init's setting on `ws` (noise, and real when the dataset has images), at `ipc` images per class of
    every class with `seed`; returns the chosen recipes with every point measured."""
    if ws.zoo_dir is None:
        raise CalibrationError(f"{ws.name} uses pretrained weights: calibration needs a zoo trained on its data")
    dataset = get_dataset(ws.dataset)
    kinds = [k for k in sweeps if k == "noise" or ws.has_images]
    cache, teachers = TeacherCache(), ws.teachers()

    def config(method: str, kind: str, recipe: Recipe) -> SynthConfig:
        cfg = SynthConfig(
            method=method, init=INIT_OF[kind], lr=recipe.lr, r_bn=recipe.r_bn, iterations=recipe.iterations,
            ipc=ipc, seed=seed, snapshots=0, device=device, **ws.run_fields(),
        )  # fmt: skip
        return fit_to_zoo(cfg, get_method(method), teachers)[0]

    used = {t for k in kinds for m in ("sre2l", CHECKED) for t in _models(config(m, k, _first(sweeps[k])))}
    judge_name = judge_for(ws, used)
    judge = cache.get(judge_name, dataset.info, weights=ws.weights, device=device).model
    total = sum(sweeps[k].size() + 1 for k in kinds)
    points: list[Point] = []

    def measure(method: str, kind: str, recipe: Recipe) -> Point:
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            final = {}
            for event in synthesize(prepare(config(method, kind, recipe), cache), tmp):
                final = getattr(getattr(event, "record", None), "final_losses", final)
            x01, classes, _ = run_images01(Run(tmp))
        top1 = 100 * float(np.mean(predict(judge, x01, dataset.info, device).numpy() == classes))
        point = Point(kind, recipe, round(top1, 1), float(final.get("ce", np.nan)), time.perf_counter() - start, method)
        points.append(point)
        on_point(point, len(points), total)
        return point

    chosen = {}
    for kind in kinds:
        sweep = sweeps[kind]
        first = [measure("sre2l", kind, Recipe(lr, r, sweep.steps[0])) for lr in sweep.lr for r in sweep.r_bn]
        top = best(first)
        more = [measure("sre2l", kind, Recipe(top.recipe.lr, top.recipe.r_bn, n)) for n in sweep.steps[1:]]
        chosen[kind] = choose([*first, *more], sweep.base)
        measure(CHECKED, kind, chosen[kind])
    return Calibrated(chosen, judge_name, ipc, seed, tuple(points), date.today().isoformat())


def best(points: list[Point]) -> Point:
    """The highest held-out top-1; the lowest final cross-entropy among equals."""
    return max(points, key=lambda p: (p.top1, -p.loss))


def choose(points: list[Point], base: Recipe) -> Recipe:
    """The best point's setting where it beats the built-in one (`base`, measured among `points`) by MARGIN, else
    the built-in one."""
    top, kept = best(points), next(p for p in points if p.recipe == base)
    return top.recipe if top.top1 >= kept.top1 + MARGIN else base


def _first(sweep: Sweep) -> Recipe:
    return Recipe(sweep.lr[0], sweep.r_bn[0], sweep.steps[0])


def _models(cfg: SynthConfig) -> set[str]:
    """The zoo models a run loads (its teachers, and the selector where its init scores images)."""
    resolved, _, method = check(cfg)
    return set(models_loaded(resolved, method))
