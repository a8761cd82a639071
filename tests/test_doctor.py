"""`workspaces check`: a workspace's dataset, teachers, roles, methods and rows, tried before a user waits on them."""

import pytest

from prism_core.cli import main
from prism_core.doctor import examine
from prism_core.workspaces import EMBEDDED_WORKSPACE, get_workspace
from tests.conftest import poisoned_zoo


@pytest.mark.integration  # loads and scores the seven shipped teachers
def test_the_embedded_workspace_passes_every_check(capsys):
    report = examine(EMBEDDED_WORKSPACE)
    assert report.ok and report.dataset.classes == 10 and report.dataset.image_size == 32
    teachers = [f for f in report.findings if f.subject.startswith("teacher ")]
    assert len(teachers) == 7 and all("% top-1 on 200 test images" in f.detail for f in teachers)
    assert main(["workspaces", "check", "embedded"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and "rows that can run: random real" in out and "selector: regnetx_002" in out


def test_a_zoo_without_the_default_selector_gets_one_of_its_own(shapes_workspace, monkeypatch, capsys):
    _, toml, _ = shapes_workspace
    monkeypatch.setenv("PRISM_WORKSPACES", str(toml))
    report = examine(get_workspace("shapes"))
    by = {f.subject: f for f in report.findings}
    assert report.ok, report.lines()
    assert by["selector"].detail == "lcnet_050 (the default regnetx_002 is not in the zoo)"
    assert by["teacher resnet18"].detail.endswith("validation images")  # scored on its held-out part, not on test
    assert "calibrate --workspace shapes` fits them to this zoo" in by["recipes"].detail  # not calibrated yet
    assert main(["workspaces", "check", "shapes"]) == 0


def test_a_broken_teacher_fails_the_check_with_every_method_and_row_it_takes_down(
    shapes_workspace, tmp_path, monkeypatch, capsys
):
    root, _, dataset = shapes_workspace
    tensor = poisoned_zoo(root / "zoo", tmp_path / "zoo")
    toml = tmp_path / "ws.toml"
    toml.write_text(f'[broken]\ndataset = "{dataset}"\nzoo = "{tmp_path / "zoo"}"\n')
    monkeypatch.setenv("PRISM_WORKSPACES", str(toml))
    report = examine(get_workspace("broken"))
    failed = {f.subject: f.detail for f in report.findings if not f.ok}
    assert not report.ok and tensor in failed["teacher lcnet_050"]
    assert "method prism from noise" in failed and "row PRISM · noise" in failed and "row herding" in failed
    assert "method sre2l from noise" not in failed and "row SRe2L · noise" not in failed  # resnet18 alone
    assert main(["workspaces", "check", "broken"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  teacher lcnet_050" in out and "rows that can run: random real, real init images, SRe2L" in out
