"""The image inspector, shown by the Gallery and by a selected UMAP point: one image, what shaped it, what it
started from, its nearest real training images and every zoo teacher's verdict. Library calls only."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch
from common import class_frames, dataset, features_dir, run_mtime

from prism_core.images import to_uint8
from prism_core.inspector import BANK_IMAGES, ImageStory, inspect_image, nearest_real, split_features, zoo_probabilities
from prism_core.metrics.run_metrics import default_extractor, model_weights
from prism_core.synthesis import get_method
from prism_core.synthesis.run_export import read_images
from prism_core.synthesis.runstore import Run
from prism_core.viz import gif_bytes, grid


@st.cache_resource(
    max_entries=4,
    show_spinner="Features of the first 10,000 training images (once per server, "
    "about 20 s on 2 cores; then kept on disk)...",
)
def _bank(extractor: str, dataset_name: str, weights: str) -> np.ndarray:
    return split_features(extractor, dataset_name, "train", features_dir(), weights=weights)


@st.cache_data(max_entries=64, show_spinner="Inspecting...")
def _verdicts(path: str, mtime: float, cls: int, k: int) -> dict:
    run = Run(path)
    dataset_name = run.config().dataset
    image01 = torch.from_numpy(read_images(run, [cls], [k])[0]).float() / 255
    extractor, weights = default_extractor(run), model_weights(run)
    return {
        "story": inspect_image(run, cls, k),
        "extractor": extractor,
        "nearest": nearest_real(
            image01, extractor, dataset_name, _bank(extractor, dataset_name, weights), weights=weights
        ),
        "probabilities": zoo_probabilities(image01, cls, dataset_name, weights),
    }


def show_inspector(run: Run, cls: int, k: int) -> None:
    cfg = run.config()
    ds = dataset(cfg.dataset)
    names, train = ds.info.class_names, ds.split("train")
    image = read_images(run, [cls], [k])
    v = _verdicts(str(run.path), run_mtime(run), cls, k)
    story = v["story"]
    left, mid, right = st.columns([1, 1.4, 1.4])
    with left:
        found = class_frames(str(run.path), run_mtime(run), cls, k + 1)  # this image's trajectory, if kept
        shown, label = image, "result"
        if found is not None and found[1].shape[1] > k and len(found[0]) > 1:  # a selection keeps one frame
            steps, frames = found
            at = st.select_slider(
                "Its step",
                options=list(range(len(steps))),
                value=len(steps) - 1,
                format_func=lambda i: "init" if i == 0 else f"step {steps[i]}",
                key=f"inspect_step_{run.name}_{cls}_{k}",
            )
            shown, label = frames[at, k : k + 1], "init" if at == 0 else f"step {steps[at]}"
            if st.toggle("Play", key=f"inspect_play_{run.name}_{cls}_{k}"):
                shown = None
                st.image(
                    gif_bytes([grid(f[k : k + 1], 1, scale=8) for f in frames]),
                    caption=f"{run.name} · {names[cls]} · IPC index {k}, forming",
                )
        if shown is not None:
            st.image(grid(shown, 1, scale=8), caption=f"{run.name} · {names[cls]} · IPC index {k} · {label}")
        if len(story.sources) > 1:  # an RDED collage: the training images its patches were cropped from
            st.image(
                grid(to_uint8(train.load(story.sources)).numpy(), len(story.sources), scale=2),
                caption="stitched from crops of training images " + ", ".join(f"#{i}" for i in story.sources),
            )
        elif story.init_train_index is not None and not story.iterations:  # a selection: the image itself
            st.caption(f"Training image #{story.init_train_index}, picked by the {cfg.init} rule.")
        elif story.init_train_index is not None:  # real init: where it started and how far it moved
            start = to_uint8(train.load([story.init_train_index])).numpy()
            change = np.abs(image.astype(int) - start.astype(int))
            st.image(
                grid(np.concatenate([start, np.clip(change * 3, 0, 255).astype(np.uint8)]), 2, scale=4),
                caption=f"started from training image #{story.init_train_index} (picked by the {cfg.init} "
                f"rule); pixel change x3 (mean {change.mean():.0f} grey levels)",
            )
        else:
            st.caption(f"Started from noise (seed {story.seed}).")
    with mid:
        method = get_method(cfg.method)
        ce = f"CE from `{cfg.primary}`" if method.primary_supplies_ce else "CE from each backbone in turn"
        if not method.optimises:
            st.markdown(
                f"**Picked by {method.title}**, optimised by nothing: {method.summary}. Selector: `{cfg.selector}`."
            )
        else:
            st.markdown(
                f"**Shaped by** ({method.title}; batch {story.batch}, group {story.group}, "
                f"{story.iterations} steps): {ce}; statistics from"
            )
            st.dataframe([{"BN set": ", ".join(s), "steps": n} for s, n in story.bn_sets_used.items()], hide_index=True)
            st.caption(
                "Its batch's final loss terms: "
                + ", ".join(f"{name} {value:.3g}" for name, value in story.final_losses.items() if "/" not in name)
            )
        near = v["nearest"]
        st.markdown(
            f"**Nearest training images** (of the first {BANK_IMAGES:,}, any class; {v['extractor']} "
            "features): a near-copy scores near 1"
        )
        st.image(
            grid(to_uint8(train.load([i for i, _ in near])), len(near), scale=2),
            caption=" · ".join(f"{names[int(train.labels[i])]} {s:.2f}" for i, s in near),
        )
    with right:
        probs = v["probabilities"]
        fig = go.Figure(
            go.Bar(
                x=list(probs.values()),
                y=list(probs),
                orientation="h",
                marker_color=["#d62728" if n in story_teachers(story, cfg) else "#1f77b4" for n in probs],
            )
        )
        fig.update_layout(
            title=f"P({names[cls]}) per zoo teacher",
            height=300,
            xaxis_range=[0, 1],
            margin=dict(l=10, r=10, t=40, b=10),
        )
        st.plotly_chart(fig, key=f"inspect_probs_{run.name}_{cls}_{k}")
        st.caption(
            ("Red: the teachers that shaped it." if method.optimises else "Red: the selector that picked it.")
            + " Blue: held-out architectures; do they recognise it too?"
        )


def story_teachers(story: ImageStory, cfg) -> set[str]:
    """The teachers that took part in shaping the image: the primary and every BN teacher its group used; for a
    selection, the selector that scored it (none for a random pick)."""
    method = get_method(cfg.method)
    if not method.optimises:
        return {cfg.selector} if method.rule.needs_selector else set()
    used = {name for s in story.bn_sets_used for name in s}
    return used | ({cfg.primary} if get_method(cfg.method).primary_supplies_ce else set())
