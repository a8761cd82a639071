"""Every stored run with its status; resume, delete (with confirmation), download as a zip."""

from functools import partial

import streamlit as st
from common import EXAMPLES_DIR, all_runs, classroom, in_workspace, job_queue, run_label, session_owner, workspaces

from prism_core.jobs import Kind
from prism_core.states import State
from prism_core.synthesis.run_export import export_zip
from prism_core.synthesis.run_health import run_status
from prism_core.synthesis.runstore import RunError

st.title("Runs")
st.caption(
    "Every run in the store, of every workspace; the other pages show the runs of the workspace chosen in the sidebar."
)
jobs = {r.run_name: r for r in job_queue().jobs() if r.kind == Kind.SYNTH}  # who launched each run, what it does now
me = session_owner()
runs = sorted(all_runs(), key=lambda run: run.name not in jobs or jobs[run.name].owner != me)  # mine first
declared = workspaces()[0]
if not runs:
    st.info("No runs yet: launch one on the Launch page.")
# material icons: Debian's Chromium has no colour-emoji font, so emoji render as empty boxes
ICON = {
    State.FINISHED: ":material/check_circle:",
    State.RUNNING: ":material/pending:",
    State.QUEUED: ":material/schedule:",
    State.CANCELLED: ":material/stop_circle:",
    State.FAILED: ":material/error:",
    State.INTERRUPTED: ":material/warning:",
    State.DAMAGED: ":material/broken_image:",
}
for run in runs:
    status = run_status(run)
    job = jobs.get(run.name) if run.path.parent != EXAMPLES_DIR else None
    state = job.state if job is not None and job.active else status.state
    # in a classroom, another session's run is read-only (a run the CLI made has no owner)
    theirs = classroom() and job is not None and job.owner != me
    with st.expander(
        f"{ICON.get(state, ':material/circle:')} {run_label(run)} · {state} · "
        f"{status.batches_done}/{status.batches_total or '?'} batches"
    ):
        try:
            record = run.record()
        except RunError as err:
            st.error(f"Damaged run: {err}")
            continue
        if status.error:
            st.error(status.error)
        cfg = record.config
        home = next((name for name, ws in declared.items() if in_workspace(run, ws)), None)
        if home is None:
            st.info(
                f"Its workspace ({cfg.dataset}, weights {cfg.weights}) is not declared here: it opens "
                "read-only. Declare it in $PRISM_WORKSPACES to resume it or show it on the other pages.",
                icon=":material/lock:",
            )
        st.markdown(
            f"Workspace **{home or '-'}** · **{cfg.method}** · primary `{cfg.primary}` · "
            f"pool {', '.join(cfg.bn_pool or ()) or '-'} · "
            f"IPC {cfg.ipc} · {cfg.iterations} iterations · seed {cfg.seed}"
        )
        st.json(record.to_json(), expanded=False)
        cols = st.columns(3)
        if theirs:
            st.caption(":material/lock: Another session's run: read-only in a classroom.")
        if run.path.parent != EXAMPLES_DIR and home is not None and state.resumable and not theirs:
            if cols[0].button("Resume", key=f"resume_{run.name}"):
                try:
                    job_queue().submit(run.config(), run.name, resume=True, owner=me)
                    st.success("Queued to resume; progress on the Launch page.")
                except Exception as err:
                    st.error(f"Cannot resume: {err}")
        if status.batches_done:
            # a callable: the zip is built when the button is clicked, not on every render
            cols[1].download_button(
                "Download PNGs (zip)",
                data=partial(export_zip, run),
                file_name=f"{run.name}.zip",
                mime="application/zip",
                key=f"zip_{run.name}",
                on_click="ignore",
            )
        if run.path.parent != EXAMPLES_DIR and not state.active and not theirs:
            confirm = cols[2].checkbox("Confirm delete", key=f"confirm_{run.name}")
            if cols[2].button("Delete", key=f"delete_{run.name}", disabled=not confirm):
                run.delete()
                st.rerun()
