"""Pinned outputs: a short hash of every recipe's PNG pixels for a small zoo run on the CPU.

The hashes were computed on the code before the engine was restructured (persistent statistics hooks,
the compiled path); an engine change that alters any recipe's images by one grey level fails here.
"""
import hashlib

import numpy as np
import pytest
import torch
from PIL import Image

from prism_core.runstore import Run
from prism_core.synthesis import SynthConfig, synthesize

SMALL = dict(ipc=2, classes=(0, 3, 7), iterations=6, log_every=3, seed=5)
RECIPES = {
    "sre2l": SynthConfig(method="sre2l", **SMALL),
    "prism-pre": SynthConfig(method="prism", selection="pre", **SMALL),
    "prism-intra": SynthConfig(method="prism", selection="intra", reselect_every=2, **SMALL),
    "prism-k-noise": SynthConfig(method="prism", subset_rule="k", subset_k=2, init="noise", **SMALL),
    "gvbsm": SynthConfig(method="gvbsm", stats_images=64, **SMALL),
}
GOLDEN = {
"sre2l": "7e5d9c019eef8462",
    "prism-pre": "fc1958a5cc129bf8",
    "prism-intra": "b4e13412043c3cdb",
    "prism-k-noise": "939d51d40aad8329",
    "gvbsm": "f4631244ade322d6",
}


def png_hash(run: Run) -> str:
    h = hashlib.sha256()
    for path in sorted(run.path.glob("images/*/*.png")):
        h.update(str(path.relative_to(run.path)).encode())
        h.update(np.asarray(Image.open(path)).tobytes())
    return h.hexdigest()[:16]


@pytest.mark.parametrize("name", list(RECIPES))
def test_recipe_images_are_unchanged(name, tmp_path, fmnist):
    torch.set_num_threads(2)
    run = Run(tmp_path / name)
    list(synthesize(RECIPES[name], run.path))
    assert png_hash(run) == GOLDEN[name]
