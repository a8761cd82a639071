"""The benchmark's store, statistics and report: cells resume and complete, differences are paired by seed, every
claim gets a verdict, and the README, docs/results.md and the app show the same table."""

import json
import re
import subprocess
import sys
from dataclasses import replace

import pytest

from prism_core import benchmark as bm
from prism_core.benchmark.figure import figure
from prism_core.benchmark.protocol import METRICS, PROTOCOL
from prism_core.benchmark.store import CELL_METRICS
from prism_core.workspaces import EMBEDDED_WORKSPACE
from tests.conftest import ROOT

EVALS = list(bm.EVALS)


def cell(row, seed, top1, vendi=2.0, coverage=0.3, ipc=10):
    metrics = {"vendi": vendi, "coverage": coverage, "cosine": 0.8, "density": 1.0}
    return bm.Cell(row, ipc, seed, top1=dict(zip(EVALS, top1)), metrics=metrics, seconds=1.0)


def cells_of(*cs):
    return {c.key: c for c in cs}


def test_a_cell_lacking_columns_is_completed_and_an_old_protocol_measured_again(tmp_path):
    assert bm.missing(None, EVALS[:2]) == EVALS[:2]
    partial = cell("random real", 0, [80.0])
    assert bm.missing(partial, EVALS[:3]) == EVALS[1:3]
    store = bm.CellStore(tmp_path / "cells.json")
    store.put(replace(partial, protocol=PROTOCOL - 1))
    assert bm.CellStore(tmp_path / "cells.json").get("random real", 10, 0) is None  # measured again


def test_cells_are_planned_seed_by_seed_so_each_finished_seed_adds_a_pair():
    plan = bm.Benchmark(EMBEDDED_WORKSPACE, ipcs=(10, 1), seeds=3).cells()
    assert [s for _, i, s in plan if i == 10] == sorted(s for _, i, s in plan if i == 10)
    assert {r for r, _, _ in plan} == set(bm.MAIN) and len(plan) == len(set(plan)) == 2 * 3 * len(bm.MAIN)


def test_differences_are_paired_by_seed_with_a_t_interval():
    a = [cell("PRISM · real", s, [80 + s + 1.0]) for s in range(3)]
    b = [cell("SRe2L · real", s, [80 + s]) for s in range(3)] + [cell("SRe2L · real", 3, [10.0])]
    mean, half, n = bm.paired(cells_of(*a, *b), 10, "PRISM · real", "SRe2L · real", EVALS[0])
    assert (mean, half, n) == (pytest.approx(1.0), pytest.approx(0.0), 3)  # seed 3 has no partner
    mean, half = bm.interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and half == pytest.approx(4.30 * 1.0 / 3**0.5)
    assert bm.interval([1.0]) is None


def test_a_diversity_gain_counts_only_at_matched_fidelity():
    seeds = range(3)
    far = [cell("PRISM · noise", s, [70.0 + s] * 6, vendi=4.0 + 0.1 * s, coverage=0.05) for s in seeds]
    near = [cell("PRISM · real", s, [80.0 + s] * 6, vendi=3.0 + 0.1 * s, coverage=0.30) for s in seeds]
    base = [
        cell(r, s, [75.0 + s] * 6, vendi=2.0 + 0.1 * s, coverage=0.30 + 0.01 * s)
        for s in seeds
        for r in ("SRe2L · noise", "SRe2L · real")
    ]
    said = "\n".join(bm.statements(cells_of(*far, *near, *base), 10))
    noise = next(line for line in said.splitlines() if line.startswith("- **PRISM · noise beats SRe2L · noise"))
    real = next(line for line in said.splitlines() if line.startswith("- **PRISM · real beats SRe2L · real"))
    assert "does not hold for any student" in noise and "SRe2L · noise is better for" in noise
    assert "not a diversity gain at matched fidelity" in noise
    assert "holds for every student" in real and "a diversity gain at matched fidelity" in real


def test_the_init_images_row_is_what_every_real_init_run_starts_from(fmnist, tmp_path):
    from prism_core.benchmark.measure import make_images
    from prism_core.data import real_image_indices

    bench = bm.Benchmark(EMBEDDED_WORKSPACE)
    images = make_images(bench, "real init images", 2, 5, tmp_path)
    train = fmnist.split("train")
    start = train.load(real_image_indices(train, [(c, k) for c in range(10) for k in range(2)]))
    assert (images.x01 == start).all() and list(images.classes) == [c for c in range(10) for _ in range(2)]
    draws = [make_images(bench, "random real", 2, seed, tmp_path).x01 for seed in (0, 1)]
    assert not (draws[0] == draws[1]).all()


def test_the_summary_gives_mean_std_and_the_number_of_seeds():
    cells = cells_of(cell("random real", 0, [80.0]), cell("random real", 1, [82.0]), cell("SRe2L · real", 0, [1, 2]))
    rows = bm.summary(cells, 10, bm.ROWS)
    assert [r["row"] for r in rows] == ["random real", "SRe2L · real"]
    assert rows[0][EVALS[0]] == "81.0 ± 1.0 (2)" and rows[0][EVALS[1]] == "-"
    assert EVALS[2] not in rows[0]  # a column no cell has measured is left out (a benchmark of two students)


@pytest.mark.integration
def test_a_cell_is_measured_then_completed_without_repeating_work(tmp_path, fmnist):
    from distributed import Client

    bench = bm.Benchmark(
        EMBEDDED_WORKSPACE,
        rows=("SRe2L · noise",),
        ipcs=(1,),
        seeds=1,
        students=("convnet",),
        labels=("hard",),
        epochs=1,
        extra={"iterations": 2},
    )
    store = bm.CellStore(tmp_path / "cells.json")
    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
        tasks = []
        assert bm.run(bench, store, client, tmp_path / "runs", lambda p: tasks.append(p.label)) == 0
        done = store.get("SRe2L · noise", 1, 0)
        assert sorted(tasks) == ["convnet hard", "metrics"] and 0 <= done.top1["convnet hard"] <= 100
        assert set(done.metrics) == set(CELL_METRICS)  # every value the file keeps, each one measured
        assert done.metrics["coverage"] >= 0 and done.metrics["vendi"] == pytest.approx(
            1.0, abs=1e-6
        )  # one image per class
        kept, tasks = dict(done.top1), []
        wider = bm.Benchmark(**{**bench.__dict__, "students": ("convnet", "resnet18")})
        assert bm.run(wider, store, client, tmp_path / "runs", lambda p: tasks.append(p.label)) == 0
    again = bm.CellStore(tmp_path / "cells.json").get("SRe2L · noise", 1, 0)
    assert tasks == ["resnet18 hard"] and again.top1["convnet hard"] == kept["convnet hard"]
    assert sum(again.seconds_on.values()) == pytest.approx(again.seconds)


def test_every_metric_column_of_the_report_is_one_the_cells_keep():
    assert set(METRICS.values()) <= set(CELL_METRICS)


def test_measuring_time_is_counted_on_each_machine_a_cell_ran_on():
    old = {**cell("random real", 0, [80.0]).to_json(), "machine": "cpu", "seconds": 3600.0}
    del old["seconds_on"]  # a cell stored before seconds_on was: all of it where it started
    moved = replace(cell("random real", 1, [80.0]), seconds=3 * 3600.0, seconds_on={"cpu": 3600.0, "H100": 7200.0})
    assert bm.hours(cells_of(bm.Cell.from_json(old), moved)) == {"cpu": 2.0, "H100": 2.0}


@pytest.mark.integration
def test_results_script_writes_the_same_table_to_the_doc_and_the_readme(tmp_path):
    cells = cells_of(
        *(
            cell(r, s, [80.0 + s + (r == "PRISM · real")] * 6)
            for s in range(2)
            for r in ("random real", "SRe2L · real", "PRISM · real")
        ),
        cell("random real", 0, [50.0], ipc=1),
    )
    (tmp_path / "cells.json").write_text(json.dumps(bm.cells_to_json(cells)))
    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- results:start -->\nstale\n<!-- results:end -->\ntail\n")
    subprocess.run(
        [
            sys.executable,
            "scripts/results.py",
            "--cells",
            str(tmp_path / "cells.json"),
            "--docs",
            str(tmp_path / "docs"),
            "--readme",
            str(readme),
        ],
        cwd=ROOT,
        check=True,
    )
    table = "\n".join(bm.markdown(bm.summary(cells, 10, bm.ROWS)))
    text, doc = readme.read_text(), (tmp_path / "docs" / "results.md").read_text()
    assert table in text and table in doc and "stale" not in text and text.endswith("tail\n")
    assert "PRISM · real beats SRe2L · real" in text and (tmp_path / "docs" / "img" / "results.png").stat().st_size
    assert bm.verdicts(cells)[0] in text and bm.verdicts(cells)[0] in doc  # the moonshot, decided the same
    assert doc.index("## IPC 1\n") < doc.index(bm.caveat(cells, 1)) and bm.caveat(cells, 1) not in text  # Vendi is 1


def test_an_ipc_measured_with_one_seed_says_it_tests_no_claim():
    one = cells_of(*(cell(r, 0, [80.0], ipc=50) for r in ("random real", "PRISM · real")))
    assert "One seed per row" in bm.caveat(one, 50) and bm.differences(one, 50) == []
    three = cells_of(*(cell(r, s, [80.0 + s], ipc=50) for r in ("random real", "PRISM · real") for s in range(3)))
    assert bm.caveat(three, 50) == "" and bm.differences(three, 50)


def test_the_readme_summary_is_the_committed_grid():
    """Regenerate with `python scripts/results.py` after measuring."""
    block = re.search(r"<!-- results:start -->\n(.*?)<!-- results:end -->", (ROOT / "README.md").read_text(), re.S)
    cells = bm.load_cells()
    assert block and "\n".join(bm.markdown(bm.summary(cells, 10, bm.ROWS))) in block[1]


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


def test_markdown_rows_keep_their_columns_when_a_name_holds_a_pipe():
    lines = bm.markdown([{"row": "PRISM |S| = 2 · real", "top-1": "80.0"}])
    assert all(len(re.findall(r"(?<!\\)\|", line)) == 3 for line in lines)


def test_the_moonshot_needs_three_holding_points_with_every_student_and_label_kind():
    def grid_of(gain, last_gain):
        return cells_of(
            *(
                cell(
                    r,
                    s,
                    [
                        80.0 + s * (1 + 0.1 * i) + (r == "PRISM · real") * (gain if i < 3 else last_gain)
                        for i in range(4)
                    ],
                )
                for s in range(3)
                for r in ("random real", "PRISM · real")
            )
        )

    assert "met by PRISM · real" in bm.verdicts(grid_of(3.5, 3.5))[0]
    missed = bm.verdicts(grid_of(3.5, 2.0))[0]  # three of the four columns are not enough
    assert "not met" in missed and "+2.00" in missed and "convnet hard" in missed


def test_synthesis_is_held_against_the_best_coreset_of_each_evaluation():
    def grid_of(prism_gain):
        # herding is the best coreset with ResNet-18, easy with the ConvNet; PRISM · real gains over the better one
        base = {"random real": [80, 70, 78, 70], "herding": [84, 74, 78, 70], "easy": [80, 70, 81, 73]}
        best = [84, 74, 81, 73]
        rows = {**base, "PRISM · real": [b + g for b, g in zip(best, prism_gain)]}
        return cells_of(
            *(cell(r, s, [v + s * (1 + 0.1 * i) for i, v in enumerate(vs)]) for s in range(3) for r, vs in rows.items())
        )

    assert bm.coreset_verdict(grid_of([2.5] * 4))[0].endswith("met by PRISM · real.")
    missed = bm.coreset_verdict(grid_of([2.5, 2.5, 2.5, 1.0]))[0]  # 1 point above easy with the ConvNet, hard labels
    assert "not met" in missed and "+1.00" in missed and "against easy with convnet hard" in missed
    behind = bm.coreset_verdict(grid_of([-3.0, 2.5, 2.5, 2.5]))[0]
    assert "against herding with resnet18 soft" in behind and "ahead, holding, in 1 of 4" in behind
    assert (
        bm.coreset_verdict(
            cells_of(*(cell(r, s, [80.0 + s] * 4) for s in range(3) for r in ("random real", "PRISM · real")))
        )
        == []
    )  # no coreset measured
    one_seed = {k: c for k, c in grid_of([2.5] * 4).items() if c.seed == 0}
    assert "no interval yet" in bm.coreset_verdict(one_seed)[0]


def test_balanced_becomes_the_default_only_if_it_wins_somewhere_and_loses_nowhere():
    def balanced(delta):
        return cells_of(
            *(
                cell(r, s, [80.0 + s + (r.startswith("PRISM balanced")) * d for d in delta])
                for s in range(3)
                for r in ("PRISM · real", "PRISM balanced · real")
            )
        )

    assert "make it the default" in bm.verdicts(balanced([1.0, 0.0]))[-1]
    mixed = bm.verdicts(balanced([1.0, -1.0]))[-1]
    assert "PRISM stays the default" in mixed and "worse: real init, resnet18 hard" in mixed


def test_the_budget_check_says_whether_accuracy_rises_with_the_ipc():
    def grown(at_50):
        return cells_of(
            *(cell("random real", s, [v] * 6, ipc=i) for s in range(2) for i, v in ((1, 40.0), (10, 70.0), (50, at_50)))
        )

    assert "rises with the IPC in every evaluation" in bm.budget(grown(80.0))
    flat = bm.budget(grown(70.0))  # IPC 50 scoring what IPC 10 did: the old fixed-update budget
    assert "40.0 → 70.0 → 70.0" in flat and "does not rise with the IPC for resnet18 soft" in flat
    assert bm.budget(cells_of(cell("random real", 0, [70.0]))) == ""  # one IPC: nothing to compare


def test_a_column_missing_an_ipc_neither_hides_the_others_ipcs_nor_is_dropped():
    """The ViT measured at IPC 1 and 10 only: ResNet-18 still shows its IPC 50 figure, the ViT its own chain."""
    cells = cells_of(
        *(
            cell("random real", 0, v, ipc=i)
            for i, v in (
                (1, [40.0, 30.0, 35.0, 36.0, 20.0, 20.0]),
                (10, [70.0, 60.0, 65.0, 66.0, 48.0, 50.0]),
                (50, [80.0, 75.0, 76.0, 77.0]),
            )
        )
    )
    line = bm.budget(cells)
    assert "IPC 1 → 10 → 50" in line and "resnet18 soft 40.0 → 70.0 → 80.0" in line
    assert "vit soft (IPC 1 → 10) 20.0 → 48.0" in line and "rises with the IPC in every evaluation" in line


def test_ipc_1_says_k_center_and_herding_hold_the_same_images():
    cells = bm.load_cells()  # the shipped grid: both rows measured at IPC 1
    assert "k-center's one image per class is herding's" in bm.caveat(cells, 1)
    assert "herding's" not in bm.caveat(cells, 10)
