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

Every file is written to a temporary name and renamed into place.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import socket
import time
import zipfile
from pathlib import Path
from typing import Any, BinaryIO, Iterable

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file, save_file

from ..atomic import atomic_json, atomic_write, replacing
from ..images import to_uint8
from ..records import BatchRecord
from ..states import State
from .config import SynthConfig

_NAME_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


# status() is polled by the app on every render, so what it costs must not grow with a run's size:
# - PNGs that passed PIL's verify (or that this process wrote) are remembered by path with the size and mtime
#   they had then; a file rewritten or truncated since has another size or mtime and is checked again;
# - runs of up to FULL_CHECK_LIMIT images have every file's size and mtime compared on each call (~10 ms per
#   1,000 images); larger runs only their folders' (a file added, removed or replaced by a rename changes its
#   folder's mtime), and their images are verified in full when a run resumes or is evaluated (`problems()`);
# - finished batch records are re-read only when the batches folder changed.
# A folder changed within the last RACY_S seconds is not trusted (its mtime has a coarse clock tick, so two
# writes in one tick leave one mtime) and is read again, as git does for racily clean files.
_GOOD_PNGS: dict[str, tuple[int, int]] = {}
_HEALTH: dict[str, tuple[tuple, list[str]]] = {}  # run path -> (folder stamps, problems)
_FINISHED: dict[str, tuple[tuple[int, int], dict[int, BatchRecord]]] = {}  # run path -> (batches stamp, records)
FULL_CHECK_LIMIT = 5000
RACY_S = 2.0


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _stamp_or_none(path: Path) -> tuple[int, int] | None:
    try:
        return _stamp(path)
    except FileNotFoundError:
        return None


def _settled(stamps: tuple) -> bool:
    """Every stamp older than RACY_S: a later change will show as another mtime."""
    now = time.time_ns()
    return all(s is not None and now - s[1] > RACY_S * 1e9 for s in stamps)


def _remember_good(path: Path) -> None:
    _GOOD_PNGS[str(path)] = _stamp(path)


def _png_problem(path: Path, verify: bool = True) -> str | None:
    """None for a readable PNG (without `verify`: for a present, non-empty file); else "missing", "empty" or
    "unreadable (...)"."""
    try:
        stamp = _stamp(path)
    except FileNotFoundError:
        return "missing"
    if _GOOD_PNGS.get(str(path)) == stamp:
        return None
    if not verify:
        return None if stamp[0] else "empty"
    try:
        with Image.open(path) as img:
            img.verify()
    except Exception as err:  # PIL raises OSError, SyntaxError, ValueError... for broken files
        return f"unreadable ({type(err).__name__})"
    _GOOD_PNGS[str(path)] = stamp
    return None


class Run:
    def __init__(self, path: Path | str):
        self.path = Path(path)

    @property
    def name(self) -> str:
        return self.path.name

    # --- configuration -----------------------------------------------------------------------
    def exists(self) -> bool:
        return (self.path / "config.json").is_file()

    def record(self) -> dict[str, Any]:
        try:
            return json.loads((self.path / "config.json").read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise RunError(f"{self.path}: config.json is missing or damaged ({err})") from None

    def config(self) -> SynthConfig:
        return SynthConfig.from_dict(self.record()["config"])

    def create(self, record: dict[str, Any]) -> None:
        (self.path / "batches").mkdir(parents=True, exist_ok=True)
        for sub in ("images", "pixels"):
            (self.path / sub).mkdir(exist_ok=True)
        atomic_json(self.path / "config.json", record)

    def delete(self) -> None:
        shutil.rmtree(self.path)

    # --- status --------------------------------------------------------------------------------
    def set_status(self, state: State, **info: Any) -> None:
        atomic_json(self.path / "status.json", {"state": state, "pid": os.getpid(), "host": socket.gethostname(),
                                                "updated": time.time(), **info})

    def status(self) -> dict[str, Any]:
        try:
            status = json.loads((self.path / "status.json").read_text())
        except FileNotFoundError:
            status = {"state": State.INTERRUPTED if self.exists() else State.MISSING}
        except (OSError, json.JSONDecodeError) as err:
            return {"state": State.DAMAGED, "error": f"status.json unreadable ({err})"}
        try:
            status["state"] = State(status.get("state"))
        except ValueError:
            return {"state": State.DAMAGED, "error": f"status.json names no state ({status.get('state')!r})"}
        if status["state"] == State.RUNNING and status.get("host") == socket.gethostname() \
                and not _pid_alive(int(status.get("pid", -1))):
            status["state"] = State.INTERRUPTED
        finished = self.finished()  # read once: status() is polled on every page render
        status["batches_done"] = len(finished)
        if sum(len(r.classes) for r in finished.values()) <= FULL_CHECK_LIMIT:
            problems = self.problems(finished)
        else:
            stamps = self._folder_stamps()
            cached = _HEALTH.get(str(self.path))
            problems = cached[1] if cached and cached[0] == stamps else self.problems(finished, verify=False)
            if _settled(stamps):
                _HEALTH[str(self.path)] = (stamps, problems)
        if problems:
            status.update(state=State.DAMAGED, error=f"{len(problems)} problem(s): {'; '.join(problems[:3])}")
        return status

    def problems(self, finished: dict[int, BatchRecord] | None = None, verify: bool = True) -> list[str]:
        """Why the run's finished batches (`finished()` unless given) cannot be used: an unreadable config, missing
        or corrupt images or pixel files (without `verify`, images are only checked to be present and non-empty).
        Empty for a healthy run (a batch without its record is simply not finished)."""
        try:
            self.record()
        except RunError as err:
            return [str(err)]
        out = []
        for index, rec in (self.finished() if finished is None else finished).items():
            if not (self.path / "pixels" / f"batch_{index:05d}.safetensors").is_file():
                out.append(f"pixels/batch_{index:05d}.safetensors is missing")
            for c, k in rec.pairs:
                path = self.image_path(c, k)
                problem = _png_problem(path, verify)
                if problem:
                    out.append(f"{path.relative_to(self.path)} is {problem}")
        return out

    def sweep_temporaries(self) -> list[Path]:
        """Remove temporary files (`.<name>.<pid>.tmp`) left by writers that died; returns what went."""
        gone = []
        for tmp in self.path.rglob(".*.tmp"):
            parts = tmp.name.rsplit(".", 2)
            if len(parts) == 3 and parts[1].isdigit() and not _pid_alive(int(parts[1])):
                tmp.unlink(missing_ok=True)
                gone.append(tmp)
        return gone

    # --- batches -------------------------------------------------------------------------------
    def _folder_stamps(self) -> tuple:
        images = self.path / "images"
        folders = sorted(images.iterdir()) if images.is_dir() else []
        return tuple(_stamp_or_none(p) for p in [self.path / "config.json", self.path / "batches",
                                                 self.path / "pixels", *folders])

    def finished(self) -> dict[int, BatchRecord]:
        """Finished batches: those whose record file exists (written after their images, by a rename)."""
        stamp = _stamp_or_none(self.path / "batches")
        cached = _FINISHED.get(str(self.path))
        if stamp is not None and cached and cached[0] == stamp:
            return dict(cached[1])
        out = {}
        for f in sorted((self.path / "batches").glob("*.json")):
            try:
                rec = BatchRecord.from_json(json.loads(f.read_text()))
                out[rec.index] = rec
            except (OSError, ValueError, KeyError, TypeError):
                continue  # a damaged record means the batch is not finished; it will be redone
        if _settled((stamp,)):
            _FINISHED[str(self.path)] = (stamp, out)
        return dict(out)

    def sources(self) -> dict[tuple[int, int], tuple[int, ...]]:
        """(class, k) -> the training-split indices image k of the class was made from, for runs whose init a
        selection rule picked (one index per coreset image, one per patch of an RDED collage); empty for noise."""
        return {pair: src for rec in self.finished().values() for pair, src in zip(rec.pairs, rec.sources)}

    def content_key(self) -> str:
        """What identifies the run's images on any machine and in any clone (file times do not): each finished
        batch's seeds and final loss."""
        batches = sorted((i, r.seeds, r.final_losses.get("total")) for i, r in self.finished().items())
        return hashlib.sha256(json.dumps(batches).encode()).hexdigest()[:16]

    def class_names(self) -> list[str]:
        """Read once per Run: image_path() is called for every image of a batch."""
        if not hasattr(self, "_class_names"):
            self._class_names = self.record()["class_names"]
        return self._class_names

    def image_path(self, cls: int, k: int) -> Path:
        return self.path / "images" / class_folder(cls, self.class_names()[cls]) / f"{k:03d}.png"

    def write_batch(self, record: BatchRecord, pixels: torch.Tensor, images01: torch.Tensor,
                    trajectory: tuple[list[int], torch.Tensor] | None = None) -> None:
        """Images, pixels and (optionally) the trajectory's (steps, uint8 frames), then the record that marks the
        batch finished."""
        index, classes, ipc_indices = record.index, list(record.classes), list(record.ipc_indices)
        u8 = to_uint8(images01).permute(0, 2, 3, 1).cpu().numpy()
        for img, c, k in zip(u8, classes, ipc_indices):
            path = self.image_path(c, k)
            path.parent.mkdir(parents=True, exist_ok=True)
            buf = io.BytesIO()
            Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img).save(buf, format="PNG")
            atomic_write(path, buf.getvalue())
            _remember_good(path)  # encoded from pixels just now: no need to read it back
        tensors = {"x": pixels.detach().float().cpu().contiguous(), "classes": torch.tensor(classes),
                   "ipc": torch.tensor(ipc_indices)}
        with replacing(self.path / "pixels" / f"batch_{index:05d}.safetensors") as tmp:
            save_file(tensors, str(tmp))
        if trajectory is not None:
            (self.path / "trajectory").mkdir(exist_ok=True)
            buf = io.BytesIO()
            np.savez_compressed(buf, steps=np.asarray(trajectory[0]), frames=trajectory[1].numpy())
            atomic_write(self.path / "trajectory" / f"batch_{index:05d}.npz", buf.getvalue())
        atomic_json(self.path / "batches" / f"{index:05d}.json", record.to_json())

    def pixels(self, max_ipc: int | None = None) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
        """The finished images' float pixels (those with IPC index < `max_ipc`, if given: a sample that reads only
        the batches holding it) with their classes and IPC indices, sorted by (class, k)."""
        xs, cs, ks = [], [], []
        for index, rec in sorted(self.finished().items()):
            if max_ipc is not None and min(rec.ipc_indices) >= max_ipc:
                continue
            t = load_file(str(self.path / "pixels" / f"batch_{index:05d}.safetensors"))
            keep = t["ipc"] < (max_ipc if max_ipc is not None else t["ipc"].max() + 1)
            xs.append(t["x"][keep])
            cs.append(t["classes"][keep].numpy())
            ks.append(t["ipc"][keep].numpy())
        if not xs:
            raise RunError(f"{self.path}: no finished batches yet")
        x, c, k = torch.cat(xs), np.concatenate(cs), np.concatenate(ks)
        order = np.lexsort((k, c))
        return x[torch.as_tensor(order)], c[order], k[order]

    def trajectory(self, cls: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """The frames of the finished images (of one class, if given) while they formed: (steps (F,), uint8 frames
        (F, N, C, H, W), classes, IPC indices), sorted by (class, k); None when the run kept no trajectory (or its
        batches kept different frame counts). Batches of different lengths (PRISM's varying iterations) keep their
        frames at the same fractions of their runs; `steps` are the first batch's."""
        steps, frames, cs, ks = None, [], [], []
        for index, rec in sorted(self.finished().items()):
            if cls is not None and cls not in rec.classes:
                continue
            path = self.path / "trajectory" / f"batch_{index:05d}.npz"
            if not path.is_file():
                return None
            with np.load(path, allow_pickle=False) as z:
                s, f = z["steps"], z["frames"]
            if steps is not None and len(s) != len(steps):
                return None
            steps = s if steps is None else steps
            keep = np.ones(len(rec.classes), bool) if cls is None else np.asarray(rec.classes) == cls
            frames.append(f[:, keep])
            cs.append(np.asarray(rec.classes)[keep])
            ks.append(np.asarray(rec.ipc_indices)[keep])
        if steps is None:
            return None
        c, k = np.concatenate(cs), np.concatenate(ks)
        order = np.lexsort((k, c))
        return steps, np.concatenate(frames, axis=1)[:, order], c[order], k[order]

    def contents(self) -> tuple[np.ndarray, np.ndarray]:
        """Classes and IPC indices of the finished images, sorted by (class, k); from the records alone."""
        pairs = [pair for rec in self.finished().values() for pair in rec.pairs]
        pairs.sort()
        return np.array([c for c, _ in pairs], dtype=np.int64), np.array([k for _, k in pairs], dtype=np.int64)

    def read_images(self, classes: Iterable[int], ks: Iterable[int]) -> np.ndarray:
        """Those images as uint8 (N, C, H, W), read from their PNGs: what a page shows, not the whole run."""
        out = []
        for c, k in zip(classes, ks):
            with Image.open(self.image_path(int(c), int(k))) as img:
                a = np.asarray(img)
            out.append(a[None] if a.ndim == 2 else a.transpose(2, 0, 1))
        return np.stack(out)

    def export_zip(self, dest: Path | BinaryIO | None = None) -> bytes | None:
        """The finished images as a zip in ImageFolder layout (<class folder>/<k>.png), written to `dest`
        (a path or a binary file; PNGs are read one at a time), or returned as bytes when no `dest` is given."""
        buf = io.BytesIO() if dest is None else dest
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
            for rec in self.finished().values():
                for c, k in rec.pairs:
                    path = self.image_path(c, k)
                    zf.write(path, f"{self.name}/{path.parent.name}/{path.name}")
        return buf.getvalue() if dest is None else None

    # --- events --------------------------------------------------------------------------------
    def append_events(self, events: list[dict[str, Any]]) -> None:
        if events:
            with open(self.path / "events.jsonl", "a") as f:
                f.write("".join(json.dumps(e) + "\n" for e in events))


def fair_pair(runs: list[Run]) -> list[Run]:
    """Two runs that differ in method but share the initialisation and the seed: what a side-by-side view should
    show first, so that it compares methods, not inits; noise-born pairs first (there the teachers' priors, not
    the init, shape the images). Else the first two runs."""
    configs = [r.config() for r in runs]
    start = [(c.init, c.seed, c.classes) for c in configs]
    pairs = [(i, j) for i in range(len(runs)) for j in range(i + 1, len(runs))
             if configs[i].method != configs[j].method and start[i] == start[j]]
    pairs.sort(key=lambda ij: configs[ij[0]].init != "noise")
    return [runs[pairs[0][0]], runs[pairs[0][1]]] if pairs else runs[:2]


def list_runs(root: Path | str) -> list[Run]:
    root = Path(root)
    if not root.is_dir():
        return []
    return [Run(p) for p in sorted(root.iterdir()) if p.is_dir() and (p / "config.json").is_file()]
