"""Student networks, built fresh for every evaluation seed (never through the teacher loader).

Any registered architecture can be a student, and so can two families that no method uses as a teacher:
the classic dataset-distillation ConvNet (depth x [conv 3x3, instance norm, ReLU, 2x2 average pool], width 128),
the field's standard student on small images, and a small vision transformer (no convolution, no batch norm), the
cross-architecture check that images do not carry only the convolutional teachers' priors.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn as nn

from ..data import DatasetInfo
from ..teachers.registry import TeacherError, build_network, get_spec
from ..teachers.teacher import InputAdapter


def convnet(num_classes: int, in_chans: int, image_size: int, width: int = 128, depth: int = 3) -> nn.Module:
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [
            nn.Conv2d(in_chans if i == 0 else width, width, 3, padding=1),
            nn.GroupNorm(width, width, affine=True),  # instance norm with learned scale, as the DD code
            nn.ReLU(inplace=True),
            nn.AvgPool2d(2),
        ]
    side = image_size // 2**depth
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(width * side * side, num_classes))


def vit(num_classes: int, in_chans: int, image_size: int, width: int = 128, depth: int = 6) -> nn.Module:
    """A ViT sized like the ConvNet (about 40 M multiply-adds per 32 px image): patch 4, 4 heads, MLP ratio 2."""
    # deferred: timm (and torchvision) take seconds to import
    from timm.models.vision_transformer import VisionTransformer

    return VisionTransformer(
        img_size=image_size,
        patch_size=4,
        in_chans=in_chans,
        num_classes=num_classes,
        embed_dim=width,
        depth=depth,
        num_heads=4,
        mlp_ratio=2.0,
    )


# students that are not teacher architectures: name -> builder(num_classes, in_chans, image_size)
STUDENTS: dict[str, Callable[[int, int, int], nn.Module]] = {"convnet": convnet, "vit": vit}


def create_student(name: str, info: DatasetInfo, seed: int) -> nn.Module:
    """A trainable network taking the dataset's normalised images, initialised from `seed` alone."""
    if name in STUDENTS:  # built under the seed, with the family's own initialisation
        torch.manual_seed(seed)
        net, repeat = STUDENTS[name](info.num_classes, info.channels, info.image_size), 1
    else:
        try:
            spec = get_spec(name)
        except TeacherError as err:
            raise TeacherError(f"{err}; or a student-only network: {', '.join(sorted(STUDENTS))}") from None
        with torch.random.fork_rng():
            torch.manual_seed(0)
            net = build_network(spec, info.num_classes, info.channels)
        repeat = spec.model_channels(info.channels) // info.channels
        torch.manual_seed(seed)
        for m in net.modules():  # every seed its own initialisation, whatever the builder drew
            if hasattr(m, "reset_parameters"):
                m.reset_parameters()
    return InputAdapter(net, info, info.mean, info.std, repeat=repeat).train()
