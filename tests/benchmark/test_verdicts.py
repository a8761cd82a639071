"""The decisions: the moonshot, PRISM balanced as the default, and synthesis against the best coreset."""

from prism_core import benchmark as bm
from tests.benchmark.fake_cells import cell, cells_of


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
