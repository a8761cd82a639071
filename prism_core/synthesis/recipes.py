"""Recipe defaults filled into a config: each method is a configuration of the same engine, not a copy of it.

The published ImageNet values (methods.md) hold at ImageNet scale. For small images (<= 64 px, the
embedded 32 px Fashion-MNIST zoo) the augmentation is milder (crop scale 0.5-1, roll <= 2 px: a 0.08 crop
of 32 px is a 9 px patch) and the noise-init recipes were tuned so that a held-out zoo model recognises
their images (benchmarks/defaults.py measures it); the iteration budgets fit 2 CPU cores. Each method's
values live on its object (methods.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import fields

from ..calibrated import Calibrated, init_kind
from ..selection import DEFAULT_SELECTOR, RULES
from .config import SynthConfig
from .types import Method

# Models that score real images for the selection rules when the default is not in a zoo: BN networks that are
# neither the usual primary (resnet18) nor the metrics' preferred extractor (convnext_atto) come first.
SELECTOR_PREFERENCE = (
    "regnetx_002",
    "lcnet_050",
    "ghostnet_050",
    "shufflenet_v2_x0_5",
    "mobilenetv2_050",
    "convnext_atto",
    "resnet18",
)


def resolve(cfg: SynthConfig, method: Method, image_size: int, num_classes: int) -> SynthConfig:
    """Fill every None with `method`'s default (the method `cfg` names), so the stored config is complete."""
    small = image_size <= 64
    defaults = method.recipe(small)
    changes = {f.name: defaults[f.name] for f in fields(cfg) if getattr(cfg, f.name) is None and f.name in defaults}
    if cfg.classes is None:
        changes["classes"] = tuple(range(num_classes))
    if cfg.jitter is None:
        changes["jitter"] = 2 if small else round(32 * image_size / 224)
    if cfg.crop_scale is None:
        changes["crop_scale"] = (0.5, 1.0) if small else (0.08, 1.0)
    return cfg.replace(**changes)


def calibrates(method: Method) -> bool:
    """Whether a method takes a workspace's calibrated recipe: those whose small-image recipe is the shared per-init
    setting (SRe2L, PRISM and PRISM balanced); G-VBSM keeps its own (four backbones in turn), a selection has none."""
    return method.optimises and method.shares_init_setting


def with_calibrated(
    cfg: SynthConfig, method: Method, calibrated: Calibrated | None, force: bool = False
) -> tuple[SynthConfig, str | None]:
    """`cfg` with the workspace's calibrated lr, r_bn and steps for its init (the method's default init when it names
    none): where `cfg` leaves them to the method, or all three with `force` (a benchmark row, whose setting is the
    protocol's), and the line that says so; unchanged where the workspace is not calibrated or the method takes none."""
    if calibrated is None or not calibrates(method):
        return cfg, None
    init = cfg.init or method.defaults.get("init")
    recipe = calibrated.recipes[init_kind(init)]
    fill = {k: getattr(recipe, k) for k in ("lr", "r_bn", "iterations") if force or getattr(cfg, k) is None}
    return (cfg.replace(**fill), calibrated.note(init)) if fill else (cfg, None)


def fit_to_zoo(
    cfg: SynthConfig, method: Method, teachers: Collection[str], calibrated: Calibrated | None = None
) -> tuple[SynthConfig, list[str]]:
    """`cfg` with its defaults fitted to a workspace's zoo (`teachers`), and a line for each choice made:
    - the method's default BN pool cut to the zoo (a pool the user named is kept, and refused later if need be);
    - the default selector, when the run's init scores images with it and the zoo lacks it, replaced by the first of
      SELECTOR_PREFERENCE in the zoo that is not the primary teacher (a user's selector is kept);
    - the workspace's calibrated lr, r_bn and steps for the run's init, where the run leaves them to the method."""
    cfg, note = with_calibrated(cfg, method, calibrated)
    notes = [note] if note else []
    pool = method.defaults.get("bn_pool")
    if cfg.bn_pool is None and pool:
        cut = tuple(t for t in pool if t in teachers)
        if cut != tuple(pool):
            notes.append(f"BN pool: {', '.join(cut) or 'none'} (the method's default, cut to the zoo)")
        cfg = cfg.replace(bn_pool=cut)
    init = cfg.init or method.defaults.get("init")
    scores = init in RULES and RULES[init].needs_selector  # only a rule that scores images loads the selector
    if scores and cfg.selector == DEFAULT_SELECTOR and DEFAULT_SELECTOR not in teachers:
        pick = next((t for t in SELECTOR_PREFERENCE if t in teachers and t != cfg.primary), None)
        pick = pick or next((t for t in sorted(teachers) if t != cfg.primary), None)
        if pick:
            notes.append(f"selector: {pick} (the default {DEFAULT_SELECTOR} is not in the zoo)")
            cfg = cfg.replace(selector=pick)
    return cfg, notes
