"""The bench cases (ImageNet-shaped SRe2L and PRISM with random weights, Fashion-MNIST PRISM defaults) and the
engine variants a case runs in."""

from __future__ import annotations

from dataclasses import dataclass

from ..data import get_dataset, with_size
from ..synthesis import SynthConfig


@dataclass(frozen=True)
class Case:
    name: str
    config: SynthConfig
    what: str


def cases(steps: int, device: str, imagenet_size: int | None = None) -> dict[str, Case]:
    """The benchmark cases; `imagenet_size` (say 64) shrinks the ImageNet ones from ImageNet's size (CPU checks)."""
    dataset = with_size("imagenet_shape", imagenet_size) if imagenet_size else "imagenet_shape"
    px = get_dataset(dataset).info.image_size
    imagenet = dict(
        dataset=dataset,
        weights="random",
        ipc=1,
        classes=tuple(range(100)),
        iterations=steps,
        init="noise",
        device=device,
        log_every=steps,
        snapshots=0,  # no trajectory frames: each is a device-to-host copy, and the reference keeps none
    )
    return {
        "sre2l-imagenet": Case(
            "sre2l-imagenet",
            SynthConfig(method="sre2l", primary="tv_resnet18", **imagenet),
            f"SRe2L, ResNet-18, {px} px, 1,000 classes, batch 100, random weights",
        ),
        "prism4-imagenet": Case(
            "prism4-imagenet",
            SynthConfig(
                method="prism",
                primary="tv_resnet18",
                subset_rule="k",
                subset_k=4,
                bn_pool=("tv_mobilenet_v2", "tv_efficientnet_b0", "tv_shufflenet_v2_x0_5"),
                **imagenet,
            ),
            f"PRISM, S = {{ResNet-18, MobileNetV2, EfficientNet-B0, ShuffleNetV2}} every step, {px} px, batch 100",
        ),
        "fmnist-defaults": Case(
            "fmnist-defaults",
            SynthConfig(method="prism", iterations=steps, log_every=steps, snapshots=0, device=device),
            "PRISM defaults on Fashion-MNIST (zoo teachers, IPC 10, all classes)",
        ),
    }


def variant_config(cfg: SynthConfig, variant: str) -> SynthConfig:
    """ "bf16+compile" -> the engine options it names: fp32|bf16, cl (channels_last), compile, cudagraphs
    (compile with CUDA graphs), step (the whole step compiled: graph="step"), packN (N reference batches per
    forward; the case's IPC is raised to N so that there are N to pack: the figures are rates, so they compare with
    the reference's)."""
    parts = set(variant.split("+"))
    packs = {p for p in parts if p.startswith("pack") and p[4:].isdigit() and int(p[4:]) > 0}
    unknown = parts - packs - {"fp32", "bf16", "cl", "compile", "cudagraphs", "step"}
    compiled = parts & {"compile", "cudagraphs"}
    if unknown or len(parts & {"fp32", "bf16"}) > 1 or len(packs) > 1 or ("step" in parts and not compiled):
        raise ValueError(
            f"unknown bench variant {variant!r}: join fp32|bf16, cl, compile, cudagraphs, step (with compile or "
            "cudagraphs) or packN with '+'"
        )
    mode = "reduce-overhead" if "cudagraphs" in parts else "default" if "compile" in parts else "off"
    pack = int(packs.pop()[4:]) if packs else 1
    return cfg.replace(
        precision="bf16" if "bf16" in parts else "fp32",
        channels_last="cl" in parts,
        compile=mode,
        graph="step" if "step" in parts else "teachers",
        pack=pack,
        ipc=max(cfg.ipc, pack),
    )
