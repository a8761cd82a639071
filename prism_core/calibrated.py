"""A workspace's calibrated recipes: the optimiser setting per init (lr, r_bn, steps) that `calibrate` chose on its
zoo, with the evidence, stored beside the zoo as recipes.json. synth, the benchmark and the app read it; explicit
flags still win."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from .atomic import atomic_json

FILE = "recipes.json"
INITS = ("noise", "real")  # a rule-picked init (first, herding, ...) starts from real images


def init_kind(init: str | None) -> str:
    return "noise" if init == "noise" else "real"


@dataclass(frozen=True)
class Recipe:
    lr: float
    r_bn: float
    iterations: int

    def said(self) -> str:
        return f"lr {self.lr:g}, r_bn {self.r_bn:g}, {self.iterations} steps"


@dataclass(frozen=True)
class Point:
    """One point of the sweep: its setting, the held-out judge's top-1 on its images, its final loss, its time."""

    init: str
    recipe: Recipe
    top1: float
    loss: float
    seconds: float
    method: str = "sre2l"


@dataclass(frozen=True)
class Calibrated:
    """The chosen recipe per init, how it was chosen (probe method, judge, IPC, seed) and every point measured."""

    recipes: dict[str, Recipe]
    judge: str
    ipc: int
    seed: int
    points: tuple[Point, ...]
    date: str

    def note(self, init: str | None) -> str:
        kind = init_kind(init)
        return f"recipe from {kind}: {self.recipes[kind].said()} (calibrated for this workspace on {self.date})"


def read_calibrated(folder: Path | None) -> Calibrated | None:
    """The recipes stored in `folder` (a zoo), or None when it has none; a broken file says how to remake it."""
    path = folder / FILE if folder is not None else None
    if path is None or not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text())
        return Calibrated(
            recipes={k: Recipe(**v) for k, v in raw["recipes"].items()},
            judge=raw["judge"],
            ipc=raw["ipc"],
            seed=raw["seed"],
            points=tuple(Point(**{**p, "recipe": Recipe(**p["recipe"])}) for p in raw["points"]),
            date=raw["date"],
        )
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path} is not a recipes file ({err}); remake it with `prism_core calibrate`") from err


def write_calibrated(folder: Path, calibrated: Calibrated) -> Path:
    path = folder / FILE
    atomic_json(path, asdict(calibrated))
    return path
