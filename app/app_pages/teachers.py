"""The teacher zoo: architectures, sizes, accuracies, roles, and each teacher's BN running-statistics profile."""

import plotly.graph_objects as go
import streamlit as st
from common import teacher, workspace

from prism_core.teachers.catalog import TeacherRow, teacher_rows

st.title("Teachers")
ws = workspace()
st.caption(f"Workspace **{ws.name}**: " + (f"the zoo in `{ws.zoo_dir}`" if ws.zoo_dir else "pretrained weights"))
rows = teacher_rows(ws.zoo_dir)
st.dataframe(
    [r.to_json() for r in rows],
    column_order=(*TeacherRow.COLUMNS, "in_zoo"),
    hide_index=True,
)
zoo = [r.name for r in rows if r.in_zoo and r.bn_layers]
name = st.selectbox("BN running-statistics profile of", zoo, key="teacher_profile")


@st.cache_data(max_entries=16)
def bn_profile(teacher_name: str, dataset_name: str, weights: str):
    return [
        (float(m.running_mean.abs().mean()), float(m.running_var.mean()))
        for m in teacher(teacher_name, dataset_name, weights).bn_layers
    ]


if name:
    prof = bn_profile(name, ws.dataset, ws.weights)
    fig = go.Figure(
        [
            go.Scatter(y=[p[0] for p in prof], name="mean |running_mean|"),
            go.Scatter(y=[p[1] for p in prof], name="mean running_var"),
        ]
    )
    fig.update_layout(
        xaxis_title="BN layer (module order)",
        yaxis_type="log",
        height=320,
        title=f"{name}: the statistics a BN teacher asks synthetic images to match",
    )
    st.plotly_chart(fig, key="bn_profile_chart")
