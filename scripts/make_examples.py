"""Generate the example runs shipped in assets/examples/ (SRe2L and PRISM on all 10 classes, each from noise
and from real images, each with its trajectory, and a herding selection of real images), their metrics, student
evaluations and first embedding, and the README's comparison figure, with the project's own engine and zoo.

    python scripts/make_examples.py [--ipc 5] [--runs example-herding,...]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from prism_core.data import get_dataset
from prism_core.evaluation import EvalConfig, evaluate_run
from prism_core.events import BatchDone, Evaluated
from prism_core.metrics import compute_metrics, default_extractor, embed_runs
from prism_core.metrics.embedding import DEFAULT_REAL_PER_CLASS
from prism_core.synthesis import SynthConfig, synthesize
from prism_core.synthesis.init_settings import INIT_SETTINGS
from prism_core.synthesis.runstore import Run, fair_pair, list_runs
from prism_core.viz import class_rows

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "assets" / "examples"
FIGURE = ROOT / "docs" / "img" / "prism_vs_sre2l.png"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ipc", type=int, default=5)
    ap.add_argument("--eval-seeds", type=int, default=2, help="student seeds per evaluation (ResNet-18, 300 epochs)")
    ap.add_argument("--runs", help="comma-separated: make only these again (default: every example)")
    args = ap.parse_args()
    # two init-matched pairs, each pair with one optimiser setting (the recipe default for that init), so that
    # method and initialisation can be seen apart: from noise (SRe2L's defaults) and from real images (PRISM's)
    noise, real = INIT_SETTINGS["noise"], INIT_SETTINGS["real"]
    runs = {
        "example-sre2l": SynthConfig(method="sre2l", ipc=args.ipc, seed=0, **noise),
        "example-prism": SynthConfig(method="prism", ipc=args.ipc, seed=0, **real),
        "example-prism-noise": SynthConfig(method="prism", ipc=args.ipc, seed=0, **noise),
        "example-sre2l-real": SynthConfig(method="sre2l", ipc=args.ipc, seed=0, **real),
        # the simple baseline the field now asks for: real images picked by herding, nothing optimised
        "example-herding": SynthConfig(method="herding", ipc=args.ipc, seed=0),
    }
    made = args.runs.split(",") if args.runs else list(runs)
    info = get_dataset("fashion_mnist").info
    for name in made:
        out = EXAMPLES / name
        if out.exists():
            shutil.rmtree(out)
        for event in synthesize(runs[name], out):
            if isinstance(event, BatchDone):
                print(f"{name}: batch {event.batch} done", flush=True)
        (out / "events.jsonl").unlink(missing_ok=True)  # keeps the shipped examples small
    panels = {}
    for name in ("example-sre2l", "example-prism-noise", "example-sre2l-real", "example-prism"):
        x, classes, ks = Run(EXAMPLES / name).pixels()
        panels[name] = class_rows(info.denormalize(x).clamp(0, 1), classes, ks, per_row=args.ipc)
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    side = np.full((panels["example-sre2l"].shape[0], 12, 3), 255, dtype=np.uint8)
    rows = [
        np.concatenate([panels[a], side, panels[b]], axis=1)  # SRe2L left, PRISM right
        for a, b in (("example-sre2l", "example-prism-noise"), ("example-sre2l-real", "example-prism"))
    ]
    below = np.full((12, rows[0].shape[1], 3), 255, dtype=np.uint8)
    picture = np.concatenate([rows[0], below, rows[1]], axis=0)  # from noise on top, from real images below
    Image.fromarray(picture).resize((picture.shape[1] * 3, picture.shape[0] * 3), Image.NEAREST).save(FIGURE)
    shipped = list_runs(EXAMPLES)
    for run in (Run(EXAMPLES / name) for name in made):  # what the Diversity page reads
        compute_metrics(run)
    for run in (Run(EXAMPLES / name) for name in made):  # the Results page on a first launch, beside random real
        for event in evaluate_run(run, EvalConfig(), seeds=args.eval_seeds, real_baseline=True):
            if isinstance(event, Evaluated):
                print(f"{run.name} {event.subject}: top-1 {event.mean:.1f} +- {event.std:.1f}", flush=True)
    # the Embeddings page's first picture (its default runs, a same-init pair, and 30 real images per class), so
    # that a first launch does not wait for UMAP's JIT; stale projections go
    pair = fair_pair(shipped)
    if {r.name for r in pair} & set(made):
        shutil.rmtree(EXAMPLES / ".embeddings", ignore_errors=True)
        embed_runs(pair, default_extractor(pair[0]), DEFAULT_REAL_PER_CLASS, [EXAMPLES / ".embeddings"])
    print(f"wrote {EXAMPLES} and {FIGURE}")


if __name__ == "__main__":
    main()
