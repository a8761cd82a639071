"""Runs side by side: one row per class, with real images of the class for reference."""
import numpy as np
import streamlit as st

from common import choose_runs, dataset, run_images, run_mtime
from prism_core.data import class_indices
from prism_core.images import to_uint8
from prism_core.viz import grid

st.title("Gallery")
labels, chosen = choose_runs("gallery_runs")
dataset_name = labels[chosen[0]].config().dataset if chosen else "fashion_mnist"  # the runs' own real images
info = dataset(dataset_name).info
shown = st.multiselect("Classes", list(info.class_names), default=list(info.class_names)[:5], key="gallery_classes")
per_row = st.slider("Images per class", 1, 20, 5, key="gallery_per_row")
scale = st.slider("Zoom", 1, 6, 3, key="gallery_zoom")
test = dataset(dataset_name).split("test")
columns = st.columns(len(chosen) + 1)
columns[0].markdown("**Real (test split)**")
data = {name: run_images(str(labels[name].path), run_mtime(labels[name])) for name in chosen}
for name, col in zip(chosen, columns[1:]):
    col.markdown(f"**{name}**")
for cname in shown:
    c = info.class_names.index(cname)
    real = to_uint8(test.load(class_indices(test, c)[:per_row]))
    columns[0].image(grid(real, per_row, scale=scale), caption=cname)
    for name, col in zip(chosen, columns[1:]):
        imgs, classes, ks = data[name]
        sel = np.flatnonzero(classes == c)[:per_row]
        if len(sel):
            col.image(grid(imgs[sel], per_row, scale=scale), caption=cname)
        else:
            col.caption(f"{cname}: not in this run")
with st.expander("Enlarge one image"):
    name = st.selectbox("Run", chosen, key="enlarge_run") if chosen else None
    if name:
        imgs, classes, ks = data[name]
        i = st.slider("Image", 0, len(imgs) - 1, 0, key="enlarge_idx")
        st.image(grid(imgs[i:i + 1], 1, scale=10), caption=f"{info.class_names[classes[i]]} · IPC index {ks[i]}")
