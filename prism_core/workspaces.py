"""Workspaces: a dataset, the teachers that know it and a held-out feature extractor, chosen together by name.

The embedded workspace (Fashion-MNIST, the shipped zoo, convnext_atto) always exists. Others are tables of the
TOML file named by $PRISM_WORKSPACES:

    [flowers]                              # any ImageFolder tree (train/ and val/ or test/), resized to 64 px,
    dataset = "folder:/data/flowers:64"    # with a zoo trained on it by
    zoo = "/data/flowers-zoo"              #   python -m prism_core teachers train \
                                           #     --dataset folder:/data/flowers:64 --out /data/flowers-zoo
    extractor = "convnext_atto"            # optional: by default a zoo model that took no part in a run

    [imagenet]
    dataset = "imagenet_shape"             # or "folder:/data/imagenet" (real init needs images)
    weights = "pretrained"                 # timm/torchvision weights from the local cache
    checkpoints = { tv_resnet18 = "/weights/r18.safetensors" }   # optional, per teacher

A workspace fills a run's `dataset`, `weights` ("zoo:/path" for a zoo folder) and `checkpoints`; a run records
those, so it stays readable when the workspace file changes. Everything here is checked without loading a model.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .calibrated import Calibrated, read_calibrated
from .data import EMBEDDED_DATASET, DataError, folder_parts, get_dataset
from .data.shapes import write_shapes
from .teachers import TeacherError, get_spec, list_teachers, read_manifest, zoo_dir_of
from .teachers.zoo import train_zoo_teacher, training_for

EMBEDDED = "embedded"
KEYS = {"dataset", "zoo", "weights", "checkpoints", "extractor", "selector"}


class WorkspaceError(ValueError):
    """A workspace cannot be used; the message names the file, the workspace and the key."""


@dataclass(frozen=True)
class Workspace:
    name: str
    dataset: str
    weights: str = "zoo"  # "zoo" (the shipped zoo), "zoo:/path" (another zoo folder) or "pretrained"
    checkpoints: dict[str, str] = field(default_factory=dict)
    extractor: str | None = None
    # the model that embeds and scores real images for the selection rules; None: the library's default
    # (regnetx_002, held out from the embedded zoo's evaluation); a declared workspace uses its extractor
    selector: str | None = None
    source: str = "built in"  # the file that declared it

    @property
    def zoo_dir(self) -> Path | None:
        """The zoo folder whose teachers the workspace offers, or None (pretrained weights)."""
        return zoo_dir_of(self.weights)

    @property
    def has_images(self) -> bool:
        """False for a shape-only dataset (imagenet_shape): real images, and all that starts from them, are not here."""
        return not self.dataset.startswith("imagenet_shape")

    @property
    def calibrated(self) -> Calibrated | None:
        """The recipes `calibrate` chose for this workspace's zoo, or None (the built-in small-image recipes)."""
        return read_calibrated(self.zoo_dir)

    def run_fields(self) -> dict[str, Any]:
        """What a synthesis config takes from the workspace."""
        return {
            "dataset": self.dataset,
            "weights": self.weights,
            "checkpoints": dict(self.checkpoints) or None,
            **({"selector": self.selector} if self.selector else {}),
        }

    def teachers(self) -> list[str]:
        """The teachers it offers: its zoo's, or for pretrained weights every registered ImageNet-size model."""
        if self.zoo_dir is not None:
            return list(read_manifest(self.zoo_dir).teachers)
        return [n for n in list_teachers() if get_spec(n).input_size >= 224]


EMBEDDED_WORKSPACE = Workspace(EMBEDDED, EMBEDDED_DATASET, "zoo", {}, "convnext_atto")


def _declared(name: str, table: Any, source: str) -> Workspace:
    where = f"{source}, [{name}]"
    if not isinstance(table, dict):
        raise WorkspaceError(f"{where}: a workspace is a table of keys ({', '.join(sorted(KEYS))})")
    unknown = sorted(set(table) - KEYS)
    if unknown:
        raise WorkspaceError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(KEYS))}")
    if not isinstance(table.get("dataset"), str):
        raise WorkspaceError(
            f'{where}: the key \'dataset\' is missing ("folder:/path[:SIZE]", "fashion_mnist" or "imagenet_shape")'
        )
    if ("zoo" in table) == ("weights" in table):
        raise WorkspaceError(
            f"{where}: give exactly one of the keys 'zoo' (a folder trained by `teachers train`) or "
            "'weights' (\"pretrained\")"
        )
    if "weights" in table and table["weights"] != "pretrained":
        raise WorkspaceError(f"{where}: the key 'weights' takes \"pretrained\"; for a zoo folder use 'zoo'")
    checkpoints = table.get("checkpoints", {})
    if not isinstance(checkpoints, dict) or not all(isinstance(v, str) for v in checkpoints.values()):
        raise WorkspaceError(f"{where}: the key 'checkpoints' is a table of teacher = \"/path/to/file\"")
    weights = "pretrained" if "weights" in table else f"zoo:{table['zoo']}"
    return Workspace(
        name,
        table["dataset"],
        weights,
        dict(checkpoints),
        table.get("extractor"),
        table.get("selector") or table.get("extractor"),
        source,
    )


def load_workspaces(path: Path | str | None = None) -> tuple[dict[str, Workspace], list[str]]:
    """Every usable workspace (the embedded one first) and, for the others, why each cannot be used: a bad file
    never hides the embedded workspace. `path` defaults to $PRISM_WORKSPACES."""
    found = {EMBEDDED: EMBEDDED_WORKSPACE}
    path = path or os.environ.get("PRISM_WORKSPACES")
    if not path:
        return found, []
    try:
        raw = Path(path).read_bytes()
        tables = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        return found, [f"{path}: no such workspace file ($PRISM_WORKSPACES)"]
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        return found, [f"{path}: not UTF-8 text: byte 0x{raw[err.start]:02x} at line {line}; save the file as UTF-8"]
    except (tomllib.TOMLDecodeError, OSError) as err:
        return found, [f"{path}: not a readable TOML file ({err})"]
    problems = []
    for name, table in tables.items():
        try:
            if name == EMBEDDED:
                raise WorkspaceError(f"{path}, [{name}]: that name is the built-in workspace's; choose another")
            ws = _declared(name, table, str(path))
            check_workspace(ws)
            found[name] = ws
        except (WorkspaceError, DataError, TeacherError) as err:
            problems.append(str(err))
    return found, problems


def check_workspace(ws: Workspace) -> None:
    """The dataset opens and has images where real init needs them; a zoo exists and was trained on this
    dataset's classes and image size; every checkpoint file exists. Raises WorkspaceError naming the key."""
    where = f"{ws.source}, [{ws.name}]"
    try:
        ds = get_dataset(ws.dataset)
        if ws.has_images:
            if len(ds.split("train")) == 0:
                raise DataError("the train split holds no images")
    except DataError as err:
        raise WorkspaceError(f"{where}, key 'dataset' = {ws.dataset!r}: {err}") from None
    info = ds.info
    if ws.zoo_dir is not None:
        try:
            entries = read_manifest(ws.zoo_dir).teachers
        except TeacherError as err:
            raise WorkspaceError(f"{where}, key 'zoo': {err}") from None
        if not entries:
            raise WorkspaceError(f"{where}, key 'zoo': {ws.zoo_dir} holds no teachers")
        for name, entry in entries.items():
            size, classes = entry.input.size, entry.kwargs.get("num_classes")
            if (size, classes) != (info.image_size, info.num_classes):
                raise WorkspaceError(
                    f"{where}, key 'zoo': {name} in {ws.zoo_dir} was trained for {classes} classes at {size} px, but "
                    f"{ws.dataset} has {info.num_classes} classes at {info.image_size} px; retrain with `python -m "
                    f"prism_core teachers train --dataset {ws.dataset} --out {ws.zoo_dir}` or fix 'dataset'"
                )
    for teacher, file in ws.checkpoints.items():
        try:
            get_spec(teacher)
        except TeacherError as err:
            raise WorkspaceError(f"{where}, key 'checkpoints': {err}") from None
        if not Path(file).is_file():
            raise WorkspaceError(f"{where}, key 'checkpoints': {teacher} = {file!r} does not exist")


def get_workspace(name: str, path: Path | str | None = None) -> Workspace:
    found, problems = load_workspaces(path)
    if name in found:
        return found[name]
    why = next((p for p in problems if f"[{name}]" in p), None)
    declared = path or os.environ.get("PRISM_WORKSPACES")
    hint = (
        (". " + "; ".join(problems) if problems else "")
        if declared
        else " (declare others in a TOML file named by $PRISM_WORKSPACES)"
    )
    raise WorkspaceError(why or f"no workspace {name!r}; known: {', '.join(found)}{hint}")


def workspace_name(dataset: str) -> str:
    """A TOML-ready workspace name for a dataset: a folder's own name (`folder:/data/flowers:64` -> flowers)."""
    stem = Path(folder_parts(dataset)[0]).name if dataset.startswith("folder:") else dataset
    return re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") or "mydata"


def declaration(name: str, dataset: str, zoo: Path | str) -> str:
    """The TOML lines that declare a workspace for a zoo just trained (printed by `teachers train`)."""
    return f'[{name}]\ndataset = "{dataset}"\nzoo = "{Path(zoo).resolve()}"\n'


def shapes_workspace(root: Path, name: str = "shapes") -> tuple[Path, str]:
    """The smallest whole workspace, for tests and benchmarks: a generated 3-class ImageFolder (data/shapes.py) with a
    zoo trained on it for one epoch (a primary, a BN teacher and a BN-free extractor), declared as workspace `name`
    in root/workspaces.toml. Returns the TOML file and the dataset's name."""
    write_shapes(root / "shapes")
    dataset = f"folder:{root / 'shapes'}:32"
    for arch in ("resnet18", "lcnet_050", "convnext_atto"):
        data = get_dataset(dataset)
        cfg = replace(training_for(arch, data.info), epochs=1, min_updates=0)
        for _ in train_zoo_teacher(arch, data, root / "zoo", cfg, dataset_name=dataset):
            pass
    toml = root / "workspaces.toml"
    toml.write_text(declaration(name, dataset, root / "zoo"))
    return toml, dataset
