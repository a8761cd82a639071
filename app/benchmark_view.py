"""A benchmark's cells as the Results and Benchmark pages show them, verdict first: the decisions, the compact table
and the forest plot of paired differences (with a row filter); one click down, the budget check, the bar chart, every
table and every claim (the same functions as docs/results.md)."""

from __future__ import annotations

import io
import json

import streamlit as st

from prism_core import benchmark as bm
from prism_core.benchmark.figure import figure, forest


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


@st.cache_data(show_spinner=False)
def _picture(cells_json: str, ipc: int, extractor: str) -> bytes:
    """The bar chart, cached by the cells' JSON (what st.cache_data can hash)."""
    return _png(figure(bm.cells_from_json(json.loads(cells_json)), ipc, extractor))


@st.cache_data(show_spinner=False)
def _forest(cells_json: str, rows: tuple[str, ...]) -> bytes:
    return _png(forest(bm.cells_from_json(json.loads(cells_json)), list(rows)))


def show(cells: bm.Cells, extractor: str, key: str) -> None:
    ipcs = bm.ipcs(cells)
    if not ipcs:
        st.info("No cell measured yet.")
        return
    cells_json = json.dumps(bm.cells_to_json(cells), sort_keys=True)
    if verdict := bm.headline(cells):
        st.markdown("\n".join(verdict))
        judged = bm.judged_rows(cells)
        rows = st.multiselect("Rows in the forest plot", judged, default=judged, key=f"{key}_forest_rows")
        st.image(_forest(cells_json, tuple(rows)))
    else:
        st.markdown(
            "- **Synthesis against the best coreset**: no coreset is measured at IPC 10 yet (the *coresets* preset "
            "measures herding, k-center, easy, difficulty, CCS and RDED beside PRISM)."
        )
    # with a verdict to lead, the detail waits one click down; without one (no IPC 10 yet), it is the page
    detail = "Every row, evaluation and claim: the tables, the bar chart and the paired differences"
    with st.expander(detail) if verdict else st.container():
        if budget := bm.budget(cells):
            st.markdown(budget)
        ipc = st.radio("IPC", ipcs, horizontal=True, key=f"{key}_ipc")
        st.image(_picture(cells_json, ipc, extractor))
        st.dataframe(bm.summary(cells, ipc, [*bm.ROWS, *bm.ABLATION]), hide_index=True)
        if note := bm.caveat(cells, ipc):
            st.caption(note)
        if ipc == 10 and (decisions := [*bm.verdicts(cells), *bm.coreset_verdict(cells)]):
            st.markdown("\n".join(["**Decisions**", "", *decisions]))
        diffs = bm.differences(cells, ipc)
        if diffs:
            st.markdown("\n".join(["**Each claim**", "", *bm.statements(cells, ipc)]))
            st.markdown(f"**Paired differences** (same seed), mean ± 95 % interval. {bm.HOW_TESTED}")
            st.dataframe(diffs, hide_index=True)
