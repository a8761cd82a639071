"""Datasets: Fashion-MNIST (embedded default) and ImageFolder trees, behind one interface."""

from __future__ import annotations

from pathlib import Path

from .base import Dataset, DatasetInfo, Split, TensorSplit, class_indices, real_image_indices
from .fashion_mnist import INFO as _FASHION_MNIST
from .fashion_mnist import FashionMNIST
from .idx import DataError, read_idx
from .image_folder import MIN_SIZE, ImageFolderDataset
from .shape_only import ShapeOnly, imagenet_shape

__all__ = [
    "Dataset",
    "DatasetInfo",
    "Split",
    "TensorSplit",
    "FashionMNIST",
    "ImageFolderDataset",
    "DataError",
    "ShapeOnly",
    "read_idx",
    "class_indices",
    "real_image_indices",
    "get_dataset",
    "with_size",
    "folder_parts",
    "EMBEDDED_DATASET",
]

EMBEDDED_DATASET = _FASHION_MNIST.name  # the default everywhere: offline, on a laptop CPU, with the shipped zoo
_CACHE: dict[str, Dataset] = {}


def folder_parts(name: str) -> tuple[str, str]:
    """`folder:/path[:SIZE]` -> (path, SIZE or "")."""
    rest = name[len("folder:") :]
    path, _, size = rest.rpartition(":")
    return (path, size) if size.isdigit() and path else (rest, "")


def with_size(name: str, size: int) -> str:
    """The same dataset at another image size (`imagenet_shape:SIZE`, `folder:/path:SIZE`); others unchanged."""
    if name == "imagenet_shape" or name.startswith("imagenet_shape:"):
        return f"imagenet_shape:{size}"
    if name.startswith("folder:"):
        return f"folder:{folder_parts(name)[0]}:{size}"
    return name


def get_dataset(name: str = EMBEDDED_DATASET, image_size: int | None = None) -> Dataset:
    """`fashion_mnist`, `folder:/path/to/root[:SIZE]` for an ImageFolder tree (resized to SIZE px; without it, the
    images' own size up to 224 px), or `imagenet_shape[:SIZE]` (ImageNet-1K's shape, 224 px unless SIZE is given,
    no images: noise init only). Cached per process."""
    key = f"{name}@{image_size}"
    if key not in _CACHE:
        if name == EMBEDDED_DATASET:
            _CACHE[key] = FashionMNIST()
        elif name == "imagenet_shape" or name.startswith("imagenet_shape:"):
            size = name.partition(":")[2]
            if size and not (size.isdigit() and 32 <= int(size) <= 1024):
                raise DataError(
                    f"{name!r}: the image size after 'imagenet_shape:' must be a whole number of pixels, 32-1024"
                )
            _CACHE[key] = imagenet_shape(int(size) if size else image_size or 224)
        elif name.startswith("folder:"):
            path, size = folder_parts(name)
            if size and not MIN_SIZE <= int(size) <= 1024:
                raise DataError(f"{name!r}: the image size after the folder must be {MIN_SIZE}-1024 pixels")
            _CACHE[key] = ImageFolderDataset(Path(path), image_size=int(size) if size else image_size)
        else:
            raise DataError(
                f"unknown dataset {name!r}; use '{EMBEDDED_DATASET}', 'imagenet_shape' or 'folder:/path/to/imagefolder'"
            )
    return _CACHE[key]
