"""`benchmark`: a preset is the starting point and each flag given replaces its field."""

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
