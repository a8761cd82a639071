"""The optimiser setting per init for small images, the one table that the benchmark, the priors grid, the app's
presets and the shipped examples use, so two runs differ only in the method or only in the init.

From noise: SRe2L's small-image recipe (lr 1.0, r_bn 0.1, 300 steps; tuned in benchmarks/defaults.py so that a
held-out zoo model recognises noise-born images). From real images: PRISM's learning rate (lr 0.05, r_bn 0.01, 100
steps; more steps move the images no further from their start on this zoo). G-VBSM keeps its own small-image recipe
from noise (lr 0.25, 1,000 steps: each of its 4 backbones needs ~250 steps of its own) and gets 400 steps from real
images (the real-init 100 steps per backbone).
"""

from __future__ import annotations

from .methods import GVBSM, PRISM, SRe2L


def _setting(recipe: dict, init: str, **changes) -> dict:
    return {"init": init, **{k: recipe[k] for k in ("lr", "r_bn", "iterations")}, **changes}


# each value is read from the method recipe it comes from, its one home
_NOISE, _REAL = _setting(SRe2L().recipe(small=True), "noise"), _setting(PRISM().recipe(small=True), "first")
INIT_SETTINGS = {"noise": _NOISE, "real": _REAL}
GVBSM_INIT_SETTINGS = {
    "noise": _setting(GVBSM().recipe(small=True), "noise"),
    # the real-init steps for each of its backbones in turn
    "real": {**_REAL, "iterations": _REAL["iterations"] * len(GVBSM.defaults["bn_pool"])},
}
