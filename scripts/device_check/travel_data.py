"""A Fashion-MNIST small enough to travel with the working tree to the device machine, which reaches nothing."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np


def pack_fashion_mnist(out: Path, per_class: int = 1000) -> None:
    """The full test split and the first `per_class` training images of each class, as IDX files (the whole
    training split would push the travelling tree over its 64 MiB)."""
    from prism_core.data import FashionMNIST

    ds = FashionMNIST()
    out.mkdir(parents=True, exist_ok=True)

    def write(stem: str, array: np.ndarray) -> None:
        header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
        (out / f"{stem}.gz").write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0))

    for split, prefix in (("train", "train"), ("test", "t10k")):
        s = ds.split(split)
        keep = (
            np.concatenate([np.flatnonzero(s.labels == c)[:per_class] for c in range(10)])
            if split == "train"
            else np.arange(len(s.labels))
        )
        keep.sort()
        write(f"{prefix}-images-idx3-ubyte", s.images[keep, 0, 2:30, 2:30].numpy())
        write(f"{prefix}-labels-idx1-ubyte", s.labels[keep])
    print(f"wrote {out}: {sum(f.stat().st_size for f in out.iterdir()) / 2**20:.1f} MiB")
