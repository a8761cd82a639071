"""calibrate on a folder: a seeded sweep per init scored by a held-out zoo model, written beside the zoo, then used by
synth and the benchmark, and said so; explicit flags still win."""

import shutil

import pytest

from prism_core.benchmark import Benchmark
from prism_core.calibrated import Point, Recipe
from prism_core.calibration import MARGIN, Sweep, calibrate, choose
from prism_core.cli import main
from prism_core.workspaces import get_workspace

SMALL = {
    "noise": Sweep(lr=(0.05, 1.0), r_bn=(0.1,), steps=(10, 20), base=Recipe(1.0, 0.1, 10)),
    "real": Sweep(lr=(0.01,), r_bn=(0.01,), steps=(5,), base=Recipe(0.01, 0.01, 5)),
}


def test_the_built_in_setting_is_kept_unless_a_point_beats_it_by_the_margin():
    base, other = Recipe(1.0, 0.1, 300), Recipe(0.25, 0.01, 300)

    def points(gain, loss=0.1):
        return [Point("noise", base, 60.0, 0.2, 1.0), Point("noise", other, 60.0 + gain, loss, 1.0)]

    assert choose(points(MARGIN - 2), base) == base  # 4 of 50 images: within the draw
    assert choose(points(MARGIN), base) == other
    assert choose(points(0.0, loss=0.01), base) == base  # a tie is no evidence, whatever the convergence


@pytest.mark.integration
def test_a_calibrated_workspace_is_used_by_synth_and_the_benchmark(shapes_workspace, tmp_path, monkeypatch, capsys):
    root, _, dataset = shapes_workspace
    shutil.copytree(root / "zoo", tmp_path / "zoo")  # the session's zoo stays uncalibrated
    toml = tmp_path / "ws.toml"
    toml.write_text(f'[cal]\ndataset = "{dataset}"\nzoo = "{tmp_path / "zoo"}"\n')
    monkeypatch.setenv("PRISM_WORKSPACES", str(toml))
    monkeypatch.setattr("prism_core.cli.calibrate.SWEEPS", SMALL)
    seen = []
    assert main(["calibrate", "--workspace", "cal", "--ipc", "1"]) == 0
    out = capsys.readouterr().out
    ws = get_workspace("cal")
    cal = ws.calibrated
    assert cal is not None and cal.judge == "convnext_atto"  # held out: SRe2L and PRISM use resnet18 and lcnet_050
    noise = [p for p in cal.points if p.init == "noise" and p.method == "sre2l"]
    assert len(noise) == 3 and [p.method for p in cal.points].count("prism") == 2  # 2 lr at 10 steps, the best at 20
    assert cal.recipes["noise"] == choose(noise, SMALL["noise"].base)
    assert cal.recipes["real"].iterations == 5 and all(0 <= p.top1 <= 100 for p in cal.points)
    assert f"from noise: {cal.recipes['noise'].said()}" in out and "wrote" in out

    again = calibrate(ws, ipc=1, sweeps=SMALL, on_point=lambda p, done, total: seen.append((done, total)))
    assert [p.top1 for p in again.points] == [p.top1 for p in cal.points]  # seeded
    assert seen[-1] == (6, 6)  # progress: every point, of a known total

    run = tmp_path / "run"
    assert main(["synth", "--workspace", "cal", "--method", "sre2l", "--ipc", "1", "--out", str(run)]) == 0
    err = capsys.readouterr().err
    assert "calibrated for this workspace" in err
    from prism_core.synthesis.runstore import Run

    stored = Run(run).config()
    assert (stored.lr, stored.iterations) == (cal.recipes["noise"].lr, cal.recipes["noise"].iterations)
    flagged = tmp_path / "flagged"
    args = [
        "synth",
        "--workspace",
        "cal",
        "--method",
        "sre2l",
        "--ipc",
        "1",
        "--iterations",
        "3",
        "--out",
        str(flagged),
    ]
    assert main(args) == 0 and Run(flagged).config().iterations == 3  # the flag wins

    from prism_core.doctor import examine

    assert examine(ws).ok and "calibrated on" in {f.subject: f for f in examine(ws).findings}["recipes"].detail
    bench = Benchmark(ws)
    row = bench.synth_config("PRISM · real", 1, 0)
    assert (row.lr, row.iterations) == (cal.recipes["real"].lr, cal.recipes["real"].iterations)

    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    monkeypatch.setenv("PRISM_RUNS_DIR", str(tmp_path / "runs"))
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=180)
    at.run()
    at.selectbox(key="workspace_choice").set_value("cal").run()
    at.switch_page("app_pages/launch.py").run()  # PRISM by default: from the first real images
    assert not at.exception, [e.value for e in at.exception]
    assert at.number_input(key="w_lr_prism").value == cal.recipes["real"].lr
    assert any("calibrated for this workspace" in c.value for c in at.caption)
