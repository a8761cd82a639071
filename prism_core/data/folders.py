"""Generated ImageFolders unlike Fashion-MNIST, built from what any Debian machine has: letters rendered in the
DejaVu fonts (grayscale shapes, many styles per class) and a coloured, upscaled 5-class cut of Fashion-MNIST. The
own-data tests and benchmark try the workspace path on them (with data/shapes.py's textures as the third)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .base import Dataset, class_indices

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core


def _fonts(size: int) -> list[ImageFont.FreeTypeFont]:
    files = sorted(FONT_DIR.glob("DejaVu*.ttf")) if FONT_DIR.is_dir() else []
    if not files:
        return [ImageFont.load_default(size)]  # Pillow's own scalable font
    return [ImageFont.truetype(str(f), size) for f in files]


def write_letters(
    root: Path, letters: str = "ABCDEFGHKM", train: int = 60, test: int = 20, size: int = 32, channels: int = 3
) -> Path:
    """root/{train,val}/<letter>/*.png: each image one letter in a random font, scale, offset, rotation and colour
    on a noisy background. Seeded by class and index, so the folder is the same on every machine."""
    fonts = _fonts(int(size * 0.7))
    for split, n, offset in (("train", train, 0), ("val", test, 10_000)):
        for c, letter in enumerate(letters):
            folder = root / split / letter
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                rng = np.random.default_rng(100_000 * c + offset + i)
                canvas = Image.new("L", (2 * size, 2 * size), 0)
                font = fonts[int(rng.integers(len(fonts)))]
                ImageDraw.Draw(canvas).text((size, size), letter, fill=255, font=font, anchor="mm")
                canvas = canvas.rotate(float(rng.uniform(-20, 20)), resample=Image.BILINEAR)
                shift = rng.integers(-size // 8, size // 8 + 1, 2)
                left, top = size // 2 + shift[0], size // 2 + shift[1]
                ink = np.asarray(canvas.crop((left, top, left + size, top + size)), dtype=np.float32) / 255
                fg, bg = rng.uniform(150, 255, 3), rng.uniform(0, 90, 3)
                img = ink[..., None] * fg + (1 - ink[..., None]) * bg + rng.normal(0, 12, (size, size, 3))
                img = np.clip(img, 0, 255).astype(np.uint8)
                Image.fromarray(img if channels == 3 else img.mean(-1).astype(np.uint8)).save(folder / f"{i}.png")
    return root


def write_fashion_cut(
    root: Path, fmnist: Dataset, classes: int = 5, train: int = 100, test: int = 40, size: int = 64
) -> Path:
    """root/{train,val}/<class>/*.png: the first `classes` Fashion-MNIST classes, upscaled to `size` px and tinted
    with a random colour per image (RGB, unlike the grayscale original)."""
    names = fmnist.info.class_names
    for split_name, folder_split, n in (("train", "train", train), ("val", "test", test)):
        split = fmnist.split(folder_split)
        for c in range(classes):
            folder = root / split_name / names[c].replace("/", "-")
            folder.mkdir(parents=True, exist_ok=True)
            idx = class_indices(split, c)[:n]
            images = split.load(idx)[:, 0].numpy()
            for i, gray in enumerate(images):
                tint = np.random.default_rng(7_919 * c + i + (0 if split_name == "train" else 50_000)).uniform(
                    0.3, 1, 3
                )
                rgb = (gray[..., None] * tint * 255).astype(np.uint8)
                Image.fromarray(rgb).resize((size, size), Image.BILINEAR).save(folder / f"{i}.png")
    return root
