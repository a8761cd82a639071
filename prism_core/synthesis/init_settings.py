"""The optimiser setting per init for small images, the one table that the benchmark, the priors grid, the app's
presets and the shipped examples use, so two runs differ only in the method or only in the init.

From noise: SRe2L's small-image recipe (lr 1.0, r_bn 0.1, 300 steps; tuned in benchmarks/defaults.py so that a
held-out zoo model recognises noise-born images). From real images: PRISM's learning rate (lr 0.05, r_bn 0.01, 100
steps; more steps move the images no further from their start on this zoo). G-VBSM keeps its own small-image recipe
from noise (lr 0.25, 1,000 steps: each of its 4 backbones needs ~250 steps of its own) and gets 400 steps from real
images (the real-init 100 steps per backbone).
"""

from __future__ import annotations

INIT_SETTINGS = {
    "noise": dict(init="noise", lr=1.0, r_bn=0.1, iterations=300),
    "real": dict(init="first", lr=0.05, r_bn=0.01, iterations=100),
}
GVBSM_INIT_SETTINGS = {
    "noise": dict(init="noise", lr=0.25, r_bn=0.1, iterations=1000),
    "real": dict(init="first", lr=0.05, r_bn=0.01, iterations=400),
}
