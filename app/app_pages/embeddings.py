"""UMAP of extractor features: chosen runs plus real images; select points to see their images."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch
from common import EXAMPLES_DIR, choose_runs, dataset, features_of, image_count, run_mtime, runs_dir
from inspector import show_inspector

from prism_core.images import to_uint8
from prism_core.metrics import default_extractor, embed_runs
from prism_core.metrics.embedding import DEFAULT_REAL_PER_CLASS, RUN_POINTS
from prism_core.metrics.run_metrics import model_weights
from prism_core.viz import grid

st.title("Embeddings")
runs, chosen = choose_runs("emb_runs")
per_class = st.slider("Real test images per class", 0, 100, DEFAULT_REAL_PER_CLASS, key="emb_real")
colour = st.radio("Colour by", ["run", "class"], horizontal=True, key="emb_colour")
if not chosen:
    st.stop()
dataset_name = runs[chosen[0]].config().dataset  # real images of the runs' own dataset
info = dataset(dataset_name).info
extractor = default_extractor(runs[chosen[0]])
names = {runs[label].name: label for label in chosen}  # points carry run names; the page shows labels


@st.cache_data(max_entries=16, show_spinner="UMAP (the first one in a server takes ~10 s)...")
def embedding(key: tuple, _runs: list):
    """Projections live on disk (shipped with the examples, or stored on first sight in the run store)."""
    return embed_runs(
        _runs,
        extractor,
        per_class,
        [EXAMPLES_DIR / ".embeddings", runs_dir() / ".embeddings"],
        features=lambda name, x, ds: torch.from_numpy(features_of(name, x, ds, model_weights(_runs[0]))),
    )


emb = embedding(
    (tuple(chosen), per_class, extractor, tuple(run_mtime(runs[c]) for c in chosen)), [runs[label] for label in chosen]
)
coords, points = emb.coords, emb.points
for label in chosen:
    n, classes = image_count(runs[label]), len(runs[label].config().classes)
    if n > RUN_POINTS:
        st.caption(
            f":material/info: {label}: {n:,} images; shown by its first {max(1, RUN_POINTS // classes)} "
            "IPC indices of every class."
        )
groups = {}
for i, p in sorted(enumerate(points), key=lambda ip: ip[1].source != "real"):  # real first, runs drawn on top
    source = names.get(p.source, p.source)
    groups.setdefault(source if colour == "run" else info.class_names[p.label], []).append(i)
fig = go.Figure()
for name, idx in groups.items():
    real = colour == "run" and name == "real"
    fig.add_trace(
        go.Scattergl(
            x=coords[idx, 0],
            y=coords[idx, 1],
            mode="markers",
            name=name,
            customdata=idx,
            marker=dict(size=5 if real else 8, opacity=0.35 if real else 0.9, color="#9e9e9e" if real else None),
            text=[f"{names.get(points[i].source, 'real')} · {info.class_names[points[i].label]}" for i in idx],
        )
    )
fig.update_layout(title=f"UMAP of {extractor} features (seed 0)", height=560, dragmode="lasso")
event = st.plotly_chart(fig, key="emb_scatter", on_select="rerun", selection_mode=("points", "box", "lasso"))
selected = [int(p["customdata"]) for p in (event.selection.points if event else []) if "customdata" in p][:40]
if selected:
    st.subheader(f"{len(selected)} selected")
    test = dataset(dataset_name).split("test")
    tiles = []
    for i in selected:
        p = points[i]
        if p.source == "real":
            tiles.append(to_uint8(test.load([p.index])[0]).numpy())
        else:  # read from its PNG: the page never loads a whole run
            tiles.append(runs[names[p.source]].read_images([p.label], [p.index])[0])
    st.image(grid(np.stack(tiles), ncol=10, scale=3))
    synthetic = [points[i] for i in selected if points[i].source != "real"]
    if synthetic and st.toggle("Inspect the first selected synthetic image", key="emb_inspect"):
        p = synthetic[0]
        show_inspector(runs[names[p.source]], p.label, p.index)
else:
    st.caption("Select points (click, box or lasso) to see their images.")
