"""The landing page: a five-step story over the shipped runs, each step a picture, a few sentences and a "Try it"."""

import numpy as np
import pandas as pd
import streamlit as st
from common import EXAMPLES_DIR, PRIORS_DIR, class_frames, class_images, dataset, run_mtime
from launch_presets import DEMO_CLASSES, apply_preset

from prism_core.data import class_indices
from prism_core.evaluation import stored_evaluations
from prism_core.images import to_uint8
from prism_core.metrics import compute_metrics
from prism_core.priors import priors_picture, stored_priors
from prism_core.synthesis.runstore import Run
from prism_core.viz import gif_bytes, grid
from prism_core.workspaces import EMBEDDED_WORKSPACE

ds = dataset(EMBEDDED_WORKSPACE.dataset)  # the tour tells the embedded story, whatever the workspace
info = ds.info
EXAMPLES = {
    name: Run(EXAMPLES_DIR / name)
    for name in ("example-sre2l", "example-prism-noise", "example-prism", "example-sre2l-real", "example-herding")
}
TITLES = {
    "example-sre2l": "SRe2L from noise",
    "example-prism-noise": "PRISM from noise",
    "example-prism": "PRISM from real images",
    "example-sre2l-real": "SRe2L from real images",
    "example-herding": "herding: real images, nothing optimised",
}
STEPS = ["1 · Distilled data", "2 · One teacher's look", "3 · The priors grid", "4 · PRISM", "5 · What it measures"]

st.title("A tour of dataset distillation")
step = st.segmented_control("Step", STEPS, default=STEPS[0], key="tour_step", label_visibility="collapsed") or STEPS[0]


def class_grid(run: Run, per_class: int = 3) -> np.ndarray:
    """The demo classes' first images of a run, one class per row."""
    rows = [class_images(str(run.path), run_mtime(run), info.class_names.index(c), per_class)[0] for c in DEMO_CLASSES]
    return grid(np.concatenate(rows), per_class, scale=3)


def try_it(label: str, preset: str | None = None, page: str | None = None) -> None:
    """Fill the Launch form with a preset (or open a page) and go there."""
    if st.button(f"Try it: {label}", type="primary", icon=":material/play_arrow:", key=f"try_{step[0]}"):
        if preset:
            apply_preset(preset, info)
        st.switch_page(page or "app_pages/launch.py")


@st.cache_data(show_spinner=False)
def example_measurements(stamps: tuple) -> list[dict]:
    """The shipped runs' stored metrics and evaluations (loading the extractor for their key once, not per render)."""
    rows = []
    for name, run in EXAMPLES.items():
        m = compute_metrics(run, stored_only=True)
        evals = {e.subject: e.mean for e in stored_evaluations(run)}
        if m is None:
            continue
        rows.append(
            {
                "run": TITLES[name],
                "Vendi (higher = more diverse)": round(m.images.diversity.vendi, 2),
                "random real: Vendi": round(m.random_real.diversity.vendi, 2),
                "intra-class cosine": round(m.images.intra_class_cosine_summary.mean, 3),
                "nearest-real cosine (fidelity)": round(m.images.fidelity_mean.nearest_real_cosine, 3),
                "student top-1 %": round(evals["run"], 1) if "run" in evals else None,
                "random real: top-1 %": round(evals["random-real"], 1) if "random-real" in evals else None,
            }
        )
    return rows


if step == STEPS[0]:
    train = ds.split("train")
    real = to_uint8(
        train.load(np.concatenate([class_indices(train, info.class_names.index(c))[:3] for c in DEMO_CLASSES]))
    ).numpy()
    cols = st.columns(4)
    cols[0].image(grid(real, 3, scale=3), caption="Real training images (60,000 of them)")
    for col, name in zip(cols[1:], ("example-sre2l", "example-prism-noise", "example-prism")):
        col.image(class_grid(EXAMPLES[name]), caption=TITLES[name])
    st.markdown(
        "Dataset distillation replaces a training set with a handful of synthetic **images per class** (IPC) "
        "that train a model almost as well. SRe2L-style methods *optimise pixels*: a frozen teacher must "
        "classify them (cross-entropy) and their batch-norm statistics must match the teacher's running "
        "statistics of the real data. These rows are 3 of the 5 images per class each run made."
    )
    try_it("a quick PRISM run beside its SRe2L baseline (about 20 s)", "Quick demo")
elif step == STEPS[1]:
    run = EXAMPLES["example-sre2l"]
    frames = [class_frames(str(run.path), run_mtime(run), info.class_names.index(c), 3) for c in DEMO_CLASSES]
    cols = st.columns([1, 2])
    if all(f is not None for f in frames):
        pictures = [grid(np.concatenate([f[1][i] for f in frames]), 3, scale=4) for i in range(len(frames[0][0]))]
        cols[0].image(gif_bytes(pictures, ms=150), caption="SRe2L from noise, 300 steps (ResNet-18 alone)")
    else:
        cols[0].image(class_grid(run), caption="SRe2L from noise (ResNet-18 alone)")
    cols[1].markdown(
        "Start from **noise** and let **one** teacher (here the zoo's ResNet-18) supply both terms. The "
        "images become what *that architecture* finds typical of a class: textures and strokes in its "
        "own style, similar across images. Nothing of the real images' look survives except what the "
        "network's statistics encode. This is the architectural prior the next steps make visible."
    )
    try_it("SRe2L from noise on three classes", "SRe2L from noise")
elif step == STEPS[2]:
    if stored_priors(PRIORS_DIR):
        st.image(priors_picture(PRIORS_DIR), caption="Same noise, same seed, same CE teacher; one BN teacher per row")
    else:
        st.info("The priors grid is not in this checkout: `python -m prism_core priors --out assets/priors`.")
    st.markdown(
        "Hold everything fixed (the noise, the seed, the CE teacher) and change only the network whose "
        "**BN statistics** the images must match: each row takes on a different look. Beside each row, a "
        "held-out model's top-1 (does the class survive?) and the intra-class cosine (lower = more diverse)."
    )
    try_it("render the grid for your own classes", page="app_pages/priors.py")
elif step == STEPS[3]:
    cols = st.columns(2)
    for col, name in zip(cols, ("example-sre2l", "example-prism-noise")):
        col.image(class_grid(EXAMPLES[name]), caption=f"{TITLES[name]}: same noise, seed and steps")
    st.markdown(
        "**PRISM** decouples the two terms: a fixed **primary** teacher supervises the logits, and the BN "
        "statistics come from a set $S$ of architectures drawn from a pool, so no single prior dominates:"
    )
    st.latex(
        r"\mathcal{L}(x) = \mathrm{CE}\big(f_{\text{primary}}(A(x)), y\big) + \alpha_{BN}\,\frac{1}{|S|}"
        r"\sum_{t \in S}\sum_{l} \Big(\big\|\mu_l^t(A(x)) - \hat\mu_l^t\big\|_2 + \big\|\sigma_l^{2,t}(A(x)) - "
        r"\hat\sigma_l^{2,t}\big\|_2\Big)"
    )
    st.markdown(
        "$A$ is a random crop, flip and shift; $\\hat\\mu, \\hat\\sigma^2$ are teacher $t$'s running "
        "statistics. The official rule draws $S$ once per IPC index: the primary plus three slots, each "
        "filled with probability 1/2 by a distinct pool model, so $|S|$ is 1 to 4 (2.5 on average)."
    )
    try_it("PRISM beside SRe2L from the same noise", "PRISM vs SRe2L from noise")
else:
    st.dataframe(pd.DataFrame(example_measurements(tuple(run_mtime(r) for r in EXAMPLES.values()))), hide_index=True)
    st.markdown(
        "Read diversity **beside fidelity**: noise-born images are far from real ones, and far from each "
        "other, so they score as diverse on any feature-space measure; compare runs from the same init. "
        "Student accuracy here is one small protocol (ResNet-18 student, soft labels from the zoo "
        "ResNet-18, 300 epochs, 2 seeds): a random real subset of the same size is the bar to beat, and "
        "soft labels from a strong teacher lift any image set. The last row optimises nothing: **herding** "
        "picks real training images whose features keep the class mean, the kind of coreset the field now "
        "asks distilled sets to beat (herding, k-center, easy, difficulty and RDED run in seconds from "
        "Launch)."
    )
    st.page_link(
        "app_pages/results.py",
        icon=":material/leaderboard:",
        label="The full comparison: every method from noise and from real images, students with soft and "
        "hard labels, paired differences over seeds with 95 % intervals",
    )
    try_it("compare diversity run by run", page="app_pages/diversity.py")
