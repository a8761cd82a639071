"""Paired statistics: differences paired by seed with a t interval, and the summary's mean ± std (n)."""

import pytest

from prism_core import benchmark as bm
from tests.benchmark.fake_cells import EVALS, cell, cells_of


def test_differences_are_paired_by_seed_with_a_t_interval():
    a = [cell("PRISM · real", s, [80 + s + 1.0]) for s in range(3)]
    b = [cell("SRe2L · real", s, [80 + s]) for s in range(3)] + [cell("SRe2L · real", 3, [10.0])]
    mean, half, n = bm.paired(cells_of(*a, *b), 10, "PRISM · real", "SRe2L · real", EVALS[0])
    assert (mean, half, n) == (pytest.approx(1.0), pytest.approx(0.0), 3)  # seed 3 has no partner
    mean, half = bm.interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and half == pytest.approx(4.30 * 1.0 / 3**0.5)
    assert bm.interval([1.0]) is None


def test_the_summary_gives_mean_std_and_the_number_of_seeds():
    cells = cells_of(cell("random real", 0, [80.0]), cell("random real", 1, [82.0]), cell("SRe2L · real", 0, [1, 2]))
    rows = bm.summary(cells, 10, bm.ROWS)
    assert [r["row"] for r in rows] == ["random real", "SRe2L · real"]
    assert rows[0][EVALS[0]] == "81.0 ± 1.0 (2)" and rows[0][EVALS[1]] == "-"
    assert EVALS[2] not in rows[0]  # a column no cell has measured is left out (a benchmark of two students)


def test_at_ipc1_claims_read_density_not_vendi_which_is_one_by_construction():
    cells = cells_of(
        *(
            cell(r, s, [50.0 + s + (r == "PRISM · real")] * 6, vendi=1.0 - 1e-9 * s, ipc=1)
            for s in range(3)
            for r in ("random real", "PRISM · real")
        )
    )
    line = next(d for d in bm.differences(cells, 1) if d["claim"] == "PRISM · real − random real")
    assert "Vendi" not in line and "density" in line
    assert not any("Vendi" in s for s in bm.statements(cells, 1))
