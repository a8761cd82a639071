"""Run the init-controlled comparison on the chosen workspace (on Dask, in the background), watch its cells fill
in, and reopen stored benchmarks: the same tables, intervals, statements and figure as Results."""

import json
import re
from dataclasses import fields

import benchmark_view
import streamlit as st
from common import runs_dir, workspace

from prism_core import benchmark as bm
from prism_core.benchmark.background import BackgroundBenchmark
from prism_core.benchmark.measure import extractor_name
from prism_core.benchmark.protocol import PRESET_NOTES, PRESETS
from prism_core.benchmark.runner import LOCAL_WORKERS

st.title("Benchmark")
st.caption(
    "Every method from noise and from real images with the same optimiser settings per init, beside a random "
    "real subset; students trained from scratch with soft and hard labels; paired differences over seeds. "
    f"Each evaluation is a task on a local Dask cluster ({LOCAL_WORKERS} worker processes, one per core); finished "
    "cells are kept, so a benchmark resumes where it stopped."
)


@st.cache_resource
def running() -> dict[str, BackgroundBenchmark]:
    """Benchmarks launched from this server, by folder: shared by every browser session."""
    return {}


FIELDS = {f.name: f for f in fields(bm.Benchmark)}


def described(name: str) -> dict:
    """A widget's label and help, from the Benchmark field the CLI's flag is made from."""
    meta = FIELDS[name].metadata
    return dict(label=meta["label"], help=meta["help"], key=f"bm_{name}")


def root():
    return runs_dir() / ".benchmarks"


def apply_preset() -> None:
    p = PRESETS[st.session_state["bm_preset"]]
    st.session_state.update(
        bm_rows=list(p["rows"]),
        bm_ipcs=list(p["ipcs"]),
        bm_seeds=p["seeds"],
        bm_students=list(p["students"]),
        bm_labels=list(p["labels"]),
        bm_epochs=p["epochs"] or 0,
    )


ws = workspace()
if "bm_rows" not in st.session_state:
    st.session_state["bm_preset"] = "classroom"
    apply_preset()
st.selectbox(
    "Budget preset",
    list(PRESETS),
    key="bm_preset",
    on_change=apply_preset,
    help="; ".join(f"{k}: {v}" for k, v in PRESET_NOTES.items()),
)
with st.form("benchmark"):
    st.multiselect(options=list(bm.ALL_ROWS), **described("rows"))
    left, mid, right = st.columns(3)
    left.multiselect(options=[1, 10, 50], **described("ipcs"))
    mid.number_input(min_value=1, max_value=5, **described("seeds"))
    right.number_input(min_value=0, max_value=1000, **described("epochs"))
    left.multiselect(options=list(bm.STUDENTS), **described("students"))
    mid.multiselect(options=list(bm.LABELS), **described("labels"))
    right.text_input("Benchmark name", value=f"{ws.name}-{st.session_state['bm_preset']}", key="bm_name")
    launched = st.form_submit_button("Launch on the local Dask cluster")
if launched:
    name = st.session_state["bm_name"].strip()
    try:
        if not re.fullmatch(r"[A-Za-z0-9._-]+", name) or name.startswith("."):
            raise bm.BenchmarkError("the name takes letters, digits, '.', '_' and '-'")
        bench = bm.Benchmark(
            ws,
            rows=tuple(st.session_state["bm_rows"]),
            ipcs=tuple(sorted(st.session_state["bm_ipcs"])),
            seeds=int(st.session_state["bm_seeds"]),
            students=tuple(st.session_state["bm_students"]),
            labels=tuple(st.session_state["bm_labels"]),
            epochs=int(st.session_state["bm_epochs"]) or None,
        )
        job = running().get(name)
        if job and job.state.active:
            raise bm.BenchmarkError(f"{name} is still running")
        meta = root() / name / "benchmark.json"
        owner = json.loads(meta.read_text())["workspace"] if meta.is_file() else ws.name
        if owner != ws.name:  # its cells are another dataset's
            raise bm.BenchmarkError(f"{name} holds cells of workspace {owner}; choose another name")
        (root() / name).mkdir(parents=True, exist_ok=True)
        (root() / name / "benchmark.json").write_text(
            json.dumps({"workspace": ws.name, "extractor": extractor_name(bench)})
        )
        running()[name] = BackgroundBenchmark(bench, root() / name).start()
        st.session_state["bm_open"] = name
    except (bm.BenchmarkError, ValueError) as err:
        st.error(f"Cannot launch: {err}")

stored = sorted(p.name for p in root().glob("*") if (p / "benchmark.json").is_file()) if root().is_dir() else []
if not stored:
    st.info("No benchmark yet: choose a preset and launch one.")
    st.stop()
st.subheader("Stored benchmarks")
opened = st.selectbox("Open", stored, key="bm_open")


@st.fragment(run_every=2.0)
def watch(name: str) -> None:
    job = running().get(name)
    if job:
        st.progress(
            job.done / job.total if job.total else 0.0,
            text=f"{job.state}: {job.done} of {job.total or '?'} tasks"
            + (f", {job.failed_tasks} failed" if job.failed_tasks else "")
            + (f" ({job.error})" if job.error else ""),
        )
        if job.state.active and st.button("Cancel", key=f"bm_cancel_{name}"):
            job.cancel()
    meta = json.loads((root() / name / "benchmark.json").read_text())
    cells = bm.load_cells(root() / name / "cells.json")
    st.caption(f"workspace {meta['workspace']} · {len(cells)} cells · diversity in {meta['extractor']} features")
    benchmark_view.show(cells, meta["extractor"], f"bm_{name}")


watch(opened)
