"""Before a run exists: resolve a config's defaults, validate it and load its teachers and init images, so that every
mistake is refused before anything is written."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..data import Dataset, class_indices, get_dataset
from ..distributed import local_device
from ..selection import Picked, SelectionError, Selector, get_rule
from ..teachers import Teacher, TeacherCache, TeacherError, create_teacher, get_spec
from ..teachers.registry import bn_layer_count
from .config import ConfigError, SynthConfig, validate
from .methods import get_method
from .plan import make_plan
from .recipes import resolve
from .types import Method, Prepared


def teacher_names(cfg: SynthConfig, method: Method) -> list[str]:
    """The primary, then the BN pool's other teachers: every model a run loads."""
    return [cfg.primary] + [n for n in method.bn_pool(cfg) if n != cfg.primary]


def models_loaded(cfg: SynthConfig, method: Method) -> list[str]:
    """Every model a run of the resolved `cfg` loads: its teachers, and the selector where its init rule scores
    images (`_pick_init`)."""
    rule = get_rule(cfg.init) if cfg.init != "noise" else None
    return teacher_names(cfg, method) + ([cfg.selector] if rule is not None and rule.needs_selector else [])


def check(cfg: SynthConfig) -> tuple[SynthConfig, Dataset, Method]:
    """Resolve defaults and validate all that needs no teacher's weights: what a job queue checks when a run is
    submitted, in milliseconds, before a worker process loads anything."""
    dataset = get_dataset(cfg.dataset)
    info = dataset.info
    method = get_method(cfg.method)
    cfg = resolve(cfg, method, info.image_size, info.num_classes)
    validate(cfg, info.num_classes)
    if cfg.multires_size and not 8 <= cfg.multires_size < info.image_size:
        raise ConfigError(
            f"multires_size {cfg.multires_size} must lie between 8 px and the image size ({info.image_size} px), "
            "or be 0 (off)"
        )
    bn_pool = method.bn_pool(cfg)
    names = teacher_names(cfg, method)
    for name in names:
        get_spec(name)  # unknown architecture: a clear error before anything loads
    for name in bn_pool:
        if bn_layer_count(name) == 0:
            raise ConfigError(
                f"{name} has no BatchNorm layers, so it cannot be a BN teacher; "
                f"use it as the primary (logit) teacher instead, or remove it from the BN pool"
            )
    method.check(cfg)
    stray = sorted(set(cfg.checkpoints or {}) - set(names))
    if stray:
        raise ConfigError(
            f"checkpoints given for {', '.join(stray)}, which take no part in this run "
            f"(its teachers: {', '.join(names)})"
        )
    if method.optimises and cfg.iterations == 0:
        raise ConfigError(
            f"iterations must be a positive integer for {method.name}, which optimises, got 0; to keep "
            "real images as they are, run a selection (--method random, herding, kcenter, easy, ...)"
        )
    if cfg.init != "noise":
        train = dataset.split("train")
        short = {c: len(class_indices(train, c)) for c in cfg.classes if len(class_indices(train, c)) < cfg.ipc}
        if short:
            raise ConfigError(
                f"real-image init needs {cfg.ipc} training images per class, but classes {short} "
                "have fewer; lower the IPC or use noise init"
            )
    return cfg, dataset, method


def prepare(cfg: SynthConfig, cache: TeacherCache | None = None) -> Prepared:
    """Check the config (`check`), then load its teachers (through `cache` when given) and init images; raises
    before any run exists."""
    cfg, dataset, method = check(cfg)
    info = dataset.info
    names = teacher_names(cfg, method)
    device = local_device(cfg.device)
    load = cache.get if cache is not None else create_teacher
    weights = {name: (cfg.checkpoints or {}).get(name, cfg.weights) for name in names}
    teachers = {name: load(name, info, weights=weights[name], device=device) for name in names}
    for teacher in teachers.values():
        teacher.model.to(memory_format=torch.channels_last if cfg.channels_last else torch.contiguous_format)
    return Prepared(
        cfg, dataset, teachers, make_plan(cfg, method), method, device, init=_pick_init(cfg, dataset, load, device)
    )


def _pick_init(
    cfg: SynthConfig, dataset: Dataset, load: Callable[..., Teacher], device: torch.device
) -> dict[int, Picked] | None:
    """The selection rule's real images per class (its selector loaded only when the rule scores images)."""
    if cfg.init == "noise":
        return None
    rule = get_rule(cfg.init).configured(cfg.kcenter_start)
    selector = None
    if rule.needs_selector:
        try:
            model = load(cfg.selector, dataset.info, weights=cfg.weights, device=device).model
        except (TeacherError, ValueError) as err:
            raise ConfigError(
                f"the {rule.name} rule embeds and scores images with the selector {cfg.selector}, which "
                f"cannot load ({err}); name another with --selector (or `selector` in the workspace)"
            ) from None
        selector = Selector(model, dataset.info)
    try:
        return rule.pick(dataset.split("train"), cfg.classes, cfg.ipc, cfg.seed, selector, cfg.candidates)
    except SelectionError as err:
        raise ConfigError(str(err)) from None
