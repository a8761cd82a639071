"""Bad input through the CLI and through the app's Launch form: a clear message, exit status 2 (CLI), no
traceback, and no trace of a half-created run."""

import pytest
from safetensors.torch import save_file
from streamlit.testing.v1 import AppTest

from prism_core.teachers import build_network, get_spec
from tests.conftest import ROOT, image_tree
from tests.faults.test_kill_resume import cli

pytestmark = pytest.mark.faults
BASE = ["synth", "--method", "prism", "--weights", "random", "--iterations", "2"]


def refused(argv: list[str], capsys) -> tuple[int, str]:
    """The CLI's exit status and standard error for `argv`, run in this process (argparse's own refusals exit)."""
    from prism_core.cli import main

    try:
        code = main(argv)
    except SystemExit as exit:
        code = exit.code
    return code, capsys.readouterr().err


def test_cli_refuses_bad_input_clearly_and_creates_nothing(tmp_path, capsys):
    """Each case in this process (the same `main` as `python -m prism_core`), the first also as a real process."""
    five_classes = tmp_path / "lcnet_5cls.safetensors"
    net = build_network(get_spec("lcnet_050"), 5, 1)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(five_classes))
    (tmp_path / "not_json.json").write_text("ipc: 3")
    (tmp_path / "unknown_key.json").write_text('{"ipc": 1, "colour": "red"}')
    tree = image_tree(tmp_path / "tree")
    cases = [
        (["--primary", "resnet19"], "unknown architecture"),
        (["--bn-pool", "convnext_atto"], "no BatchNorm"),
        (["--method", "sre2l", "--primary", "lcnet_050", "--weights", str(five_classes)], "5 classes"),
        (["--ipc", "0"], "ipc must be a positive"),
        (["--ipc", "-3"], "ipc must be a positive"),
        (["--ipc", "5000"], "beyond the limit of 1000"),
        (
            ["--dataset", f"folder:{tree}", "--bn-pool", "lcnet_050", "--init", "real", "--ipc", "5"],
            "needs 5 training images per class",
        ),
        (["--iterations", "0"], "iterations must be a positive"),
        (["--classes", ","], "class list is empty"),
        (["--classes", "3,12"], "outside 0..9"),
        (["--lr", "nan"], "lr must be a finite positive number"),
        (["--lr", "-1"], "lr must be a finite positive number"),
        (["--config", str(tmp_path / "not_json.json")], "not valid JSON"),
        (["--config", str(tmp_path / "unknown_key.json")], "unknown config keys: colour"),
        (["--config", str(tmp_path / "missing.json")], "No such file"),
        (["--method", "herding"], "optimises nothing"),  # BASE asks for 2 iterations
        (["--init", "coreset"], "invalid choice"),
        (["--init", "herding", "--selector", "resnet19"], "name another with --selector"),
        (["--init", "kcenter", "--candidates", "-5"], "candidates must be a non-negative"),
        (["--method", "herding", "--iterations", "1", "--ipc", "10", "--candidates", "5"], "raise --candidates"),
    ]
    p = cli(*BASE, *cases[0][0], "--out", str(tmp_path / "x"))
    _, err = p.communicate(timeout=180)
    assert p.returncode == 2 and cases[0][1] in err and "Traceback" not in err, err
    for extra, message in cases:
        code, err = refused([*BASE, *extra, "--out", str(tmp_path / "x")], capsys)
        assert code == 2 and message in err and "Traceback" not in err, (extra, err)
        assert not (tmp_path / "x").exists(), extra


def test_a_broken_workspace_file_is_named_with_its_line_and_problem(tmp_path, monkeypatch):
    """Not "no workspace 'b'" alone: the user is told the file itself is broken, and where."""
    cases = {"syntax.toml": (b"[b\n", "at line 1"), "latin1.toml": (b'[b]\ndataset = "caf\xe9"\n', "at line 2")}
    for name, (content, line) in cases.items():
        (tmp_path / name).write_bytes(content)
        monkeypatch.setenv("PRISM_WORKSPACES", str(tmp_path / name))
        p = cli(*BASE, "--workspace", "b", "--out", str(tmp_path / "x"))
        _, err = p.communicate(timeout=180)
        assert p.returncode == 2 and str(tmp_path / name) in err and line in err and "Traceback" not in err, err
        assert not (tmp_path / "x").exists()


@pytest.fixture
def launch_page(tmp_path, monkeypatch):
    monkeypatch.setenv("PRISM_RUNS_DIR", str(tmp_path / "runs"))
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/launch.py").run()  # the Tour is the landing page
    return at


@pytest.mark.parametrize(
    "widget,value,message",
    [
        (("number_input", "w_ipc"), 0, "ipc must be a positive"),
        (("number_input", "w_iterations_prism"), 0, "iterations must be a positive"),
        (("number_input", "w_lr_prism"), 0.0, "lr must be a finite positive number"),
        (("multiselect", "w_classes"), [], "class list is empty"),
        (("text_input", "w_name"), "../escape", "invalid run name"),
        (("text_input", "w_name"), "a/b", "invalid run name"),
        (("text_input", "w_name"), "", "invalid run name"),
    ],
)
def test_launch_form_refuses_bad_input_visibly_and_creates_nothing(launch_page, tmp_path, widget, value, message):
    at = launch_page
    getattr(at, widget[0])(key=widget[1]).set_value(value).run()
    at.button(key="launch").click().run()
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    runs = tmp_path / "runs"
    assert not runs.exists() or not any(runs.iterdir())
    assert not (tmp_path / "escape").exists()


def test_launch_form_offers_no_way_to_a_bn_free_bn_teacher_or_a_huge_ipc(launch_page):
    at = launch_page
    assert at.checkbox(key="w_pool_prism_convnext_atto").disabled
    assert at.number_input(key="w_ipc").max == 1000  # the stated limit, MAX_IPC
