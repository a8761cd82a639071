"""Runs side by side: one row per class, with real images of the class for reference, at any step of their
optimisation (or playing it), and one image under the inspector. Only the images shown are read, so a
50,000-image run opens as fast as a small one."""

import streamlit as st
from common import choose_runs, class_frames, class_images, class_sources, dataset, run_mtime
from inspector import show_inspector

from prism_core.data import EMBEDDED_DATASET, class_indices
from prism_core.images import to_uint8
from prism_core.synthesis.run_export import contents
from prism_core.viz import gif_bytes, grid

st.title("Gallery")
labels, chosen = choose_runs("gallery_runs")
dataset_name = labels[chosen[0]].config().dataset if chosen else EMBEDDED_DATASET  # the runs' own real images
info = dataset(dataset_name).info
shown = st.multiselect("Classes", list(info.class_names), default=list(info.class_names)[:5], key="gallery_classes")
cols = st.columns(3)
per_row = cols[0].slider("Images per class", 1, 20, 5, key="gallery_per_row")
scale = cols[1].slider("Zoom", 1, 6, 3, key="gallery_zoom")


def picked_from(name: str, c: int) -> str:
    """A selection's mark: the training images its shown images of class c are (RDED: the first patch of each)."""
    found = class_sources(str(labels[name].path), run_mtime(labels[name]), c, per_row)
    return f" · training #{', #'.join(map(str, found))}" if found else ""


def cell(name: str, c: int):
    """The images (uint8 (n, C, H, W)) of class c in a run and that run's trajectory (steps, frames) or None."""
    path, mtime = str(labels[name].path), run_mtime(labels[name])
    return class_images(path, mtime, c, per_row)[0], class_frames(path, mtime, c, per_row)


# the step slider runs over the frames that every chosen run kept (evenly spaced: the same fractions of each run)
probe = info.class_names.index(shown[0]) if shown else 0
kept = [found for found in (cell(name, probe)[1] for name in chosen) if found is not None and len(found[0]) > 1]
frames_n = min(len(steps) for steps, _ in kept) if kept else 0
if frames_n:
    steps = kept[0][0]
    frame = cols[2].select_slider(
        "Optimisation step",
        options=list(range(frames_n)),
        value=frames_n - 1,
        format_func=lambda i: "init" if i == 0 else f"step {steps[i]}",
        key="gallery_step",
    )
    play = st.toggle("Play the optimisation (every cell animates from the init to the result)", key="gallery_play")
else:
    frame, play = None, False
    cols[2].caption("These runs kept no trajectory (synthesised with snapshots 0).")
test = dataset(dataset_name).split("test")
columns = st.columns(len(chosen) + 1)
columns[0].markdown("**Real (test split)**")
for name, col in zip(chosen, columns[1:]):
    col.markdown(f"**{name}**")
for cname in shown:
    c = info.class_names.index(cname)
    real = to_uint8(test.load(class_indices(test, c)[:per_row]))
    columns[0].image(grid(real, per_row, scale=scale), caption=cname)
    for name, col in zip(chosen, columns[1:]):
        imgs, trajectory = cell(name, c)
        if not len(imgs):
            col.caption(f"{cname}: not in this run")
        elif trajectory is None or frame is None or len(trajectory[0]) == 1:  # one frame: a selection
            col.image(grid(imgs, per_row, scale=scale), caption=cname + picked_from(name, c))
        elif play:
            col.image(gif_bytes([grid(f, per_row, scale=scale) for f in trajectory[1]]), caption=f"{cname} (playing)")
        else:
            at = round(frame * (len(trajectory[0]) - 1) / (frames_n - 1)) if frames_n > 1 else 0
            col.image(grid(trajectory[1][at], per_row, scale=scale), caption=f"{cname} · step {trajectory[0][at]}")

st.divider()
if (
    st.toggle(
        "Inspect one image: what shaped it, where it started, its nearest training images, every teacher's verdict",
        key="gallery_inspect",
    )
    and chosen
):
    pick = st.columns(3)
    name = pick[0].selectbox("Run", chosen, key="inspect_run")
    cname = pick[1].selectbox("Class", shown or list(info.class_names), key="inspect_class")
    c = info.class_names.index(cname)
    classes, ks = contents(labels[name])
    available = [int(k) for k in ks[classes == c]]
    if available:
        k = pick[2].selectbox("IPC index", available[:200], key="inspect_k")
        show_inspector(labels[name], c, k)
    else:
        st.caption(f"{name} has no image of {cname}.")
