"""Named starting configurations: the papers' ImageNet-1K research settings and the app's demo settings.

The ImageNet presets follow methods.md sections 2, 3 and 5 (torchvision ImageNet teachers, batch 100,
4,000 steps, the published learning rates and initialisations); give them an ImageNet ImageFolder with
`--dataset folder:/path/to/imagenet` (train/ for real init, val/ for evaluation) and the teachers' weights
(`--weights pretrained` reads the torch hub cache; offline it fails at once, naming the cache folders).
One departure: PRISM's official pool also lists AlexNet, which has no BN layers (it only dilutes the BN
term, methods.md 5.2); this engine refuses BN-free BN teachers, so the preset leaves it out.
"""

from __future__ import annotations

from .config import ConfigError, SynthConfig

IMAGENET_POOL = ("tv_mobilenet_v2", "tv_efficientnet_b0", "tv_shufflenet_v2_x0_5")
_IMAGENET = dict(
    primary="tv_resnet18",
    weights="pretrained",
    iterations=4000,
    batch_size=100,
    r_bn=0.01,
    first_bn_multiplier=10.0,
    crop_scale=(0.08, 1.0),
    jitter=32,
)

PRESETS: dict[str, SynthConfig] = {
    "sre2l-imagenet": SynthConfig(
        method="sre2l", bn_pool=(), lr=0.25, init="noise", batch_formation="cross-class", **_IMAGENET
    ),
    "prism-imagenet": SynthConfig(
        method="prism",
        bn_pool=IMAGENET_POOL,
        subset_rule="official",
        lr=0.05,
        init="first",
        vary_iterations=True,
        batch_formation="cross-class",
        **_IMAGENET,
    ),
    "gvbsm-imagenet": SynthConfig(
        method="gvbsm",
        bn_pool=("tv_resnet18", *IMAGENET_POOL),
        lr=0.1,
        init="noise",
        batch_formation="class-grouped",
        ema_alpha=0.4,
        dd_tau=4.0,
        **{**_IMAGENET, "batch_size": 80},
    ),
}


def preset(name: str) -> SynthConfig:
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
    return PRESETS[name]
