"""Progress of the session's jobs, read from the job store and the run store: a page polls files, never the process
that runs the job. Cheap by design: a poll stats the records, reads the events appended since the last poll, and
polls less often while the session's runs are only queued."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from common import job_queue, runs_dir, session_owner

from prism_core.jobs import JobRecord, Kind
from prism_core.states import State
from prism_core.synthesis.runstore import Run

# seconds between polls (chosen with benchmarks/classroom.py, docs/performance.md "A classroom on one server": at 1 s
# the progress fragments of 5 sessions took most of the server's CPU)
RUNNING_S, QUEUED_S = 2.0, 5.0
CURVE_ROWS = 2400  # (logged step, term) rows drawn per run: the newest


def interval(records: list[JobRecord]) -> float | None:
    """Poll every RUNNING_S while one of them runs, every QUEUED_S while they only wait, not at all when all ended."""
    states = {r.state for r in records}
    return RUNNING_S if State.RUNNING in states else QUEUED_S if State.QUEUED in states else None


def _mine(kind: Kind, records: list[JobRecord]) -> list[JobRecord]:
    me = session_owner()
    return [r for r in records if r.owner == me and r.kind == kind]


def _losses(run_name: str) -> pd.DataFrame:
    """The run's loss terms so far, in long form; only the lines appended since the last poll are read."""
    tails = st.session_state.setdefault("event_tails", {})
    offset, logged, rows = tails.get(run_name, (0, 0, []))  # bytes read, logged steps seen, (step, term) rows
    offset, new = Run(runs_dir() / run_name).read_events(offset)
    steps = [e for e in new if e.get("kind") == "step"]
    rows = rows + [
        {"point": logged + i, "term": k, "loss": v} for i, e in enumerate(steps) for k, v in e["losses"].items()
    ]
    tails[run_name] = (offset, logged + len(steps), rows)
    frame = pd.DataFrame(rows[-CURVE_ROWS:], columns=["point", "term", "loss"])
    return frame[frame["loss"] > 0]


def _loss_chart(frame: pd.DataFrame) -> None:
    st.vega_lite_chart(
        frame,
        {
            "mark": {"type": "line"},
            "encoding": {
                "x": {"field": "point", "type": "quantitative", "title": "logged step"},
                "y": {"field": "loss", "type": "quantitative", "scale": {"type": "log"}},
                "color": {"field": "term", "type": "nominal", "legend": {"orient": "bottom"}},
            },
            "height": 220,
        },
        use_container_width=True,
    )


def _synthesis_card(record: JobRecord, waiting_before: int, chart: bool) -> None:
    """One run: its state, progress and preview, and its loss curve when `chart` (a chart is the costliest element to
    redraw, in the server and in the browser, so a finished run draws it only once the polling has stopped)."""
    p = record.progress
    with st.container(border=True):
        head = st.columns([3, 1])
        head[0].markdown(f"**{record.run_name}** · {record.state}" + (f" · {record.error}" if record.error else ""))
        if record.active and head[1].button("Cancel", key=f"cancel_{record.id}"):
            job_queue().cancel(record.id)
        if record.state == State.QUEUED:
            st.caption(f"waiting: {waiting_before} runs of the shared queue were queued before it")
            return
        text = f"batch {p.batches_done}/{p.batches_total}"
        if record.state == State.RUNNING:
            text += f" · step {p.step}/{p.iterations} · {p.img_per_s:.0f} image-it/s · ETA {p.eta_s:.0f} s"
        elif record.ended > record.started > 0:
            text += f" · {record.ended - record.started:.0f} s in its worker"
        st.progress(p.fraction, text=text)
        left, right = st.columns([2, 1])
        frame = _losses(record.run_name) if chart else ()
        if len(frame):
            with left:
                _loss_chart(frame)
        preview = job_queue().store.preview_path(record.id)
        if p.preview and preview.is_file():
            right.image(preview.read_bytes(), caption=p.preview)


def _others(records: list[JobRecord]) -> None:
    """The rest of the shared queue in one line (the Runs page lists every run)."""
    me = session_owner()
    theirs = [r for r in records if r.owner != me and r.active]
    if theirs:
        running = sum(r.state == State.RUNNING for r in theirs)
        st.caption(
            f":material/groups: The shared queue also holds {len(theirs)} runs of other sessions: {running} running, "
            f"{len(theirs) - running} waiting."
        )


def synthesis_progress() -> None:
    """The session's synthesis runs (newest first) and a line on the rest of the queue, re-polled while any of its runs
    is active; when that changes, one full rerun sets the new pace."""
    every = interval(_mine(Kind.SYNTH, job_queue().jobs()))

    @st.fragment(run_every=every)
    def panel() -> None:
        records = job_queue().jobs()
        mine = _mine(Kind.SYNTH, records)
        if interval(mine) != every:  # a run started or every run ended: poll at the new pace
            st.rerun()
        if not mine:
            st.info("Launch a run to watch it form here. Finished runs are in Runs and Gallery.")
        queued = sorted(r.submitted for r in records if r.state == State.QUEUED)
        polling = any(r.active for r in mine)
        for record in reversed(mine[-6:]):
            _synthesis_card(record, sum(t < record.submitted for t in queued), chart=record.active or not polling)
        _others(records)

    panel()


def evaluation_progress() -> None:
    """The session's evaluations, one line each."""
    every = interval(_mine(Kind.EVALUATE, job_queue().jobs()))

    @st.fragment(run_every=every)
    def panel() -> None:
        mine = _mine(Kind.EVALUATE, job_queue().jobs())
        if interval(mine) != every:
            st.rerun()
        for record in mine:
            st.write(f"**{record.run_name}** · {record.state} · {record.progress.message or record.error}")

    panel()
