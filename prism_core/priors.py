"""Architectural priors made visible: the same classes, seed, init and CE primary, with one BN teacher at a time.

    for event in render_priors(PriorsConfig(classes=(0, 1, 7)), out_dir): ...

Each row is a run under the output folder: `sre2l` (the primary is its own BN teacher), one run per other BN
teacher of the zoo (that teacher the only one in PRISM's BN set), and `prism-mixture` (PRISM's drawn sets from the
whole pool). Every row shares one recipe, one plan and so one init, so what differs between rows is the BN
teacher's prior. `priors.png` is the grid (real images first, then a row per teacher, a column per class) and
`priors.json` each row's held-out recognisability and intra-class diversity.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .atomic import atomic_json, replacing
from .data import EMBEDDED_DATASET, class_indices, get_dataset
from .events import PriorMeasure, PriorRow
from .features import extract_features
from .fields import opt
from .metrics.diversity import intra_class_cosine, summarize
from .metrics.run_metrics import run_images01
from .synthesis import ConfigError, SynthConfig, prepare, synthesize
from .synthesis.init_settings import INIT_SETTINGS
from .synthesis.methods import ZOO_POOL
from .synthesis.runstore import Run
from .teachers import create_teacher, read_manifest, zoo_dir_of
from .training import predict
from .viz import to_rgb_u8

# one optimiser setting per init, shared by every row (the step count is the priors config's own)
RECIPE = {init: dict(lr=s["lr"], r_bn=s["r_bn"]) for init, s in INIT_SETTINGS.items()}
LABELS = {"sre2l": "{primary} (SRe2L)", "prism-mixture": "PRISM mixture"}


@dataclass(frozen=True)
class PriorsConfig:
    classes: tuple[int, ...] | None = opt(None, "class ids (default: all)")
    ipc: int = opt(2, "images per class in every row")
    seed: int = opt(0, "the one seed (and so the one init) of every row")
    iterations: int = opt(300, "optimisation steps per batch")
    init: str = opt("noise", "noise (the prior shows) or real images (the init shows)", ("noise", "real"))
    primary: str = opt("resnet18", "the CE teacher of every row")
    # held-out: BN-free, so never a BN teacher; must not be the primary
    judge: str = opt("convnext_atto", "held-out model that scores each row (takes no part)")
    dataset: str = EMBEDDED_DATASET
    weights: str = "zoo"  # the zoo whose BN teachers make the rows ("zoo:/path" for another one)


@dataclass(frozen=True)
class StoredPriors:
    """priors.json: the config every row shared and each row's measurements, by run name."""

    config: PriorsConfig
    rows: dict[str, PriorMeasure]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> StoredPriors:
        c = d["config"]
        config = PriorsConfig(**{k: tuple(v) if k == "classes" and v is not None else v for k, v in c.items()})
        return cls(config, {name: PriorMeasure.from_json(m) for name, m in d["rows"].items()})

    def to_json(self) -> dict[str, Any]:
        return {"config": asdict(self.config), "rows": {name: m.to_json() for name, m in self.rows.items()}}


def row_configs(cfg: PriorsConfig) -> dict[str, SynthConfig]:
    """Row name -> its run's configuration; rows differ only in who supplies the BN statistics."""
    if cfg.init not in RECIPE:
        raise ConfigError(f"init must be 'noise' or 'real', not {cfg.init!r}")
    if cfg.judge == cfg.primary:
        raise ConfigError(f"the judge ({cfg.judge}) must take no part in the runs; choose another primary or judge")
    zoo_dir = zoo_dir_of(cfg.weights)
    if zoo_dir is None:
        raise ConfigError(f"the priors grid needs a zoo of BN teachers; {cfg.weights!r} names none")
    zoo = read_manifest(zoo_dir).teachers
    bn_teachers = [n for n, e in zoo.items() if e.bn_layers and n != cfg.primary]
    base = SynthConfig(
        method="prism",
        dataset=cfg.dataset,
        weights=cfg.weights,
        primary=cfg.primary,
        ipc=cfg.ipc,
        classes=cfg.classes,
        seed=cfg.seed,
        iterations=cfg.iterations,
        init=cfg.init,
        snapshots=0,
        **RECIPE[cfg.init],
    )
    rows = {"sre2l": base.replace(method="sre2l", bn_pool=())}
    for name in bn_teachers:
        rows[name] = base.replace(bn_pool=(name,), include_primary=False, subset_rule="k", subset_k=1)
    rows["prism-mixture"] = base.replace(bn_pool=tuple(n for n in ZOO_POOL if n in bn_teachers) or tuple(bn_teachers))
    return rows


def render_priors(cfg: PriorsConfig, out: Path | str) -> Iterator[object]:
    """Synthesise every row into `out` (resuming finished rows), then write priors.json and priors.png. Yields the
    engine's events and a PriorRow after each row. Every row is validated before anything is written."""
    out = Path(out)
    rows = row_configs(cfg)
    prepared = {name: prepare(c) for name, c in rows.items()}  # bad classes, teachers, IPC: refused here
    info = get_dataset(cfg.dataset).info
    judge = create_teacher(cfg.judge, info, weights=cfg.weights).model
    measured = {}
    for i, (name, p) in enumerate(prepared.items()):
        yield from synthesize(
            p, out / name, overwrite=Run(out / name).exists() and Run(out / name).config() != p.config
        )
        x, classes, _ = run_images01(Run(out / name))
        cosine = summarize(intra_class_cosine(extract_features(judge, x, info), classes)).mean
        measured[name] = PriorMeasure(
            LABELS.get(name, name).format(primary=cfg.primary),
            tuple(p.method.bn_pool(p.config)),
            float((predict(judge, x, info).numpy() == classes).mean() * 100),
            None if np.isnan(cosine) else cosine,  # one image per class
        )
        yield PriorRow(name, i, len(prepared), measured[name])
    atomic_json(out / "priors.json", StoredPriors(cfg, measured).to_json())
    with replacing(out / "priors.png") as tmp:
        Image.fromarray(priors_picture(out)).save(tmp, format="PNG")


def priors_picture(out: Path | str, scale: int = 3) -> np.ndarray:
    """The grid of a rendered priors folder: a label column, then per class its IPC images side by side."""
    out = Path(out)
    stored = StoredPriors.from_json(json.loads((out / "priors.json").read_text()))
    cfg = stored.config
    ds = get_dataset(cfg.dataset)
    train = ds.split("train")
    classes = cfg.classes or tuple(range(ds.info.num_classes))
    real = train.load(np.concatenate([class_indices(train, c)[: cfg.ipc] for c in classes]))
    rows = [("real images", None, real)]
    for name, m in stored.rows.items():
        x, _, _ = run_images01(Run(out / name))
        cosine = "-" if m.intra_class_cosine is None else f"{m.intra_class_cosine:.2f}"
        rows.append((m.label, f"{cfg.judge}: {m.judge_top1:.0f}%, cos {cosine}", x))
    tiles = [to_rgb_u8(x) for _, _, x in rows]
    h, w = tiles[0].shape[1:3]
    label_w, gap, pad = 60, 4, 2
    cell = cfg.ipc * (w + pad)
    width, height = label_w + len(classes) * (cell + gap), 14 + len(rows) * (h + pad + 4)
    canvas = np.full((height, width, 3), 255, np.uint8)
    for r, row_tiles in enumerate(tiles):
        top = 14 + r * (h + pad + 4)
        for i, tile in enumerate(row_tiles):
            c, k = divmod(i, cfg.ipc)
            left = label_w + c * (cell + gap) + k * (w + pad)
            canvas[top : top + h, left : left + w] = tile
    picture = Image.fromarray(canvas).resize((width * scale, height * scale), Image.NEAREST)
    draw, font, small = ImageDraw.Draw(picture), ImageFont.load_default(size=15), ImageFont.load_default(size=12)
    names = ds.info.class_names
    for c, cls in enumerate(classes):
        draw.text(((label_w + c * (cell + gap)) * scale, 8), names[cls][:14], fill=(0, 0, 0), font=font)
    for r, (name, note, _) in enumerate(rows):
        top = (14 + r * (h + pad + 4)) * scale
        draw.text((4, top + 6), name, fill=(0, 0, 0), font=font)
        if note:
            draw.text((4, top + 28), note, fill=(90, 90, 90), font=small)
    return np.asarray(picture)


def stored_priors(out: Path | str) -> StoredPriors | None:
    """priors.json of a rendered folder, or None."""
    path = Path(out) / "priors.json"
    try:
        return StoredPriors.from_json(json.loads(path.read_text()))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
