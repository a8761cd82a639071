"""A run's images leaving the store: for a page (`read_images`, the images it shows and no more), as a zip in
ImageFolder layout, and as the frames of the trajectory they formed in (viz.trajectory_gif draws those as a GIF)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image

from .runstore import Run


def export_zip(run: Run, dest: Path | BinaryIO | None = None) -> bytes | None:
    """The finished images as a zip in ImageFolder layout (<run>/<class folder>/<k>.png), written to `dest` (a path
    or a binary file; PNGs are read one at a time), or returned as bytes when no `dest` is given."""
    buf = io.BytesIO() if dest is None else dest
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for rec in run.finished().values():
            for c, k in rec.pairs:
                path = run.image_path(c, k)
                zf.write(path, f"{run.name}/{path.parent.name}/{path.name}")
    return buf.getvalue() if dest is None else None


def trajectory(run: Run, cls: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The frames of the finished images (of one class, if given) while they formed: (steps (F,), uint8 frames
    (F, N, C, H, W), classes, IPC indices), sorted by (class, k); None when the run kept no trajectory (or its
    batches kept different frame counts). Batches of different lengths (PRISM's varying iterations) keep their
    frames at the same fractions of their runs; `steps` are the first batch's."""
    steps, frames, cs, ks = None, [], [], []
    for index, rec in sorted(run.finished().items()):
        if cls is not None and cls not in rec.classes:
            continue
        path = run.trajectory_path(index)
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


def contents(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """Classes and IPC indices of the finished images, sorted by (class, k); from the records alone."""
    pairs = [pair for rec in run.finished().values() for pair in rec.pairs]
    pairs.sort()
    return np.array([c for c, _ in pairs], dtype=np.int64), np.array([k for _, k in pairs], dtype=np.int64)


def read_images(run: Run, classes: Iterable[int], ks: Iterable[int]) -> np.ndarray:
    """Those images as uint8 (N, C, H, W), read from their PNGs: what a page shows, not the whole run."""
    out = []
    for c, k in zip(classes, ks):
        with Image.open(run.image_path(int(c), int(k))) as img:
            a = np.asarray(img)
        out.append(a[None] if a.ndim == 2 else a.transpose(2, 0, 1))
    return np.stack(out)
