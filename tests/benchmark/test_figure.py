"""The results figure: every row's name readable in the diversity-fidelity panel."""

from prism_core.benchmark.figure import figure
from tests.benchmark.fake_cells import cell, cells_of


def test_the_scatter_names_every_row_without_covering_another_name():
    """Rows of one init sit together in the diversity-fidelity panel; their names must stay readable."""
    rows = ["random real", "real init images", "SRe2L · real", "PRISM · real", "PRISM balanced · real"]
    cells = cells_of(
        *(
            cell(r, s, [80.0] * 6, vendi=2.0 + 0.01 * i + 0.001 * s, coverage=0.3 + 0.002 * i)
            for i, r in enumerate(rows)
            for s in range(2)
        )
    )
    fig = figure(cells, 10, "convnext_atto")
    fig.canvas.draw()
    scatter = fig.axes[1]
    boxes = {t.get_text(): t.get_window_extent() for t in scatter.texts}
    assert set(boxes) == set(rows)
    overlaps = [(a, b) for i, a in enumerate(rows) for b in rows[i + 1 :] if boxes[a].overlaps(boxes[b])]
    assert not overlaps
    assert all(scatter.bbox.contains(*box.p0) and scatter.bbox.contains(*box.p1) for box in boxes.values())
