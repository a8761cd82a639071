"""The report: every claim gets a sentence, caveats say what a table cannot, and the README, docs/results.md and
the app show the same table."""

import json
import re
import subprocess
import sys

import pytest

from prism_core import benchmark as bm
from tests.benchmark.fake_cells import cell, cells_of
from tests.conftest import ROOT


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
    noise = next(line for line in said.splitlines() if line.startswith("- **PRISM · noise vs SRe2L · noise**: "))
    real = next(line for line in said.splitlines() if line.startswith("- **PRISM · real vs SRe2L · real**: "))
    assert "worse with resnet18 soft (-5.00 ± 0.00)" in noise and "better" not in noise
    assert "not a diversity gain at matched fidelity" in noise
    assert "better with resnet18 soft (+5.00 ± 0.00)" in real and "no difference" not in real.split(".")[0]
    assert "a diversity gain at matched fidelity" in real


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
    verdict = "\n".join(bm.headline(cells))
    text, doc = readme.read_text(), (tmp_path / "docs" / "results.md").read_text()
    assert verdict in text and verdict in doc and "stale" not in text and text.endswith("tail\n")
    assert doc.index(verdict) < doc.index("## Protocol")  # the verdict first
    assert "\n".join(bm.markdown(bm.summary(cells, 10, bm.ROWS))) in doc  # the full table below
    assert "- **PRISM vs SRe2L** (same init, seed and primary): from real images, better with" in text
    assert all((tmp_path / "docs" / "img" / f).stat().st_size for f in ("results.png", "forest.png"))
    assert bm.verdicts(cells)[0] in text and bm.verdicts(cells)[0] in doc  # the moonshot, decided the same
    assert doc.index("## IPC 1\n") < doc.index(bm.caveat(cells, 1)) and bm.caveat(cells, 1) not in text  # Vendi is 1


def test_an_ipc_measured_with_one_seed_says_it_tests_no_claim():
    one = cells_of(*(cell(r, 0, [80.0], ipc=50) for r in ("random real", "PRISM · real")))
    assert "One seed per row" in bm.caveat(one, 50) and bm.differences(one, 50) == []
    three = cells_of(*(cell(r, s, [80.0 + s], ipc=50) for r in ("random real", "PRISM · real") for s in range(3)))
    assert bm.caveat(three, 50) == "" and bm.differences(three, 50)


def test_the_readme_verdict_is_the_committed_grid_in_at_most_8_rows_by_4_columns():
    """Regenerate with `python scripts/results.py` after measuring."""
    block = re.search(r"<!-- results:start -->\n(.*?)<!-- results:end -->", (ROOT / "README.md").read_text(), re.S)
    cells = bm.load_cells()
    assert block and "\n".join(bm.headline(cells)) in block[1]
    table = [line for line in block[1].splitlines() if line.startswith("| ")]
    assert 1 < len(table) <= 9 and all(line.count(" | ") == 3 for line in table)  # header + 8 rows, 4 columns
    assert [line for line in block[1].splitlines() if line.startswith("- **")][:1] == bm.coreset_verdict(cells)


def test_markdown_rows_keep_their_columns_when_a_name_holds_a_pipe():
    lines = bm.markdown([{"row": "PRISM |S| = 2 · real", "top-1": "80.0"}])
    assert all(len(re.findall(r"(?<!\\)\|", line)) == 3 for line in lines)


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


def test_k_center_cells_measured_from_the_class_mean_no_longer_count():
    """k-center's first image became a seeded random one: its cells of the old rule are measured again."""
    old = cells_of(*(cell(r, s, [80.0 + s] * 6, ipc=1) for s in range(3) for r in ("herding", "k-center")))
    assert all(c.protocol == 1 for c in old.values())
    assert bm.summary(old, 1, bm.ROWS)[0]["row"] == "herding" and len(bm.summary(old, 1, bm.ROWS)) == 1
    assert bm.protocol_of("k-center") == 2 and bm.protocol_of("herding") == 1
