"""Diversity and fidelity of runs side by side: per-class intra-class cosine similarity, the pairwise
similarity within one class, the BN-statistics fit across every zoo teacher, and fidelity to real data."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

from common import choose_runs, dataset, run_features, run_metrics, run_mtime
from prism_core.metrics import cosine_matrix

st.title("Diversity")
runs, chosen = choose_runs("div_runs")
names = dataset().info.class_names
metrics = {label: run_metrics(str(runs[label].path), run_mtime(runs[label])) for label in chosen}
if not metrics:
    st.stop()
st.caption("Features: penultimate layer of " + ", ".join(sorted({m["extractor"] for m in metrics.values()}))
           + " (a zoo model that took no part in the synthesis). Lower cosine similarity = more diverse.")

fig = go.Figure()
for label, m in metrics.items():
    per = m["intra_class_cosine"]
    fig.add_trace(go.Scatter(x=[names[int(c)] for c in per], y=list(per.values()), mode="lines+markers",
                             name=f"{label} ({m['intra_class_cosine_summary']['mean']:.3f})"))
fig.update_layout(title="Intra-class cosine similarity per class", yaxis_title="mean pairwise cosine", height=360)
st.plotly_chart(fig, key="div_per_class")

st.subheader("Fidelity to real test images (same class, same features)")
st.dataframe([{"run": label, **{k: round(v, 3) for k, v in m["fidelity_mean"].items()},
               "intra-class cos": round(m["intra_class_cosine_summary"]["mean"], 3),
               "real intra-class cos": round(m["real_intra_class_cosine_summary"]["mean"], 3)}
              for label, m in metrics.items()], hide_index=True)

c1, c2 = st.columns(2)
with c1:
    label = st.selectbox("Pairwise similarity in run", list(metrics), key="div_pair_run")
    cls = st.selectbox("Class", names, key="div_pair_class")
    feats, classes, ks = run_features(str(runs[label].path), run_mtime(runs[label]), metrics[label]["extractor"])
    sel = np.flatnonzero(classes == names.index(cls))
    if len(sel) > 1:
        import torch
        sim = cosine_matrix(torch.from_numpy(feats[sel])).numpy()
        heat = go.Figure(go.Heatmap(z=sim, x=[f"k={k}" for k in ks[sel]], y=[f"k={k}" for k in ks[sel]],
                                    zmin=0, zmax=1, colorscale="Viridis"))
        heat.update_layout(title=f"{cls}: cosine similarity between images", height=380)
        st.plotly_chart(heat, key="div_pair_heat")
    else:
        st.caption("Needs at least two images of the class.")
with c2:
    label = st.selectbox("BN-statistics fit of run", list(metrics), key="div_bn_run")
    mismatch = metrics[label]["bn_mismatch"]
    width = max(len(v) for v in mismatch.values())
    z = [[np.log10(v[i]) if i < len(v) else None for i in range(width)] for v in mismatch.values()]
    used = set(metrics[label]["teachers_in_run"])
    heat = go.Figure(go.Heatmap(z=z, y=[f"{t}{' (used)' if t in used else ''}" for t in mismatch],
                                colorscale="Magma", colorbar=dict(title="log10")))
    heat.update_layout(title="BN mismatch per teacher and layer (lower = fits that prior)",
                       xaxis_title="BN layer", height=380)
    st.plotly_chart(heat, key="div_bn_heat")
