"""Pictures of runs: image grids as uint8 arrays (shared by the app, the README figures and tests)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .atomic import replacing
from .images import to_uint8
from .synthesis.run_export import trajectory
from .synthesis.runstore import Run, RunError


def to_rgb_u8(images: torch.Tensor | np.ndarray) -> np.ndarray:
    """(N, C, H, W) uint8 or float [0, 1] -> (N, H, W, 3) uint8."""
    x = torch.as_tensor(images)
    if x.is_floating_point():
        x = to_uint8(x)
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    return x.permute(0, 2, 3, 1).contiguous().numpy()


def grid(
    images: torch.Tensor | np.ndarray, ncol: int, pad: int = 2, scale: int = 1, background: int = 255
) -> np.ndarray:
    """Tile images row-major into one (H, W, 3) uint8 picture, each upscaled by `scale` (nearest)."""
    tiles = to_rgb_u8(images)
    if scale > 1:
        tiles = tiles.repeat(scale, axis=1).repeat(scale, axis=2)
    n, h, w, _ = tiles.shape
    nrow = max(1, -(-n // ncol))
    out = np.full((nrow * (h + pad) + pad, ncol * (w + pad) + pad, 3), background, dtype=np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, ncol)
        out[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = tile
    return out


def class_rows(images: torch.Tensor, classes: Sequence[int], ipc: Sequence[int], per_row: int) -> np.ndarray:
    """One row per class (sorted), images in IPC order; missing cells stay blank."""
    uniq = sorted(set(int(c) for c in classes))
    h, w = images.shape[-2:]
    canvas = torch.ones((len(uniq) * per_row, images.shape[1], h, w), dtype=images.dtype)
    if not images.is_floating_point():
        canvas *= 255
    for img, c, k in zip(images, classes, ipc):
        if k < per_row:
            canvas[uniq.index(int(c)) * per_row + int(k)] = img
    return grid(canvas, per_row)


def trajectory_gif(run: Run, dest: Path | str, per_class: int = 10, scale: int = 3, ms: int = 120) -> int:
    """The run's images forming, as an animated GIF (one class per row, as `class_rows`); returns the frame count.
    Written to a temporary name first: an existing file is replaced only by a complete GIF."""
    found = trajectory(run)
    if found is None:
        raise RunError(
            f"{run.path} kept no trajectory (it was synthesised with --snapshots 0, or before "
            "trajectories existed); re-run it to record one"
        )
    steps, frames, classes, ks = found
    pictures = [class_rows(torch.from_numpy(f), classes, ks, per_row=min(per_class, int(ks.max()) + 1)) for f in frames]
    with replacing(Path(dest)) as tmp:
        tmp.write_bytes(gif_bytes(pictures, scale, ms))
    return len(pictures)


def gif_bytes(pictures: Sequence[np.ndarray], scale: int = 1, ms: int = 120) -> bytes:
    """(H, W, 3) uint8 pictures as one looping animated GIF, each shown `ms` and the last one a second."""
    images = [Image.fromarray(p).resize((p.shape[1] * scale, p.shape[0] * scale), Image.NEAREST) for p in pictures]
    buf = io.BytesIO()
    images[0].save(
        buf, format="GIF", save_all=True, append_images=images[1:], duration=[ms] * (len(images) - 1) + [1000], loop=0
    )
    return buf.getvalue()
