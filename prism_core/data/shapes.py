"""A generated 3-class ImageFolder (discs, stripes, checkerboards with noise and shifts): a workspace anyone can
make in seconds, for tests, benchmarks and trying workspaces without data of one's own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

SHAPE_CLASSES = ("circles", "stripes", "checks")


def shape_image(cls: int, seed: int, size: int = 32) -> np.ndarray:
    """A class-specific RGB picture: a disc, horizontal stripes or a checkerboard, with noise and a random shift."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:size, :size] + rng.integers(0, 6, 2)[:, None, None]
    base = [((x - 18) ** 2 + (y - 18) ** 2 < 80), (y // 4) % 2 == 0, ((x // 6) + (y // 6)) % 2 == 0][cls]
    img = base * 200 + rng.normal(30, 20, (size, size))
    colour = np.stack([img, img * (0.5 + 0.25 * cls), img[::-1]], -1)
    return np.clip(colour, 0, 255).astype(np.uint8)


def write_shapes(root: Path, train: int = 40, val: int = 10) -> Path:
    """root/train/<class>/*.png and root/val/<class>/*.png; the dataset name is f"folder:{root}:32"."""
    for split, n in (("train", train), ("val", val)):
        for c, name in enumerate(SHAPE_CLASSES):
            (root / split / name).mkdir(parents=True, exist_ok=True)
            for i in range(n):
                Image.fromarray(shape_image(c, 1000 * c + i + (0 if split == "train" else 500))).save(
                    root / split / name / f"{i}.png"
                )
    return root
