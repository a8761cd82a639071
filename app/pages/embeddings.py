"""UMAP of extractor features: chosen runs plus real images; select points to see their images."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

from common import choose_runs, dataset, real_features, run_features, run_images, run_mtime
from prism_core.images import to_uint8
from prism_core.metrics import default_extractor, embed_sets
from prism_core.viz import grid

st.title("Embeddings")
runs, chosen = choose_runs("emb_runs")
per_class = st.slider("Real test images per class", 0, 100, 30, key="emb_real")
colour = st.radio("Colour by", ["run", "class"], horizontal=True, key="emb_colour")
if not chosen:
    st.stop()
dataset_name = runs[chosen[0]].config().dataset  # real images of the runs' own dataset
info = dataset(dataset_name).info
extractor = default_extractor(runs[chosen[0]])
sets, images = [], {}
for label in chosen:
    run = runs[label]
    feats, classes, ks = run_features(str(run.path), run_mtime(run), extractor)
    sets.append((label, feats, classes, ks))
    images[label] = run_images(str(run.path), run_mtime(run))
if per_class:
    feats, labels, idx = real_features(extractor, tuple(range(info.num_classes)), per_class, dataset_name)
    sets.append(("real", feats, labels, idx))


@st.cache_data(max_entries=16, show_spinner="UMAP (the first one in a server takes ~10 s)...")
def embedding(key: tuple, _sets):
    import torch
    return embed_sets([(n, torch.from_numpy(f), c, i) for n, f, c, i in _sets], seed=0)


emb = embedding((tuple(chosen), per_class, extractor, tuple(run_mtime(runs[c]) for c in chosen)), sets)
coords, points = np.array(emb["coords"]), emb["points"]
groups = {}
for i, p in sorted(enumerate(points), key=lambda ip: ip[1]["source"] != "real"):  # real first, runs drawn on top
    groups.setdefault(p["source"] if colour == "run" else info.class_names[p["class"]], []).append(i)
fig = go.Figure()
for name, idx in groups.items():
    real = colour == "run" and name == "real"
    fig.add_trace(go.Scattergl(x=coords[idx, 0], y=coords[idx, 1], mode="markers", name=name, customdata=idx,
                               marker=dict(size=5 if real else 8, opacity=0.35 if real else 0.9,
                                           color="#9e9e9e" if real else None),
                               text=[f"{points[i]['source']} · {info.class_names[points[i]['class']]}" for i in idx]))
fig.update_layout(title=f"UMAP of {extractor} features (seed 0)", height=560, dragmode="lasso")
event = st.plotly_chart(fig, key="emb_scatter", on_select="rerun", selection_mode=("points", "box", "lasso"))
selected = [int(p["customdata"]) for p in (event.selection.points if event else []) if "customdata" in p][:40]
if selected:
    st.subheader(f"{len(selected)} selected")
    test = dataset(dataset_name).split("test")
    tiles = []
    for i in selected:
        p = points[i]
        if p["source"] == "real":
            tiles.append(to_uint8(test.load([p["index"]])[0]).numpy())
        else:
            imgs, classes, ks = images[p["source"]]
            j = np.flatnonzero((classes == p["class"]) & (ks == p["index"]))[0]
            tiles.append(imgs[j])
    st.image(grid(np.stack(tiles), ncol=10, scale=3))
else:
    st.caption("Select points (click, box or lasso) to see their images.")
