"""A benchmark's cells as the Results and Benchmark pages show them: the budget check, the figure, the table, the
paired differences, what holds and the decisions (the same functions as docs/results.md)."""

from __future__ import annotations

import io
import json

import streamlit as st

from prism_core import benchmark as bm
from prism_core.benchmark.figure import figure


@st.cache_data(show_spinner=False)
def _picture(cells_json: str, ipc: int, extractor: str) -> bytes:
    """The figure, cached by the cells' JSON (what st.cache_data can hash)."""
    buffer = io.BytesIO()
    figure(bm.cells_from_json(json.loads(cells_json)), ipc, extractor).savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def show(cells: bm.Cells, extractor: str, key: str) -> None:
    ipcs = bm.ipcs(cells)
    if not ipcs:
        st.info("No cell measured yet.")
        return
    if budget := bm.budget(cells):
        st.markdown(budget)
    ipc = st.radio("IPC", ipcs, horizontal=True, key=f"{key}_ipc")
    st.image(_picture(json.dumps(bm.cells_to_json(cells), sort_keys=True), ipc, extractor))
    st.dataframe(bm.summary(cells, ipc, [*bm.ROWS, *bm.ABLATION]), hide_index=True)
    if note := bm.caveat(cells, ipc):
        st.caption(note)
    diffs = bm.differences(cells, ipc)
    if diffs:
        st.markdown('**Paired differences** (same seed), mean ± 95 % interval; "holds" where it excludes 0')
        st.dataframe(diffs, hide_index=True)
        st.markdown("\n".join(bm.statements(cells, ipc)))
    verdicts = bm.verdicts(cells)
    if ipc == 10 and verdicts:
        st.markdown("\n".join(["**Decisions**", "", *verdicts]))
    st.markdown(
        next(
            iter(bm.coreset_verdict(cells)),
            "- **Synthesis against the best coreset**: no coreset is "
            "measured at IPC 10 yet (the *coresets* preset measures herding, k-center, easy, difficulty and "
            "RDED beside PRISM).",
        )
    )
