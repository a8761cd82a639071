"""The run store: one directory per run, written so that a crash never leaves a run that looks
complete but is not.

    config.json              the resolved configuration, teacher identities, versions
    status.json              queued / running / finished / cancelled / failed (+ error); a dead
                             writer's "running" reads as interrupted
    images/<NNN_class>/<k>.png   lossless PNGs in ImageFolder layout
    pixels/batch_<i>.safetensors the final float pixels (normalised space) of batch i
    trajectory/batch_<i>.npz     uint8 frames of batch i while it formed, with their steps (optional)
    batches/<i>.json         written last, atomically: batch i is finished iff this file exists
    events.jsonl             loss terms per step at a stride, for plots

Every file is written to a temporary name and renamed into place. This module is the layout and the batches;
run_health.py reads a run's state and problems, run_export.py takes its images out (a page, a zip, frames).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file, save_file

from ..atomic import atomic_json, atomic_write, replacing
from ..images import to_uint8
from ..records import BatchRecord
from ..stamps import Bounded, Stamp, settled, stamp, stamp_or_none
from ..states import State
from .config import SynthConfig

_NAME_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class RunRecord:
    """config.json: what a run was asked for and what it ran with (each teacher's exact weights, the plan's size,
    the library versions), written once when the run is created."""

    config: SynthConfig
    class_names: tuple[str, ...]
    teachers: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> Teacher.identity()
    plan: dict[str, int] = field(default_factory=dict)  # batches, images
    versions: dict[str, str] = field(default_factory=dict)  # package -> version
    created: float = 0.0  # time.time()

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RunRecord:
        return cls(
            SynthConfig.from_dict(d["config"]),
            tuple(d["class_names"]),
            d.get("teachers", {}),
            d.get("plan", {}),
            d.get("versions", {}),
            d.get("created", 0.0),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)  # the config nests as SynthConfig.to_dict() has it


class RunError(ValueError):
    """A run directory cannot be used as asked; the message says why."""


def check_run_name(name: str) -> str:
    """A run name is one path component: letters, digits, '.', '_', '-' (no '/', no '..')."""
    if not _NAME_OK.match(name or "") or ".." in name:
        raise RunError(f"invalid run name {name!r}: use letters, digits, '.', '_' and '-' only (no '/' or '..')")
    return name


def slug(text: str) -> str:
    """Lower-case letters and digits joined by '-': safe in any file name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def class_folder(cls: int, name: str) -> str:
    return f"{cls:03d}_{slug(name) or 'class'}"


# PNG path -> its stamp when this process wrote it: known good without reading it back (run_health.py)
WRITTEN_PNGS: Bounded[str, Stamp] = Bounded(200_000)
# run path -> (stamp of its batches folder, finished records): re-read only when a batch lands
_FINISHED: Bounded[str, tuple[Stamp, dict[int, BatchRecord]]] = Bounded(1024)


class Run:
    def __init__(self, path: Path | str):
        self.path = Path(path)

    @property
    def name(self) -> str:
        return self.path.name

    def exists(self) -> bool:
        return (self.path / "config.json").is_file()

    def record(self) -> RunRecord:
        try:
            return RunRecord.from_json(json.loads((self.path / "config.json").read_text()))
        except (OSError, ValueError, KeyError, TypeError) as err:  # ValueError: bad JSON, or a config of no version
            raise RunError(f"{self.path}: config.json is missing or damaged ({err})") from None

    def config(self) -> SynthConfig:
        return self.record().config

    def create(self, record: RunRecord) -> None:
        (self.path / "batches").mkdir(parents=True, exist_ok=True)
        for sub in ("images", "pixels"):
            (self.path / sub).mkdir(exist_ok=True)
        atomic_json(self.path / "config.json", record.to_json())

    def delete(self) -> None:
        shutil.rmtree(self.path)

    def set_status(self, state: State, **info: Any) -> None:
        status = {"state": state, "pid": os.getpid(), "host": socket.gethostname(), "updated": time.time()}
        atomic_json(self.path / "status.json", {**status, **info})

    def finished(self) -> dict[int, BatchRecord]:
        """Finished batches: those whose record file exists (written after their images, by a rename)."""
        now = stamp_or_none(self.path / "batches")
        cached = _FINISHED.get(str(self.path))
        if now is not None and cached and cached[0] == now:
            return dict(cached[1])
        out = {}
        for f in sorted((self.path / "batches").glob("*.json")):
            try:
                rec = BatchRecord.from_json(json.loads(f.read_text()))
                out[rec.index] = rec
            except (OSError, ValueError, KeyError, TypeError):
                continue  # a damaged record means the batch is not finished; it will be redone
        if settled((now,)):
            _FINISHED[str(self.path)] = (now, out)
        return dict(out)

    def sources(self) -> dict[tuple[int, int], tuple[int, ...]]:
        """(class, k) -> the training-split indices image k of the class was made from, for runs whose init a
        selection rule picked (one index per coreset image, one per patch of an RDED collage); empty for noise."""
        return {pair: src for rec in self.finished().values() for pair, src in zip(rec.pairs, rec.sources)}

    def class_names(self) -> list[str]:
        """Read once per Run: image_path() is called for every image of a batch."""
        if not hasattr(self, "_class_names"):
            self._class_names = list(self.record().class_names)
        return self._class_names

    def image_path(self, cls: int, k: int) -> Path:
        return self.path / "images" / class_folder(cls, self.class_names()[cls]) / f"{k:03d}.png"

    def pixels_path(self, index: int) -> Path:
        return self.path / "pixels" / f"batch_{index:05d}.safetensors"

    def trajectory_path(self, index: int) -> Path:
        return self.path / "trajectory" / f"batch_{index:05d}.npz"

    def write_batch(
        self,
        record: BatchRecord,
        pixels: torch.Tensor,
        images01: torch.Tensor,
        trajectory: tuple[list[int], torch.Tensor] | None = None,
    ) -> None:
        """Images, pixels and (optionally) the trajectory's (steps, uint8 frames), then the record that marks the
        batch finished."""
        index, classes, ipc_indices = record.index, list(record.classes), list(record.ipc_indices)
        u8 = to_uint8(images01).permute(0, 2, 3, 1).cpu().numpy()
        for img, c, k in zip(u8, classes, ipc_indices):
            path = self.image_path(c, k)
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, _png(img))
            WRITTEN_PNGS[str(path)] = stamp(path)  # encoded from pixels just now: no need to read it back
        x = pixels.detach().float().cpu().contiguous()
        tensors = {"x": x, "classes": torch.tensor(classes), "ipc": torch.tensor(ipc_indices)}
        with replacing(self.pixels_path(index)) as tmp:
            save_file(tensors, str(tmp))
        if trajectory is not None:
            (self.path / "trajectory").mkdir(exist_ok=True)
            atomic_write(
                self.trajectory_path(index), _npz(steps=np.asarray(trajectory[0]), frames=trajectory[1].numpy())
            )
        atomic_json(self.path / "batches" / f"{index:05d}.json", record.to_json())

    def pixels(self, max_ipc: int | None = None) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
        """The finished images' float pixels (those with IPC index < `max_ipc`, if given: a sample that reads only
        the batches holding it) with their classes and IPC indices, sorted by (class, k)."""
        xs, cs, ks = [], [], []
        for index, rec in sorted(self.finished().items()):
            if max_ipc is not None and min(rec.ipc_indices) >= max_ipc:
                continue
            t = load_file(str(self.pixels_path(index)))
            keep = t["ipc"] < (max_ipc if max_ipc is not None else t["ipc"].max() + 1)
            xs.append(t["x"][keep])
            cs.append(t["classes"][keep].numpy())
            ks.append(t["ipc"][keep].numpy())
        if not xs:
            raise RunError(f"{self.path}: no finished batches yet")
        x, c, k = torch.cat(xs), np.concatenate(cs), np.concatenate(ks)
        order = np.lexsort((k, c))
        return x[torch.as_tensor(order)], c[order], k[order]

    def read_events(self, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
        """The complete event lines after byte `offset`, and the offset after them: a poller reads only what was
        appended since its last call (a line still being written waits for the next)."""
        try:
            with open(self.path / "events.jsonl", "rb") as f:
                f.seek(offset)
                chunk = f.read()
        except FileNotFoundError:
            return offset, []
        complete = chunk[: chunk.rfind(b"\n") + 1]
        return offset + len(complete), [json.loads(line) for line in complete.splitlines() if line.strip()]

    def append_events(self, events: list[dict[str, Any]]) -> None:
        if events:
            with open(self.path / "events.jsonl", "a") as f:
                f.write("".join(json.dumps(e) + "\n" for e in events))


def _png(image: np.ndarray) -> bytes:
    """(H, W, C) uint8 -> lossless PNG bytes (grey when C is 1)."""
    buf = io.BytesIO()
    Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(buf, format="PNG")
    return buf.getvalue()


def _npz(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def fair_pair(runs: list[Run]) -> list[Run]:
    """Two runs that differ in method but share the initialisation and the seed: what a side-by-side view should
    show first, so that it compares methods, not inits; noise-born pairs first (there the teachers' priors, not
    the init, shape the images). Else the first two runs."""
    configs = [r.config() for r in runs]
    start = [(c.init, c.seed, c.classes) for c in configs]
    pairs = [
        (i, j)
        for i in range(len(runs))
        for j in range(i + 1, len(runs))
        if configs[i].method != configs[j].method and start[i] == start[j]
    ]
    pairs.sort(key=lambda ij: configs[ij[0]].init != "noise")
    return [runs[pairs[0][0]], runs[pairs[0][1]]] if pairs else runs[:2]


def list_runs(root: Path | str) -> list[Run]:
    root = Path(root)
    if not root.is_dir():
        return []
    return [Run(p) for p in sorted(root.iterdir()) if p.is_dir() and (p / "config.json").is_file()]
