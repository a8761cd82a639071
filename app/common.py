"""Shared, cached resources for the pages: the job queue, the dataset, the run stores. No synthesis logic."""

from __future__ import annotations

import os
import secrets
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from prism_core.data import get_dataset  # noqa: E402
from prism_core.doctor import WorkspaceReport, examine  # noqa: E402
from prism_core.jobs import CLASSROOM, UNLIMITED, JobQueue  # noqa: E402
from prism_core.states import State  # noqa: E402
from prism_core.synthesis.run_export import contents, read_images, trajectory  # noqa: E402
from prism_core.synthesis.run_health import run_status  # noqa: E402
from prism_core.synthesis.runstore import Run, fair_pair, list_runs  # noqa: E402
from prism_core.workspaces import EMBEDDED, Workspace, load_workspaces  # noqa: E402

if TYPE_CHECKING:  # the metrics package loads only when a page measures
    from prism_core.metrics import RunMetrics

EXAMPLES_DIR = ROOT / "assets" / "examples"
PRIORS_DIR = ROOT / "assets" / "priors"  # the shipped priors grid (python -m prism_core priors --out assets/priors)


def runs_dir() -> Path:
    """The user's run store: $PRISM_RUNS_DIR, else runs/ in the checkout."""
    return Path(os.environ.get("PRISM_RUNS_DIR", ROOT / "runs")).resolve()


def features_dir() -> Path:
    """Features of whole training splits (the inspector's nearest-image search), kept beside the runs."""
    return runs_dir() / ".features"


def device_name() -> tuple[str, str]:
    import torch

    if torch.cuda.is_available():
        return "cuda", f"GPU: {torch.cuda.get_device_name(0)}"
    return "cpu", f"CPU ({os.cpu_count()} cores)"


def classroom() -> bool:
    """`make run CLASSROOM=1` (PRISM_CLASSROOM=1): one session's queued runs, their size and the store's disk are
    bounded (prism_core.jobs.CLASSROOM)."""
    return os.environ.get("PRISM_CLASSROOM", "") == "1"


@st.cache_resource(on_release=JobQueue.close)  # its worker processes end with it
def _job_queue(root: str, device: str, room: bool) -> JobQueue:
    return JobQueue(Path(root), device=device, limits=CLASSROOM if room else UNLIMITED)


def job_queue() -> JobQueue:
    """One queue per run store and device, shared by every browser session; its jobs run in worker processes."""
    return _job_queue(str(runs_dir()), device_name()[0], classroom())


def session_owner() -> str:
    """This browser session's name in the job store: its own runs are listed first, the others' read-only."""
    return st.session_state.setdefault("owner", secrets.token_hex(4))


def unique_name(prefix: str) -> str:
    """A run name no other session will draw in the same second: the time and a random suffix."""
    return f"{prefix}-{time.strftime('%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def workspaces():
    """The declared workspaces ($PRISM_WORKSPACES; the embedded one always) and the problems of the others."""
    return load_workspaces()


def workspace() -> Workspace:
    """The workspace chosen in the sidebar (main.py); every page follows it."""
    found, _ = workspaces()
    return found.get(st.session_state.get("workspace", EMBEDDED), found[EMBEDDED])


def workspace_selector() -> Workspace:
    """The sidebar's choice, kept under a plain session key (a widget's own state does not outlive a page switch)."""
    found, problems = workspaces()
    current = st.session_state.get("workspace", EMBEDDED)
    names = list(found)
    st.session_state["workspace"] = st.sidebar.selectbox(
        "Workspace",
        names,
        index=names.index(current) if current in found else 0,
        key="workspace_choice",
        format_func=lambda n: f"{n} ({found[n].dataset.split(':')[0]})",
        help="A dataset, its teachers and a held-out extractor, chosen together (declared in the TOML file named by "
        "$PRISM_WORKSPACES; docs/workspaces.md says how)",
    )
    for problem in problems:
        st.sidebar.warning(problem, icon=":material/warning:")
    ws = workspace()
    with st.sidebar.expander("Check this workspace"):
        st.caption("Its dataset, every teacher loaded and scored, the extractor and selector, and what can run here.")
        if st.button("Check", key="workspace_check"):
            st.session_state["workspace_checked"] = ws.name
        if st.session_state.get("workspace_checked") == ws.name:
            with st.spinner("Loading and scoring every teacher..."):
                report = workspace_report(ws.name)
            show_report(report)
    return ws


@st.cache_data(ttl=300, show_spinner=False)
def workspace_report(name: str) -> WorkspaceReport:
    """`workspaces check`'s report, shared by every session for five minutes (it loads every teacher)."""
    return examine(workspaces()[0][name])


def show_report(report: WorkspaceReport) -> None:
    """What cannot run first, one line each with its reason; then the teachers' scores; then a count of the rest."""
    if report.dataset is not None:
        st.caption(report.dataset.line())
    failed = report.failures_by_reason()
    if failed:
        st.error(f"{sum(map(len, failed.values()))} check(s) failed", icon=":material/error:")
    else:
        st.success("Everything that applies here can run", icon=":material/check_circle:")
    for reason, subjects in failed.items():  # the reason, then what it takes down
        st.markdown(f":red[{reason}]")
        st.caption(f"{len(subjects)} cannot run: {', '.join(subjects)}" if len(subjects) > 1 else subjects[0])
    for f in report.findings:
        if f.ok and f.subject.startswith("teacher "):
            st.markdown(f"**{f.subject}**: {f.detail}")
    rest = [f for f in report.findings if f.ok and not f.subject.startswith("teacher ")]
    skipped = [f for f in report.findings if not f.ok and not f.applies]
    st.caption(
        f"{len(rest)} more can run (extractor, selector, methods, benchmark rows)"
        + (f"; {len(skipped)} do not apply to this dataset" if skipped else "")
        + ". `python -m prism_core workspaces check NAME` prints every line."
    )


def in_workspace(run: Run, ws: Workspace) -> bool:
    """A run belongs to the workspace whose dataset and weights it recorded."""
    try:
        cfg = run.config()
    except Exception:  # a damaged run is listed (with its reason) on the Runs page only
        return ws.name == EMBEDDED
    return cfg.dataset == ws.dataset and cfg.weights == ws.weights


@st.cache_resource
def _dataset(name: str):
    return get_dataset(name)


def dataset(name: str | None = None):
    """A dataset by name, by default the current workspace's."""
    return _dataset(name or workspace().dataset)


_MODEL_LOCK = threading.Lock()  # page models are shared by sessions; feature hooks must not see another's forward


@st.cache_resource(max_entries=8, show_spinner="Loading teacher...")
def teacher(name: str, dataset_name: str, weights: str):
    """A teacher for the pages (features, BN profiles), at most 8 kept; jobs have their own cache."""
    from prism_core.teachers import create_teacher

    return create_teacher(name, dataset(dataset_name).info, weights=weights)


def features_of(extractor: str, x01, dataset_name: str, weights: str):
    from prism_core.metrics import extract_features

    with _MODEL_LOCK:
        return extract_features(
            teacher(extractor, dataset_name, weights).model, x01, dataset(dataset_name).info
        ).numpy()


def all_runs() -> list[Run]:
    """Example runs shipped in assets/ first, then the user's runs: those of every workspace."""
    return list_runs(EXAMPLES_DIR) + list_runs(runs_dir())


def run_label(run: Run) -> str:
    origin = "example" if run.path.parent == EXAMPLES_DIR else "run"
    return f"{run.name} ({origin})"


PAGE_IMAGES = 5000  # above this a run is "large": pages show samples and measure only when asked


@st.cache_data(max_entries=256, show_spinner=False)
def class_images(path: str, mtime: float, cls: int, n: int):
    """The first `n` finished images of one class (uint8 (N, C, H, W)) with their IPC indices, read from the PNGs:
    a page loads what it shows, whatever the run's size."""
    run = Run(path)
    classes, ks = contents(run)
    ks = ks[classes == cls][:n]
    return (read_images(run, [cls] * len(ks), ks) if len(ks) else np.zeros((0, 1, 1, 1), np.uint8)), ks


@st.cache_data(max_entries=256, show_spinner=False)
def class_sources(path: str, mtime: float, cls: int, n: int) -> list[int]:
    """The training index of each of the first `n` images of a class, where a selection rule picked them (the
    first patch's for an RDED collage); empty for a run from noise."""
    found = Run(path).sources()
    return [found[cls, k][0] for k in class_images(path, mtime, cls, n)[1] if (cls, k) in found]


@st.cache_data(max_entries=256, show_spinner=False)
def class_frames(path: str, mtime: float, cls: int, n: int):
    """The trajectory of the first `n` images of one class: (steps, uint8 frames (F, n, C, H, W)), or None."""
    found = trajectory(Run(path), cls)
    if found is None:
        return None
    steps, frames, _, _ = found
    return steps, frames[:, :n]


def run_mtime(run: Run) -> float:
    """Changes whenever a batch finishes (its record is renamed into batches/)."""
    try:
        return (run.path / "batches").stat().st_mtime
    except FileNotFoundError:
        return 0.0


def image_count(run: Run) -> int:
    return sum(len(r.classes) for r in run.finished().values())


@st.cache_data(max_entries=64, show_spinner="Measuring diversity and fidelity...")
def run_metrics(path: str, mtime: float, stored_only: bool = False) -> RunMetrics | None:
    from prism_core.metrics import compute_metrics

    return compute_metrics(Run(path), stored_only=stored_only)


@st.cache_data(max_entries=32, show_spinner="Extracting features...")
def run_features(path: str, mtime: float, extractor: str, max_ipc: int = 100):
    """Extractor features of a run's images (its first `max_ipc` per class), with their classes and IPC indices."""
    from prism_core.metrics import run_images01
    from prism_core.metrics.run_metrics import model_weights

    run = Run(path)
    x, classes, ks = run_images01(run, max_ipc)
    return features_of(extractor, x, run.config().dataset, model_weights(run)), classes, ks


def finished_runs() -> dict[str, Run]:
    """The current workspace's runs with finished images to show; damaged ones are listed (with the reason) only on
    the Runs page."""
    out, ws = {}, workspace()
    for run in all_runs():
        if not in_workspace(run, ws):
            continue
        status = run_status(run)
        if status.batches_done and status.state != State.DAMAGED:
            out[run_label(run)] = run
    return out


def choose_runs(key: str) -> tuple[dict[str, Run], list[str]]:
    """The runs with finished images and the user's choice among them (by default two methods from the same init
    and seed); stops the page if none."""
    runs = finished_runs()
    if not runs:
        st.info("No finished runs yet: launch one on the Launch page.")
        st.stop()
    label = {run.path: name for name, run in runs.items()}
    default = [label[run.path] for run in fair_pair(list(runs.values()))]  # same init and seed, other method
    return runs, st.multiselect("Runs", list(runs), default=default, key=key)
