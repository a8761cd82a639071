"""Paired statistics: differences paired by seed with a t interval, and the summary's mean ± std (n)."""

import pytest

from prism_core import benchmark as bm
from tests.benchmark.fake_cells import EVALS, cell, cells_of


def test_differences_are_paired_by_seed_with_a_t_interval():
    a = [cell("PRISM · real", s, [80 + s + 1.0]) for s in range(3)]
    b = [cell("SRe2L · real", s, [80 + s]) for s in range(3)] + [cell("SRe2L · real", 3, [10.0])]
    d = bm.paired(cells_of(*a, *b), 10, "PRISM · real", "SRe2L · real", EVALS[0])
    assert (d.mean, d.half, d.n, d.p) == (pytest.approx(1.0), pytest.approx(0.0), 3, 0.0)  # seed 3 has no partner
    mean, half = bm.interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and half == pytest.approx(4.303 * 1.0 / 3**0.5, rel=1e-3)
    # 6 pairs need t = 2.571, not the 2.0 of a normal approximation (Student's table)
    assert bm.interval([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])[1] == pytest.approx(2.571 * 1.8708 / 6**0.5, rel=1e-3)
    assert bm.interval([1.0]) is None


def test_holm_adjusts_the_smallest_p_by_the_family_size_and_keeps_the_order():
    def d(p):
        return bm.Difference(1.0, 0.5, 3, p, p)

    adjusted = bm.holm([d(0.01), None, d(0.04), d(0.03)])
    # sorted: 0.01 x 3, 0.03 x 2, 0.04 x 1, each at least the one before (step-down)
    assert [x and round(x.p_holm, 6) for x in adjusted] == [0.03, None, 0.06, 0.06]
    assert [bm.direction(x) for x in adjusted] == [1, 0, 0, 0]  # alone, 0.03 and 0.04 would hold


def test_one_narrow_win_among_six_evaluations_does_not_hold_once_the_line_is_corrected():
    # resnet18 soft: +1.0, +1.3, +0.7 (p about 0.03 alone); the other five evaluations: exactly no difference (p = 1)
    a = [cell("PRISM · real", s, [81.0 + (0.0, 0.3, -0.3)[s]] + [80.0] * 5) for s in range(3)]
    b = [cell("SRe2L · real", s, [80.0] * 6) for s in range(3)]
    cells = cells_of(*a, *b)
    alone = bm.paired(cells, 10, "PRISM · real", "SRe2L · real", EVALS[0])
    assert 0.01 < alone.p < 0.05 and bm.direction(alone) == 1  # untested alone, it would hold
    family = bm.accuracy(cells, 10, "PRISM · real", "SRe2L · real")
    assert family[EVALS[0]].p_holm == pytest.approx(6 * alone.p) and bm.direction(family[EVALS[0]]) == 0
    line = next(s for s in bm.statements(cells, 10) if s.startswith("- **PRISM · real vs SRe2L · real**"))
    assert "no difference in any of the 6 evaluations" in line


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
