"""PRISM Studio: `streamlit run app/main.py`. A thin layer over prism_core."""

import streamlit as st
from common import classroom, workspace_selector  # (importing common puts prism_core on the path, sets HF_HUB_OFFLINE)

from prism_core.jobs import CLASSROOM

st.set_page_config(page_title="PRISM Studio", page_icon=":material/change_history:", layout="wide")

pages = [
    st.Page("app_pages/tour.py", title="Tour", icon=":material/tour:", default=True),
    st.Page("app_pages/launch.py", title="Launch", icon=":material/rocket_launch:"),
    st.Page("app_pages/runs.py", title="Runs", icon=":material/folder_open:"),
    st.Page("app_pages/gallery.py", title="Gallery", icon=":material/photo_library:"),
    st.Page("app_pages/priors.py", title="Priors", icon=":material/grid_view:"),
    st.Page("app_pages/diversity.py", title="Diversity", icon=":material/scatter_plot:"),
    st.Page("app_pages/embeddings.py", title="Embeddings", icon=":material/bubble_chart:"),
    st.Page("app_pages/teachers.py", title="Teachers", icon=":material/school:"),
    st.Page("app_pages/results.py", title="Results", icon=":material/leaderboard:"),
    st.Page("app_pages/benchmark.py", title="Benchmark", icon=":material/science:"),
]
navigation = st.navigation(pages)
workspace_selector()  # in the sidebar, under the page links: every page follows it
if classroom():
    st.sidebar.caption(
        f":material/school: Classroom server: up to {CLASSROOM.active_per_session} runs queued per session, IPC up "
        f"to {CLASSROOM.max_ipc}, {CLASSROOM.max_iterations} iterations per batch; everyone shares one queue, served "
        "in turn."
    )
navigation.run()
