"""A dataset with a shape and no images: ImageNet-1K's (1,000 classes, 3 x 224 x 224) for noise-init synthesis,
benchmarks and tests of the research path where no ImageNet copy is at hand."""

from __future__ import annotations

from dataclasses import dataclass

from .base import DatasetInfo
from .idx import DataError
from .image_folder import IMAGENET_MEAN, IMAGENET_STD


@dataclass
class ShapeOnly:
    info: DatasetInfo

    def split(self, name: str):
        raise DataError(
            f"{self.info.name} has no images (it only gives the shape): use noise init, or "
            "--dataset folder:/path/to/imagenet for real images"
        )


def imagenet_shape(image_size: int = 224) -> ShapeOnly:
    return ShapeOnly(
        DatasetInfo(
            "imagenet_shape", tuple(f"class_{i:03d}" for i in range(1000)), image_size, 3, IMAGENET_MEAN, IMAGENET_STD
        )
    )
