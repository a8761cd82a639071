"""Any ImageFolder tree (ImageNet-1K train/val, or a user's folder) behind the same interface, at the images' own
size (measured) unless a size is given.

Layout: ROOT/train/<class>/<img>, ROOT/val/<class>/<img> (or test/); a ROOT whose children are the
class folders serves as the train split. Classes are sorted folder names, images sorted file names,
so "the k-th image of class c" means what it means in torchvision's ImageFolder.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from .base import DatasetInfo
from .idx import DataError

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".JPEG"}
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
_SPLIT_DIRS = {"train": ("train",), "test": ("val", "test")}
MIN_SIZE, MAX_MEASURED_SIZE = 16, 224  # the zoo's networks need 16 px; a folder's own size is kept up to 224 px
SIZE_SAMPLE = 64  # images whose short side is measured when no size is given


def scan(folder: Path) -> tuple[list[str], list[Path], np.ndarray]:
    classes = sorted(d.name for d in folder.iterdir() if d.is_dir())
    if not classes:
        raise DataError(f"{folder}: no class folders found (expected {folder}/<class>/<image>)")
    files, labels = [], []
    for label, name in enumerate(classes):
        for f in sorted((folder / name).iterdir()):
            if f.suffix in IMAGE_EXTENSIONS or f.suffix.lower() in IMAGE_EXTENSIONS:
                files.append(f)
                labels.append(label)
    if not files:
        raise DataError(f"{folder}: class folders hold no images ({', '.join(sorted(IMAGE_EXTENSIONS))})")
    return classes, files, np.asarray(labels, dtype=np.int64)


def measure_size(files: Sequence[Path]) -> int:
    """The median short side of up to SIZE_SAMPLE images spread over the list (headers only), capped at 224 px."""
    step = max(1, len(files) // SIZE_SAMPLE)
    sides = []
    for f in files[::step][:SIZE_SAMPLE]:
        try:
            with Image.open(f) as img:
                sides.append(min(img.size))
        except (UnidentifiedImageError, OSError) as err:
            raise DataError(f"{f}: unreadable image ({err})") from None
    return min(int(np.median(sides)), MAX_MEASURED_SIZE)


def load_image(path: Path, size: int, channels: int) -> torch.Tensor:
    """Resize the short side to size/0.875 and centre-crop (ImageNet's Resize 256 / CenterCrop 224)."""
    try:
        with Image.open(path) as img:
            img = img.convert("L" if channels == 1 else "RGB")
            w, h = img.size
            scale = round(size / 0.875) / min(w, h) if size >= 64 else size / min(w, h)
            img = img.resize((max(size, round(w * scale)), max(size, round(h * scale))), Image.BILINEAR)
            w, h = img.size
            left, top = (w - size) // 2, (h - size) // 2
            img = img.crop((left, top, left + size, top + size))
            arr = np.asarray(img, dtype=np.uint8).reshape(size, size, channels)
    except (UnidentifiedImageError, OSError) as err:
        raise DataError(f"{path}: unreadable image ({err})") from None
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).float().div_(255)


@dataclass
class FolderSplit:
    files: list[Path]
    labels: np.ndarray
    size: int
    channels: int

    def __len__(self) -> int:
        return len(self.files)

    def load(self, indices: Sequence[int]) -> torch.Tensor:
        return torch.stack([load_image(self.files[i], self.size, self.channels) for i in indices])


def imagenet_descriptions(folders: Sequence[str]) -> tuple[str, ...]:
    """ImageNet wnid folders (n01440764, ...) named as people read them (timm's class descriptions)."""
    if not folders or not all(re.fullmatch(r"n\d{8}", f) for f in folders):
        return tuple(folders)
    from timm.data import ImageNetInfo  # deferred: timm (and torchvision) take seconds to import

    info = ImageNetInfo()
    known = set(info.label_names())
    return tuple(info.label_name_to_description(f).split(",")[0] if f in known else f for f in folders)


class ImageFolderDataset:
    def __init__(
        self,
        root: Path | str,
        image_size: int | None = None,
        channels: int = 3,
        mean: tuple[float, ...] = IMAGENET_MEAN,
        std: tuple[float, ...] = IMAGENET_STD,
        class_names: Sequence[str] | None = None,
    ):
        self.root = Path(root)
        if not self.root.is_dir():
            raise DataError(f"{self.root}: no such folder (expected an ImageFolder tree)")
        self._splits: dict[str, FolderSplit] = {}
        classes, files, _ = scan(self._split_dir("train"))
        if len(classes) < 2:
            raise DataError(
                f"{self._split_dir('train')}: one class folder ({classes[0]}); a classifier needs at least two classes"
            )
        self.size_measured = image_size is None  # the images' own size, not one the user chose
        image_size = measure_size(files) if image_size is None else image_size
        if image_size < MIN_SIZE:
            raise DataError(
                f"{self.root}: its images are {image_size} px; the teachers need at least {MIN_SIZE} px. To upscale "
                f"them, name the size: folder:{self.root}:32"
            )
        self._size, self._channels = image_size, channels
        self.folder_names = tuple(classes)
        names = tuple(class_names) if class_names else imagenet_descriptions(self.folder_names)
        if len(names) != len(classes):
            raise DataError(f"{len(names)} class names given for {len(classes)} class folders")
        self.info = DatasetInfo(f"folder:{self.root.name}", names, image_size, channels, tuple(mean), tuple(std))

    def _split_dir(self, name: str) -> Path:
        if name not in _SPLIT_DIRS:
            raise ValueError(f"unknown split {name!r}; use 'train' or 'test'")
        for sub in _SPLIT_DIRS[name]:
            if (self.root / sub).is_dir():
                return self.root / sub
        if name == "train":
            return self.root
        raise DataError(f"{self.root}: no {' or '.join(_SPLIT_DIRS[name])}/ folder for the {name} split")

    def split(self, name: str) -> FolderSplit:
        if name not in self._splits:
            folder = self._split_dir(name)
            classes, files, labels = scan(folder)
            if tuple(classes) != self.folder_names:
                raise DataError(f"{folder}: class folders differ from the train split's")
            self._splits[name] = FolderSplit(files, labels, self._size, self._channels)
        return self._splits[name]
