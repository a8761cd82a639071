"""The cells store: a cell lacking columns is completed, an old protocol measured again, seconds kept per machine."""

from dataclasses import replace

from prism_core import benchmark as bm
from prism_core.benchmark.protocol import METRICS, PROTOCOL
from prism_core.benchmark.store import CELL_METRICS
from tests.benchmark.fake_cells import EVALS, cell, cells_of


def test_a_cell_lacking_columns_is_completed_and_an_old_protocol_measured_again(tmp_path):
    assert bm.missing(None, EVALS[:2]) == EVALS[:2]
    partial = cell("random real", 0, [80.0])
    assert bm.missing(partial, EVALS[:3]) == EVALS[1:3]
    store = bm.CellStore(tmp_path / "cells.json")
    store.put(replace(partial, protocol=PROTOCOL - 1))
    assert bm.CellStore(tmp_path / "cells.json").get("random real", 10, 0) is None  # measured again


def test_every_metric_column_of_the_report_is_one_the_cells_keep():
    assert set(METRICS.values()) <= set(CELL_METRICS)


def test_measuring_time_is_counted_on_each_machine_a_cell_ran_on():
    old = {**cell("random real", 0, [80.0]).to_json(), "machine": "cpu", "seconds": 3600.0}
    del old["seconds_on"]  # a cell stored before seconds_on was: all of it where it started
    moved = replace(cell("random real", 1, [80.0]), seconds=3 * 3600.0, seconds_on={"cpu": 3600.0, "H100": 7200.0})
    assert bm.hours(cells_of(bm.Cell.from_json(old), moved)) == {"cpu": 2.0, "H100": 2.0}
