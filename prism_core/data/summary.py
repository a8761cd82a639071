"""What a dataset holds, in one line: the first thing `teachers train` and `workspaces check` say about a folder."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Dataset
from .idx import DataError


@dataclass(frozen=True)
class DatasetSummary:
    name: str
    classes: int
    train_images: int
    test_images: int | None  # None: the dataset has no test split
    image_size: int
    channels: int
    size_measured: bool  # the images' own size (no SIZE in the name)

    def line(self) -> str:
        test = f"{self.test_images:,} test images" if self.test_images is not None else "no test split"
        size = f"{self.image_size} px"
        if self.size_measured:
            size += f" (the images' own size; {self.name}:SIZE chooses another)"
        channels = f"{self.channels} channel{'s' if self.channels > 1 else ''}"
        return f"{self.name}: {self.classes} classes, {self.train_images:,} train and {test}, {channels}, {size}"


def summarize(name: str, dataset: Dataset) -> DatasetSummary:
    info = dataset.info
    try:
        test = len(dataset.split("test"))
    except DataError:
        test = None
    return DatasetSummary(
        name,
        info.num_classes,
        len(dataset.split("train")),
        test,
        info.image_size,
        info.channels,
        bool(getattr(dataset, "size_measured", False)),
    )
