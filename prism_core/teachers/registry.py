"""Teacher architectures, registered by name in the spirit of timm's registry.

An entry says how to build a network (library, constructor, keyword arguments) and how grayscale
input reaches it; which weights it gets is decided in `weights.py`.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import torch.nn as nn


class TeacherError(ValueError):
    """A teacher cannot be used as asked; the message says why and what to do instead."""


@dataclass(frozen=True)
class TeacherSpec:
    name: str
    family: str
    source: str  # "timm" or "torchvision"
    constructor: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    # torchvision classifiers only take 3 channels: a 1-channel image is repeated to 3.
    native_channels: bool = True
    input_size: int = 32  # the size it is built and tested for (the zoo's 32 px; 224 for ImageNet entries)

    def constructor_kwargs(self, num_classes: int, in_chans: int) -> dict[str, Any]:
        """The exact keyword arguments, so anyone can rebuild the network without prism_core."""
        kw = dict(self.kwargs, num_classes=num_classes)
        if self.native_channels:
            kw["in_chans"] = in_chans
        return kw

    def model_channels(self, in_chans: int) -> int:
        return in_chans if self.native_channels else 3

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_REGISTRY: dict[str, TeacherSpec] = {}


def register_teacher(spec: TeacherSpec) -> TeacherSpec:
    if spec.name in _REGISTRY:
        raise TeacherError(f"teacher {spec.name!r} is already registered")
    if spec.source not in ("timm", "torchvision"):
        raise TeacherError(f"{spec.name}: unknown source {spec.source!r}")
    _REGISTRY[spec.name] = spec
    return spec


def list_teachers() -> list[str]:
    return sorted(_REGISTRY)


def get_spec(name: str) -> TeacherSpec:
    if name not in _REGISTRY:
        near = difflib.get_close_matches(name, _REGISTRY, n=3)
        hint = f" Did you mean {', '.join(near)}?" if near else ""
        raise TeacherError(f"unknown architecture {name!r}.{hint} Known: {', '.join(list_teachers())}")
    return _REGISTRY[name]


def build_network(spec: TeacherSpec, num_classes: int, in_chans: int) -> nn.Module:
    """A randomly initialised network for `spec` (weights are loaded separately)."""
    kwargs = spec.constructor_kwargs(num_classes, in_chans)
    if spec.source == "timm":
        import timm  # deferred: timm (and torchvision) take seconds to import

        return timm.create_model(spec.constructor, pretrained=False, **kwargs)
    import torchvision  # deferred: as above

    return torchvision.models.get_model(spec.constructor, weights=None, **kwargs)


def bn_layers(model: nn.Module) -> list[nn.Module]:
    """BatchNorm2d layers in module order (timm's BatchNormAct2d subclasses BatchNorm2d)."""
    return [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]


@cache
def bn_layer_count(name: str) -> int:
    return len(bn_layers(build_network(get_spec(name), num_classes=10, in_chans=1)))


# The Fashion-MNIST zoo and the ImageNet research path draw on these entries.
for _spec in (
    TeacherSpec("resnet18", "ResNet", "timm", "resnet18"),
    TeacherSpec("mobilenetv2_050", "MobileNetV2", "timm", "mobilenetv2_050"),
    TeacherSpec("mobilenetv2_100", "MobileNetV2", "timm", "mobilenetv2_100"),
    TeacherSpec("efficientnet_b0", "EfficientNet", "timm", "efficientnet_b0"),
    TeacherSpec("shufflenet_v2_x0_5", "ShuffleNetV2", "torchvision", "shufflenet_v2_x0_5", native_channels=False),
    TeacherSpec("regnetx_002", "RegNet", "timm", "regnetx_002"),
    TeacherSpec("lcnet_050", "LCNet", "timm", "lcnet_050"),
    TeacherSpec("ghostnet_050", "GhostNet", "timm", "ghostnet_050"),
    TeacherSpec("mobilenetv3_small_100", "MobileNetV3", "timm", "mobilenetv3_small_100"),
    TeacherSpec("convnext_atto", "ConvNeXt (LayerNorm, no BN)", "timm", "convnext_atto"),
    TeacherSpec(
        "vit_tiny_p4",
        "ViT (LayerNorm, no BN)",
        "timm",
        "vit_tiny_patch16_224",
        {"img_size": 32, "patch_size": 4, "depth": 6},
    ),
    # torchvision ImageNet classifiers, as the reference code uses them.
    TeacherSpec("tv_resnet18", "ResNet", "torchvision", "resnet18", native_channels=False, input_size=224),
    TeacherSpec("tv_mobilenet_v2", "MobileNetV2", "torchvision", "mobilenet_v2", native_channels=False, input_size=224),
    TeacherSpec(
        "tv_efficientnet_b0", "EfficientNet", "torchvision", "efficientnet_b0", native_channels=False, input_size=224
    ),
    TeacherSpec(
        "tv_shufflenet_v2_x0_5",
        "ShuffleNetV2",
        "torchvision",
        "shufflenet_v2_x0_5",
        native_channels=False,
        input_size=224,
    ),
    TeacherSpec("tv_alexnet", "AlexNet (no BN)", "torchvision", "alexnet", native_channels=False, input_size=224),
):
    register_teacher(_spec)
