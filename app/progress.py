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

# seconds between polls (chosen with benchmarks/classroom.py, docs/performance.md "A classroom on one server")
RUNNING_S, QUEUED_S = 1.0, 3.0
CURVE_POINTS = 300  # loss points drawn per run (the newest, evenly thinned)


def interval(records: list[JobRecord]) -> float | None:
    """Poll every second while one of them runs, every 3 s while they only wait, not at all when all ended."""
    states = {r.state for r in records}
    return RUNNING_S if State.RUNNING in states else QUEUED_S if State.QUEUED in states else None


def _mine(kind: Kind) -> list[JobRecord]:
    me = session_owner()
    return [r for r in job_queue().jobs() if r.owner == me and r.kind == kind]


def _losses(run_name: str) -> pd.DataFrame:
    """The run's loss terms so far, in long form; only the lines appended since the last poll are read."""
    tails = st.session_state.setdefault("event_tails", {})
    offset, points = tails.get(run_name, (0, []))
    offset, new = Run(runs_dir() / run_name).read_events(offset)
    points = points + [
        {"point": len(points) + i, "term": k, "loss": v}
        for i, e in enumerate(e for e in new if e.get("kind") == "step")
        for k, v in e["losses"].items()
    ]
    tails[run_name] = (offset, points)
    frame = pd.DataFrame(points[-CURVE_POINTS * 8 :], columns=["point", "term", "loss"])
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


def _synthesis_card(record: JobRecord) -> None:
    p = record.progress
    with st.container(border=True):
        head = st.columns([3, 1])
        head[0].markdown(f"**{record.run_name}** · {record.state}" + (f" · {record.error}" if record.error else ""))
        if record.active and head[1].button("Cancel", key=f"cancel_{record.id}"):
            job_queue().cancel(record.id)
        if record.state == State.QUEUED:
            st.caption(f"waiting: {queue_position(record)} runs of the shared queue start before it")
            return
        st.progress(
            p.fraction,
            text=f"batch {p.batches_done}/{p.batches_total} · step {p.step}/{p.iterations} · "
            f"{p.img_per_s:.0f} image-it/s · ETA {p.eta_s:.0f} s",
        )
        left, right = st.columns([2, 1])
        frame = _losses(record.run_name)
        if len(frame):
            with left:
                _loss_chart(frame)
        preview = job_queue().store.preview_path(record.id)
        if p.preview and preview.is_file():
            right.image(preview.read_bytes(), caption=p.preview)


def queue_position(record: JobRecord) -> int:
    """Queued jobs submitted before it (the round-robin order may start it sooner)."""
    return sum(r.state == State.QUEUED and r.submitted < record.submitted for r in job_queue().jobs())


def _others() -> None:
    me = session_owner()
    active = [r for r in job_queue().jobs() if r.owner != me and r.active]
    if active:
        st.caption(f"The shared queue: {len(active)} runs of other sessions (read-only)")
        st.dataframe(
            pd.DataFrame(
                [
                    {"run": r.run_name, "state": str(r.state), "progress": round(100 * r.progress.fraction)}
                    for r in active
                ]
            ),
            hide_index=True,
            column_config={"progress": st.column_config.ProgressColumn("progress", format="%d%%")},
        )


def synthesis_progress() -> None:
    """The session's synthesis runs (newest first) and the rest of the queue, re-polled while any of its runs is
    active; when they all end, one full rerun lets the other pages' lists catch up."""
    mine = _mine(Kind.SYNTH)
    every = interval(mine)

    @st.fragment(run_every=every)
    def panel() -> None:
        now = _mine(Kind.SYNTH)
        if interval(now) != every:  # a run started or every run ended: poll at the new pace
            st.rerun()
        if not now:
            st.info("Launch a run to watch it form here. Finished runs are in Runs and Gallery.")
        for record in reversed(now[-6:]):
            _synthesis_card(record)
        _others()

    panel()


def evaluation_progress() -> None:
    """The session's evaluations, one line each."""
    every = interval(_mine(Kind.EVALUATE))

    @st.fragment(run_every=every)
    def panel() -> None:
        now = _mine(Kind.EVALUATE)
        if interval(now) != every:
            st.rerun()
        for record in now:
            st.write(f"**{record.run_name}** · {record.state} · {record.progress.message or record.error}")

    panel()
