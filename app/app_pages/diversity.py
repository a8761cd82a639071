"""Diversity and fidelity of runs side by side: per-class intra-class cosine similarity and Vendi score against a
random real subset, near-duplicates, the pairwise similarity within one class, the BN-statistics fit across every
zoo teacher, and fidelity to real data."""

from collections.abc import Callable
from dataclasses import asdict

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from common import PAGE_IMAGES, choose_runs, dataset, image_count, run_features, run_metrics, run_mtime

from prism_core.metrics import cosine_matrix
from prism_core.metrics.records import ImageMetrics, RandomReal, RunMetrics

st.title("Diversity")
runs, chosen = choose_runs("div_runs")
if not chosen:
    st.stop()
names = dataset(runs[chosen[0]].config().dataset).info.class_names  # the runs' own dataset
metrics = {}
for label in chosen:  # a large run is measured when asked (minutes on a CPU), not on every visit
    run = runs[label]
    measure_now = bool(st.session_state.get(f"measure_{run.name}"))
    m = run_metrics(str(run.path), run_mtime(run), stored_only=image_count(run) > PAGE_IMAGES and not measure_now)
    if measure_now:
        run_metrics.clear()  # its cached stored-only lookup said "nothing stored"
    if m is not None:
        metrics[label] = m
        continue
    st.info(
        f"{label} holds {image_count(run):,} images and has no stored measurements yet. Measure it here "
        f"(extracts every image's features; minutes on a CPU) or with `python -m prism_core metrics {run.path}`."
    )
    st.button(f"Measure {label}", key=f"measure_{run.name}")
if not metrics:
    st.stop()
st.caption(
    "Features: penultimate layer of "
    + ", ".join(sorted({m.extractor for m in metrics.values()}))
    + " (a zoo model that took no part in the synthesis). Lower cosine similarity = more diverse."
)


def per_class_figure(
    per_class: Callable[[RunMetrics], dict[int, float]],
    summary: Callable[[ImageMetrics | RandomReal], float],
    title: str,
    yaxis: str,
    reference: str,
) -> go.Figure:
    """One line per run over the classes (`summary` of its images in the legend), and each run's random real
    subset's `summary` as a dotted reference line."""
    fig = go.Figure()
    for label, m in metrics.items():
        per = per_class(m)
        fig.add_trace(
            go.Scatter(
                x=[names[c] for c in per],
                y=list(per.values()),
                mode="lines+markers",
                name=f"{label} ({summary(m.images):.3f})",
            )
        )
    refs = {round(summary(m.random_real), 3) for m in metrics.values()}
    for value in refs:  # one line per distinct reference (runs of the same classes and IPC share it)
        fig.add_hline(y=value, line_dash="dot", line_color="grey", annotation_text=f"{reference} {value:.3f}")
    fig.update_layout(
        title=title,
        yaxis_title=yaxis,
        height=420,
        xaxis_tickangle=-45,
        legend=dict(orientation="h", yanchor="top", y=-0.45),
        margin=dict(t=40, b=10),
    )
    return fig


left, right = st.columns(2)
left.plotly_chart(
    per_class_figure(
        lambda m: m.images.intra_class_cosine,
        lambda s: s.intra_class_cosine_summary.mean,
        "Intra-class cosine (lower = more diverse)",
        "mean pairwise cosine",
        "random real",
    ),
    key="div_per_class",
)
right.plotly_chart(
    per_class_figure(
        lambda m: m.images.diversity.vendi_per_class,
        lambda s: s.diversity.vendi,
        "Vendi score (higher = more diverse)",
        "Vendi score",
        "random real",
    ),
    key="div_vendi",
)
st.caption(
    "Vendi score: the effective number of distinct images in a class (1 to IPC). "
    "Dotted lines: a random real training subset of the same classes and IPC, measured the same way. "
    "Off-manifold images (noise-born SRe2L) score as diverse on both; read them beside fidelity below."
)

st.subheader("Diversity beside fidelity to real test images (same class, same features)")
st.dataframe(
    [
        {
            "run": label,
            **{k: round(v, 3) for k, v in asdict(m.images.fidelity_mean).items()},
            "intra-class cos": round(m.images.intra_class_cosine_summary.mean, 3),
            "Vendi": round(m.images.diversity.vendi, 2),
            f"near-duplicates (cos >= {m.images.diversity.near_duplicate_cosine})": round(
                m.images.diversity.near_duplicate_rate, 3
            ),
            "random real: cos": round(m.random_real.intra_class_cosine_summary.mean, 3),
            "random real: Vendi": round(m.random_real.diversity.vendi, 2),
            "random real: near-duplicates": round(m.random_real.diversity.near_duplicate_rate, 3),
            "test images: cos": round(m.images.real_intra_class_cosine_summary.mean, 3),
        }
        for label, m in metrics.items()
    ],
    hide_index=True,
)

c1, c2 = st.columns(2)
with c1:
    label = st.selectbox("Pairwise similarity in run", list(metrics), key="div_pair_run")
    cls = st.selectbox("Class", names, key="div_pair_class")
    feats, classes, ks = run_features(str(runs[label].path), run_mtime(runs[label]), metrics[label].extractor)
    sel = np.flatnonzero(classes == names.index(cls))
    if len(sel) > 1:
        import torch

        sim = cosine_matrix(torch.from_numpy(feats[sel])).numpy()
        heat = go.Figure(
            go.Heatmap(
                z=sim,
                x=[f"k={k}" for k in ks[sel]],
                y=[f"k={k}" for k in ks[sel]],
                zmin=0,
                zmax=1,
                colorscale="Viridis",
            )
        )
        heat.update_layout(title=f"{cls}: cosine similarity between images", height=380)
        st.plotly_chart(heat, key="div_pair_heat")
    else:
        st.caption("Needs at least two images of the class.")
with c2:
    label = st.selectbox("BN-statistics fit of run", list(metrics), key="div_bn_run")
    mismatch = metrics[label].bn_mismatch
    width = max(len(v) for v in mismatch.values())
    z = [[np.log10(v[i]) if i < len(v) else None for i in range(width)] for v in mismatch.values()]
    used = set(metrics[label].teachers_in_run)
    heat = go.Figure(
        go.Heatmap(
            z=z,
            y=[f"{t}{' (used)' if t in used else ''}" for t in mismatch],
            colorscale="Magma",
            colorbar=dict(title="log10"),
        )
    )
    heat.update_layout(
        title="BN mismatch per teacher and layer (lower = fits that prior)", xaxis_title="BN layer", height=380
    )
    st.plotly_chart(heat, key="div_bn_heat")
