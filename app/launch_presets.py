"""Named Launch settings: the Launch page's preset buttons and the Tour's "Try it" fill the same form with them."""

from __future__ import annotations

import streamlit as st
from forms import fill

from prism_core.synthesis import SynthConfig, get_method, resolve
from prism_core.synthesis.init_settings import INIT_SETTINGS

DEMO_CLASSES = ["T-shirt/top", "Trouser", "Sneaker"]  # three shapes that differ at a glance
# the examples' optimiser setting per init (each preset sets its own step count)
NOISE, REAL = ({k: v for k, v in INIT_SETTINGS[i].items() if k != "iterations"} for i in ("noise", "real"))

PRESETS = {
    "Quick demo": dict(method="prism", ipc=2, iterations=60, baseline=True, **REAL),
    "Paper settings": dict(method="prism", ipc=10, iterations=None, baseline=True, **REAL),
    "SRe2L from noise": dict(method="sre2l", ipc=2, iterations=200, baseline=False, classes=DEMO_CLASSES, **NOISE),
    "PRISM vs SRe2L from noise": dict(
        method="prism", ipc=2, iterations=200, baseline=True, classes=DEMO_CLASSES, **NOISE
    ),
    # ImageNet-size workspaces (> 64 px): a few classes, IPC 1, the published noise recipe (bf16 and compiled
    # teachers are ticked on a GPU)
    "ImageNet-size demo": dict(
        method="prism", ipc=1, iterations=300, baseline=True, classes=3, large=True, init="noise", lr=0.25, r_bn=0.01
    ),
}


def apply_preset(name: str, info) -> None:
    """Fill the Launch form with preset `name`: its config fields (None takes the recipe's value), an integer `classes`
    meaning the dataset's first that many, and whether the SRe2L baseline runs beside it."""
    p = PRESETS[name]
    m = p["method"]
    recipe = resolve(SynthConfig(method=m), get_method(m), info.image_size, info.num_classes)
    classes = p.get("classes") or len(info.class_names)
    fill(
        {
            "method": m,
            "ipc": p["ipc"],
            "seed": 0,
            "iterations": p["iterations"] or recipe.iterations,
            "init": p["init"],
            "lr": p["lr"],
            "r_bn": p["r_bn"],
            "classes": list(info.class_names)[:classes] if isinstance(classes, int) else classes,
        },
        m,
    )
    st.session_state["w_baseline"] = p["baseline"]
