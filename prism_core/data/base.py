"""The dataset interface that synthesis, training and evaluation share.

Images travel as float tensors in [0, 1] (N, C, H, W); models see them normalised with the
dataset's mean/std. Synthesis needs "the k-th real image of class c", evaluation needs the
test split, so a split exposes both class-ordered indices and batched loading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    class_names: tuple[str, ...]
    image_size: int
    channels: int
    mean: tuple[float, ...]
    std: tuple[float, ...]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def normalize(self, x01: torch.Tensor) -> torch.Tensor:
        return (x01 - self._stat(self.mean, x01)) / self._stat(self.std, x01)

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        return x * self._stat(self.std, x) + self._stat(self.mean, x)

    def pixel_bounds(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-channel [lo, hi] of valid pixels in normalised space (for clipping)."""
        m, s = self._stat(self.mean, like), self._stat(self.std, like)
        return -m / s, (1 - m) / s

    @staticmethod
    def _stat(values: Sequence[float], like: torch.Tensor) -> torch.Tensor:
        return torch.tensor(values, dtype=like.dtype, device=like.device).view(1, -1, 1, 1)


class Split(Protocol):
    """One split (train or test): labels up front, pixels on demand."""

    labels: np.ndarray

    def __len__(self) -> int: ...

    def load(self, indices: Sequence[int]) -> torch.Tensor:
        """Images at `indices` as float [0, 1], shape (len(indices), C, H, W)."""
        ...


def class_indices(split: Split, cls: int) -> np.ndarray:
    """Indices of a class's images in the split's own (stable) order."""
    return np.flatnonzero(split.labels == cls)


def real_image_indices(split: Split, pairs: Sequence[tuple[int, int]]) -> list[int]:
    """Map (class, k) pairs to split indices: the k-th image of each class, as PRISM's real init wants."""
    out = []
    for cls, k in pairs:
        idx = class_indices(split, cls)
        if k >= len(idx):
            raise IndexError(f"class {cls} has only {len(idx)} images; image #{k} does not exist")
        out.append(int(idx[k]))
    return out


class Dataset(Protocol):
    info: DatasetInfo

    def split(self, name: str) -> Split: ...


@dataclass
class TensorSplit:
    """A split held in memory as uint8 (N, C, H, W)."""

    images: torch.Tensor
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def load(self, indices: Sequence[int]) -> torch.Tensor:
        return self.images[torch.as_tensor(np.asarray(indices, dtype=np.int64))].float().div_(255)
