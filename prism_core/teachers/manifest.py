"""The zoo manifest, typed: what each teacher of a zoo is, how it was trained and scored, and the file that holds it.

Its JSON layout is one anyone can load without prism_core (the file's `loading` says how), so the records read and
write exactly that layout.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ..atomic import atomic_json
from ..events import TrainEpoch
from ..training import LEGACY_TRAINING, TrainConfig
from .registry import TeacherError

ZOO_DIR = Path(__file__).resolve().parents[2] / "assets" / "teachers"  # the shipped zoo
MANIFEST = "manifest.json"
SUBSET = 2000  # the fixed test subset (the first 2,000 test images, or all of a smaller split) the tests re-score on
LOADING = (
    "Without prism_core: build `constructor` from `source` (timm.create_model(constructor, **kwargs) "
    "or torchvision.models.get_model(constructor, **kwargs)), load_state_dict(safetensors.torch."
    "load_file(file)) cast to float32; feed (x/255 padded to size, minus mean, over std), "
    "repeated to `repeat_to_channels`."
)


@dataclass(frozen=True)
class ZooInput:
    """What the network was trained on: image size and channels, normalisation, channels it repeats to."""

    size: int
    channels: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    repeat_to_channels: int


@dataclass(frozen=True)
class ZooEntry:
    """One trained teacher: how to build it, its file and digest, its scores and how it was trained."""

    architecture: str
    family: str
    source: str  # "timm" or "torchvision"
    constructor: str
    kwargs: dict[str, Any]
    dataset: str
    input: ZooInput
    params: int
    bn_layers: int
    test_top1: float  # on the whole test split
    test_top1_subset: float  # on the first SUBSET test images
    file: str
    bytes: int
    sha256: str
    train_config: TrainConfig
    train_history: tuple[TrainEpoch, ...]
    train_seconds: float
    train_threads: int
    train_command: str  # how to train it again
    torch: str  # the version that trained it
    val_top1: float | None = None  # on the part held out of train to choose the epoch; None in older manifests

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ZooEntry:
        raw = {f.name: d[_FILE_KEY.get(f.name, f.name)] for f in fields(cls) if _FILE_KEY.get(f.name, f.name) in d}
        i = raw["input"]
        return cls(
            **raw
            | {
                "input": ZooInput(**i | {"mean": tuple(i["mean"]), "std": tuple(i["std"])}),
                "train_config": TrainConfig(**LEGACY_TRAINING | raw["train_config"]),
                "train_history": tuple(TrainEpoch(**h) for h in raw["train_history"]),
            }
        )

    def to_json(self) -> dict[str, Any]:
        """The file's layout and key order (json writes the tuples as lists)."""
        d = asdict(self)
        d["train_history"] = [
            {k: v for k, v in e.items() if k != "teacher" and v is not None} for e in d["train_history"]
        ]
        return {_FILE_KEY.get(k, k): v for k, v in d.items()}


_FILE_KEY = {"test_top1_subset": f"test_top1_first{SUBSET}"}  # a field whose key in the file says the subset's size


@dataclass(frozen=True)
class Manifest:
    """A zoo: the dataset its teachers were trained on and their entries by name."""

    dataset: str
    teachers: dict[str, ZooEntry] = field(default_factory=dict)

    def with_entries(self, entries: dict[str, ZooEntry]) -> Manifest:
        """These entries added (or replacing those of the same name), sorted by name."""
        return replace(self, teachers=dict(sorted({**self.teachers, **entries}.items())))

    def to_json(self) -> dict[str, Any]:
        teachers = {n: e.to_json() for n, e in self.teachers.items()}
        return {"dataset": self.dataset, "teachers": teachers, "loading": LOADING}


def read_manifest(zoo_dir: Path = ZOO_DIR) -> Manifest:
    path = Path(zoo_dir) / MANIFEST
    if not path.is_file():
        raise TeacherError(f"{path} is missing: train a zoo with `python -m prism_core teachers train`")
    try:
        d = json.loads(path.read_text())
        return Manifest(d["dataset"], {n: ZooEntry.from_json(e) for n, e in d["teachers"].items()})
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
        raise TeacherError(
            f"{path} is not a valid zoo manifest ({type(err).__name__}: {err}); restore it from git or retrain"
        ) from None


def write_manifest(zoo_dir: Path, manifest: Manifest) -> None:
    atomic_json(Path(zoo_dir) / MANIFEST, manifest.to_json())
