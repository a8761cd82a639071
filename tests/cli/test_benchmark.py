"""`benchmark`: a preset is the starting point and each flag given replaces its field."""

from dataclasses import fields

from prism_core.benchmark.protocol import MAIN, PRESETS
from prism_core.cli import build_parser
from prism_core.cli.benchmark import benchmark_from_args


def parse(*flags):
    return benchmark_from_args(build_parser().parse_args(["benchmark", "--out", "x", *flags]))


def test_the_cli_starts_from_a_preset_and_each_flag_replaces_its_field():
    paper = parse()
    assert (paper.rows, paper.ipcs, paper.seeds, paper.epochs) == (MAIN, (10,), 3, None)  # the shipped protocol
    classroom = parse("--preset", "classroom", "--seeds", "2", "--students", "convnet,vit")
    assert classroom.rows == PRESETS["classroom"]["rows"] and classroom.ipcs == (1,) and classroom.epochs == 20
    assert (classroom.seeds, classroom.students) == (2, ("convnet", "vit"))
    assert parse("--rows", "random real, PRISM · real", "--ipcs", "1,50").rows == ("random real", "PRISM · real")


def test_every_benchmark_field_is_a_flag_that_sets_it(capsys):
    """The flags are made from Benchmark's fields (as the Benchmark page's labels and helps are): a new field is a
    new flag."""
    import pytest

    from prism_core.benchmark import Benchmark
    from prism_core.cli import main

    with pytest.raises(SystemExit):
        main(["benchmark", "--help"])
    text = capsys.readouterr().out
    flagged = [f.name for f in fields(Benchmark) if "help" in f.metadata]
    assert set(flagged) >= {"rows", "ipcs", "seeds", "students", "labels", "epochs", "device", "threads"}
    for name in flagged:
        assert "--" + name.replace("_", "-") in text, name
    given = parse("--ipcs", "1, 10", "--labels", "hard", "--threads", "2", "--device", "cuda", "--epochs", "5")
    assert (given.ipcs, given.labels, given.threads, given.device, given.epochs) == ((1, 10), ("hard",), 2, "cuda", 5)
