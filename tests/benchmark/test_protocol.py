"""The benchmark's protocol: which cells a benchmark plans, and in what order."""

from prism_core import benchmark as bm
from prism_core.workspaces import EMBEDDED_WORKSPACE


def test_cells_are_planned_seed_by_seed_so_each_finished_seed_adds_a_pair():
    plan = bm.Benchmark(EMBEDDED_WORKSPACE, ipcs=(10, 1), seeds=3).cells()
    assert [s for _, i, s in plan if i == 10] == sorted(s for _, i, s in plan if i == 10)
    assert {r for r, _, _ in plan} == set(bm.MAIN) and len(plan) == len(set(plan)) == 2 * 3 * len(bm.MAIN)
