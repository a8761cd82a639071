"""Each architecture's prior on its own: the same classes, seed, init and CE primary, one BN teacher per row."""

import hashlib
import json

import streamlit as st
from common import EMBEDDED, PRIORS_DIR, dataset, runs_dir, workspace

from prism_core.events import PriorRow, Step
from prism_core.priors import (
    PriorsConfig,
    StoredPriors,
    priors_picture,
    render_priors,
    row_configs,
    stored_priors,
)

st.title("Architectural priors")
st.markdown(
    "Every row starts from the **same noise** with the **same seed** and the same CE teacher (the primary); "
    "only the teacher whose BatchNorm statistics the images must match changes. What differs between rows "
    "is that architecture's prior. Beside each row: how often a held-out model that took no part "
    "(convnext_atto, BN-free) recognises the class, and the intra-class cosine similarity in its features "
    "(lower = more diverse)."
)
info, ws = dataset().info, workspace()


def show(folder, stored: StoredPriors, title: str) -> None:
    c = stored.config
    classes = "all classes" if c.classes is None else f"{len(c.classes)} classes"
    st.subheader(title)
    st.image(
        priors_picture(folder),
        caption=f"{classes}, {c.ipc} image(s) each, {c.iterations} steps from {c.init}, seed {c.seed}, "
        f"primary {c.primary}",
    )
    st.dataframe(
        [
            {
                "row": m.label,
                "BN teachers": ", ".join(m.bn_pool),
                "held-out top-1 %": round(m.judge_top1, 1),
                "intra-class cosine": None if m.intra_class_cosine is None else round(m.intra_class_cosine, 3),
            }
            for m in stored.rows.values()
        ],
        hide_index=True,
    )


with st.form("priors_form"):
    st.markdown("**Recompute for chosen classes** (about 10-20 s per row on 2 CPU cores at the defaults)")
    cols = st.columns(4)
    classes = cols[0].multiselect(
        "Classes", list(info.class_names), default=list(info.class_names)[:3], max_selections=5, key="pri_classes"
    )
    ipc = cols[1].number_input("Images per class", 1, 3, 1, key="pri_ipc")
    iterations = cols[2].number_input("Iterations", 10, 1000, 150, step=10, key="pri_iterations")
    seed = cols[3].number_input("Seed", 0, 10_000, 0, key="pri_seed")
    init = st.radio(
        "Init",
        ["noise", "real"],
        horizontal=True,
        key="pri_init",
        help="noise: the prior shows; real: the images stay close to the real image they start from",
    )
    submitted = st.form_submit_button("Render the priors grid")
if submitted:
    if not classes:
        st.error("Choose at least one class.")
    else:
        cfg = PriorsConfig(
            classes=tuple(info.class_names.index(c) for c in classes),
            ipc=int(ipc),
            iterations=int(iterations),
            seed=int(seed),
            init=init,
            dataset=ws.dataset,
            weights=ws.weights,
        )
        key = hashlib.sha256(json.dumps(cfg.__dict__, default=list).encode()).hexdigest()[:12]
        folder = runs_dir() / ".priors" / key
        bar = st.progress(0.0, text="Starting...")
        try:
            done, total = 0, len(row_configs(cfg))
            for event in render_priors(cfg, folder):
                if isinstance(event, PriorRow):
                    done = event.index + 1
                    bar.progress(done / event.rows, text=f"{event.measured.label} done ({done}/{event.rows})")
                elif isinstance(event, Step):
                    bar.progress(done / total, text=f"row {done + 1}/{total}: step {event.step}/{event.iterations}")
            st.session_state["pri_folder"] = str(folder)
        except Exception as err:  # shown to the user; finished rows stay on disk for a rerun
            st.error(f"Cannot render the priors: {err}")
        bar.empty()

if st.session_state.get("pri_folder") and (mine := stored_priors(st.session_state["pri_folder"])):
    show(st.session_state["pri_folder"], mine, "Your classes")
if ws.name == EMBEDDED and (shipped := stored_priors(PRIORS_DIR)):
    show(PRIORS_DIR, shipped, "Shipped with the app")
elif ws.name == EMBEDDED:
    st.info("No shipped priors grid in this checkout: `python -m prism_core priors --out assets/priors` makes it.")
