"""Fashion-MNIST from IDX files: the embedded default dataset, padded 28 -> 32 px."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .base import DatasetInfo, TensorSplit
from .idx import DataError, read_idx

CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
INSTALL_HINT = (
    "Install it with `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or put the four IDX "
    "files (train-images-idx3-ubyte[.gz] ...) in a folder and set PRISM_DATA_DIR to it."
)
_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

INFO = DatasetInfo("fashion_mnist", CLASS_NAMES, image_size=32, channels=1, mean=(0.2860,), std=(0.3530,))


def candidate_dirs() -> list[Path]:
    """Where to look, in order: $PRISM_DATA_DIR, the Debian package, torchvision-style folders."""
    dirs = []
    if os.environ.get("PRISM_DATA_DIR"):
        env = Path(os.environ["PRISM_DATA_DIR"])
        dirs += [env, env / "FashionMNIST" / "raw"]
    dirs.append(DEBIAN_DIR)
    for root in (Path("data"), Path.home() / "data", Path.home() / ".cache" / "torchvision"):
        dirs.append(root / "FashionMNIST" / "raw")
    return dirs


def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def locate() -> Path:
    for folder in candidate_dirs():
        if all(_find(folder, stem) for pair in _FILES.values() for stem in pair):
            return folder
    looked = ", ".join(str(d) for d in candidate_dirs())
    raise DataError(f"Fashion-MNIST not found (looked in: {looked}). {INSTALL_HINT}")


class FashionMNIST:
    info = INFO

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else locate()
        self._splits: dict[str, TensorSplit] = {}

    def split(self, name: str) -> TensorSplit:
        if name not in _FILES:
            raise ValueError(f"unknown split {name!r}; use 'train' or 'test'")
        if name not in self._splits:
            img_stem, lbl_stem = _FILES[name]
            images = self._read(img_stem, ndim=3)
            labels = self._read(lbl_stem, ndim=1).astype(np.int64)
            if len(images) != len(labels):
                raise DataError(f"{self.root}: {len(images)} images but {len(labels)} labels in the {name} split")
            if labels.size and (labels.min() < 0 or labels.max() >= len(CLASS_NAMES)):
                raise DataError(f"{self.root}: labels outside 0..9 in the {name} split")
            pixels = F.pad(torch.from_numpy(images.copy()).unsqueeze(1), (2, 2, 2, 2))
            self._splits[name] = TensorSplit(pixels, labels)
        return self._splits[name]

    def _read(self, stem: str, ndim: int) -> np.ndarray:
        path = _find(self.root, stem)
        if path is None:
            raise DataError(f"{self.root / stem}[.gz] is missing. {INSTALL_HINT}")
        arr = read_idx(path)
        if arr.ndim != ndim or (ndim == 3 and arr.shape[1:] != (28, 28)):
            raise DataError(
                f"{path}: expected {'(N, 28, 28) images' if ndim == 3 else '(N,) labels'}, got shape {arr.shape}"
            )
        return arr
