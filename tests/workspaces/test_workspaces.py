"""Workspaces: a generated ImageFolder with a zoo trained on it for an epoch, declared in a TOML file, used by the
CLI and the app; bad files get messages that name the file and the key, and the embedded workspace stays."""

import json

import pytest

from prism_core.cli import main as cli
from prism_core.data.shapes import SHAPE_CLASSES as CLASSES
from prism_core.synthesis.run_export import read_images
from prism_core.synthesis.runstore import Run
from prism_core.workspaces import EMBEDDED, WorkspaceError, get_workspace, load_workspaces

pytestmark = pytest.mark.integration


@pytest.fixture
def workspace(shapes_workspace):
    return shapes_workspace


def launch_and_wait(at, name: str, iterations: int, runs) -> None:
    """Launch a PRISM run and its baseline from the AppTest's Launch form; wait until both finished."""

    at.number_input(key="w_iterations_prism").set_value(iterations).run()
    at.text_input(key="w_name").set_value(name).run()
    at.button(key="launch").click().run()
    assert not at.error, [e.value for e in at.error]
    wait_both_finished(runs, name)


def wait_both_finished(runs, name: str, timeout: float = 180) -> None:
    """The run and its baseline run in two worker processes at once: either may finish first."""
    import time

    deadline = time.time() + timeout
    for status in (runs / name / "status.json", runs / f"{name}-sre2l" / "status.json"):
        while time.time() < deadline and not (status.is_file() and '"finished"' in status.read_text()):
            time.sleep(0.3)


def test_teachers_train_prints_the_lines_that_declare_the_workspace(workspace, capsys):
    root, _, dataset = workspace
    assert (
        cli(
            [
                "teachers",
                "train",
                "--dataset",
                dataset,
                "--only",
                "lcnet_050",
                "--epochs",
                "1",
                "--min-updates",
                "0",
                "--out",
                str(root / "zoo2"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert f'dataset = "{dataset}"' in out and f'zoo = "{root / "zoo2"}"' in out and "PRISM_WORKSPACES" in out


def test_cli_synth_and_metrics_use_the_workspaces_dataset_teachers_and_extractor(workspace, monkeypatch, capsys):
    root, toml, dataset = workspace
    monkeypatch.setenv("PRISM_WORKSPACES", str(toml))
    run = root / "runs" / "p"
    assert (
        cli(
            [
                "synth",
                "--workspace",
                "shapes",
                "--method",
                "prism",
                "--bn-pool",
                "lcnet_050",
                "--ipc",
                "2",
                "--iterations",
                "3",
                "--out",
                str(run),
            ]
        )
        == 0
    )
    cfg = Run(run).config()
    assert cfg.dataset == dataset and cfg.weights == f"zoo:{root / 'zoo'}" and cfg.classes == (0, 1, 2)
    assert read_images(Run(run), [2], [1]).shape == (1, 3, 32, 32)  # real init from the folder's images
    assert cli(["metrics", str(run), "--json"]) == 0
    measured = json.loads(capsys.readouterr().out)["p"]
    assert measured["extractor"] == "convnext_atto" and 1 <= measured["vendi"] <= 2
    # a selection scores with a zoo model: the default selector is not in this zoo, so another is chosen, and said
    assert cli(["synth", "--workspace", "shapes", "--method", "herding", "--ipc", "2", "--out", str(root / "h")]) == 0
    assert "selector: lcnet_050 (the default regnetx_002 is not in the zoo)" in capsys.readouterr().err
    assert Run(root / "h").config().selector == "lcnet_050"  # recorded in the run
    # a selector the user names is kept, and refused when the zoo lacks it
    args = ["synth", "--workspace", "shapes", "--method", "herding", "--ipc", "2", "--selector", "mobilenetv2_050"]
    assert cli([*args, "--out", str(root / "h2")]) == 2
    assert "--selector" in capsys.readouterr().err and not (root / "h2").exists()
    assert {len(s) for s in Run(root / "h").sources().values()} == {1} and len(Run(root / "h").sources()) == 6
    assert cli(["synth", "--workspace", "nope", "--out", str(root / "runs" / "x")]) == 2
    assert "no workspace 'nope'" in capsys.readouterr().err and not (root / "runs" / "x").exists()


def test_synth_on_a_workspace_cuts_the_methods_default_pool_to_its_zoo_and_says_so(workspace, monkeypatch, capsys):
    root, toml, _ = workspace
    monkeypatch.setenv("PRISM_WORKSPACES", str(toml))
    args = ["synth", "--workspace", "shapes", "--method", "prism", "--ipc", "1", "--iterations", "2"]
    assert cli([*args, "--out", str(root / "default-pool")]) == 0
    zoo = set(get_workspace("shapes").teachers())
    pool = Run(root / "default-pool").config().bn_pool
    assert pool and set(pool) <= zoo  # PRISM's default pool names teachers this zoo does not have
    assert (
        f"BN pool: {', '.join(pool)} (the method's default, cut to the zoo); workspace shapes"
        in capsys.readouterr().err
    )


@pytest.mark.faults
@pytest.mark.parametrize(
    "body, message",
    [
        ('[a]\nzoo = "/z"\n', "key 'dataset' is missing"),
        ('[a]\ndataset = "folder:{empty}"\nzoo = "{zoo}"\n', "key 'dataset'"),
        ('[a]\ndataset = "{folder}:48"\nzoo = "{zoo}"\n', "key 'zoo': .* at 32 px"),
        (
            '[a]\ndataset = "{folder}"\nweights = "pretrained"\ncheckpoints = {{ resnet18 = "/no/file.pt" }}\n',
            "key 'checkpoints': resnet18",
        ),
        ('[a]\ndataset = "{folder}"\nzoo = "{zoo}"\ncolour = 1\n', "unknown key"),
        ("[a\n", "not a readable TOML"),
    ],
)
def test_a_bad_workspace_file_is_named_with_its_key_and_the_embedded_one_stays(workspace, tmp_path, body, message):
    root, _, dataset = workspace
    (tmp_path / "empty" / "train" / "x").mkdir(parents=True)
    path = tmp_path / "bad.toml"
    path.write_text(body.format(empty=tmp_path / "empty", zoo=root / "zoo", folder=dataset.rsplit(":", 1)[0]))
    found, problems = load_workspaces(path)
    assert list(found) == [EMBEDDED] and len(problems) == 1
    assert str(path) in problems[0] and __import__("re").search(message, problems[0]), problems[0]
    with pytest.raises(WorkspaceError):
        get_workspace("a", path)


def test_the_app_follows_the_workspace_chosen_in_the_sidebar(workspace, monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    root, toml, dataset = workspace
    monkeypatch.setenv("PRISM_WORKSPACES", str(toml))
    monkeypatch.setenv("PRISM_RUNS_DIR", str(tmp_path / "runs"))
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=180)
    at.run()
    assert at.selectbox(key="workspace_choice").options == ["embedded (fashion_mnist)", "shapes (folder)"]
    at.selectbox(key="workspace_choice").set_value("shapes").run()  # the sidebar's selector, as a user picks it
    at.switch_page("app_pages/launch.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert set(at.selectbox(key="w_primary").options) == {"resnet18", "lcnet_050", "convnext_atto"}
    assert at.multiselect(key="w_classes").options == sorted(CLASSES)  # ImageFolder order
    at.number_input(key="w_ipc").set_value(2).run()
    launch_and_wait(at, "shapes-run", 3, tmp_path / "runs")
    assert Run(tmp_path / "runs" / "shapes-run").config().dataset == dataset
    at.switch_page("app_pages/gallery.py").run()
    assert at.multiselect(key="gallery_runs").options == ["shapes-run (run)", "shapes-run-sre2l (run)"]  # no examples
    assert at.multiselect(key="gallery_classes").options == sorted(CLASSES) and not at.exception
    at.switch_page("app_pages/embeddings.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.get("plotly_chart") and "convnext_atto" in at.get("plotly_chart")[0].proto.spec


def test_the_sidebar_checks_the_chosen_workspace_as_the_cli_does(workspace, monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT, poisoned_zoo

    root, toml, dataset = workspace
    tensor = poisoned_zoo(root / "zoo", tmp_path / "zoo")
    toml = tmp_path / "ws.toml"
    toml.write_text(f'[broken]\ndataset = "{dataset}"\nzoo = "{tmp_path / "zoo"}"\n')
    monkeypatch.setenv("PRISM_WORKSPACES", str(toml))
    monkeypatch.setenv("PRISM_RUNS_DIR", str(tmp_path / "runs"))
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=180)
    at.run()
    at.selectbox(key="workspace_choice").set_value("broken").run()
    at.button(key="workspace_check").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error and "check(s) failed" in at.error[0].value
    shown = " ".join(m.value for m in at.sidebar.markdown)
    assert tensor in shown and "needs lcnet_050, which cannot be used here" in shown
    assert "teacher resnet18" in shown  # the usable teachers, with their scores


@pytest.mark.browser
def test_in_chromium_a_user_picks_their_workspace_launches_and_sees_their_images(workspace, monkeypatch, tmp_path):

    from playwright.sync_api import sync_playwright

    from tests.conftest import ROOT
    from tests.serving import chromium, free_port, launch_from_form, start_server

    _, toml, _ = workspace
    monkeypatch.setenv("PRISM_WORKSPACES", str(toml))
    port, runs = free_port(), tmp_path / "runs"
    proc = start_server(runs, port)
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    try:
        with sync_playwright() as p:
            ctx = chromium(p)
            page = ctx.new_page()
            page.goto(f"http://127.0.0.1:{port}")
            page.get_by_role("heading", name="A tour of dataset distillation").wait_for(timeout=90_000)
            page.wait_for_timeout(1500)
            page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').click()  # the workspace selector
            page.get_by_role("option", name="shapes (folder)").click()
            page.wait_for_timeout(1500)
            page.get_by_role("link", name="Launch").click()
            page.get_by_text("Launch a synthesis run").wait_for(timeout=60_000)
            page.get_by_text("workspace shapes").wait_for(timeout=30_000)
            page.get_by_text("lcnet_050 (", exact=False).first.wait_for(timeout=30_000)  # the zoo trained on the folder
            assert page.get_by_text("ghostnet_050").count() == 0  # not the embedded zoo
            launch_from_form(page, "mine", ipc=2, iterations=3)
            wait_both_finished(runs, "mine")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(artifacts / "workspace-launch.png"), full_page=True)
            page.get_by_role("link", name="Gallery").click()
            page.get_by_text("Real (test split)").wait_for(timeout=60_000)
            page.wait_for_timeout(2000)
            assert page.get_by_text("mine (run)").count() >= 1 and page.get_by_text("example-prism").count() == 0
            widths = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
            assert len([w for w in widths if w > 0]) >= 6
            page.screenshot(path=str(artifacts / "workspace-gallery.png"), full_page=True)
            page.get_by_role("link", name="Embeddings").click()
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=180_000)
            page.wait_for_timeout(2000)
            assert not page.get_by_text("Traceback").count()
            page.screenshot(path=str(artifacts / "workspace-embeddings.png"), full_page=True)
            ctx.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_an_imagenet_size_workspace_offers_only_teachers_with_weights_and_a_reduced_cpu_size(monkeypatch, tmp_path):
    """Pretrained weights, nothing cached: Launch says how to provide them instead of failing after launch; with one
    checkpoint that teacher is offered, the ImageNet-size preset appears, and on a CPU the run is made at 64 px."""
    from safetensors.torch import save_file
    from streamlit.testing.v1 import AppTest

    from prism_core.teachers import build_network, get_spec
    from tests.conftest import ROOT

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("PRISM_RUNS_DIR", str(tmp_path / "runs"))
    toml = tmp_path / "ws.toml"
    toml.write_text('[imagenet]\ndataset = "imagenet_shape:96"\nweights = "pretrained"\n')
    monkeypatch.setenv("PRISM_WORKSPACES", str(toml))

    def launch_page() -> AppTest:
        at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=180)
        at.run()
        at.selectbox(key="workspace_choice").set_value("imagenet").run()
        at.switch_page("app_pages/launch.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    at = launch_page()
    assert any("has its ImageNet weights" in w.value and "--checkpoint" in w.value for w in at.warning)
    assert not any(b.key == "launch" for b in at.button)  # nothing to launch until weights are here
    net = build_network(get_spec("tv_resnet18"), 1000, 3)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(tmp_path / "r18.safetensors"))
    toml.write_text(toml.read_text() + f'checkpoints = {{ tv_resnet18 = "{tmp_path / "r18.safetensors"}" }}\n')
    at = launch_page()
    assert at.selectbox(key="w_primary").options == ["tv_resnet18"]
    assert any(b.key == "preset_ImageNet-size demo" for b in at.button)
    at.button(key="preset_ImageNet-size demo").click().run()
    assert at.checkbox(key="w_reduced").value  # a CPU: the reduced size is on
    launch_and_wait(at, "inet", 2, tmp_path / "runs")
    cfg = Run(tmp_path / "runs" / "inet").config()
    assert (cfg.dataset, cfg.weights, cfg.ipc, len(cfg.classes), cfg.init) == (
        "imagenet_shape:64",
        "pretrained",
        1,
        3,
        "noise",
    )
    assert read_images(Run(tmp_path / "runs" / "inet"), [0], [0]).shape == (1, 3, 64, 64)


def test_evaluate_and_priors_take_the_workspace(workspace, monkeypatch, tmp_path, capsys):
    root, toml, dataset = workspace
    monkeypatch.setenv("PRISM_WORKSPACES", str(toml))
    run = tmp_path / "r"
    assert (
        cli(
            [
                "synth",
                "--workspace",
                "shapes",
                "--method",
                "sre2l",
                "--init",
                "noise",
                "--ipc",
                "1",
                "--iterations",
                "2",
                "--out",
                str(run),
            ]
        )
        == 0
    )
    assert (
        cli(["evaluate", str(run), "--workspace", "shapes", "--student", "convnet", "--epochs", "1", "--seeds", "1"])
        == 0
    )  # relabelled by the workspace's resnet18, scored on its val split
    assert "convnet" in capsys.readouterr().out
    assert (
        cli(
            [
                "priors",
                "--workspace",
                "shapes",
                "--out",
                str(tmp_path / "priors"),
                "--classes",
                "0,1",
                "--ipc",
                "1",
                "--iterations",
                "2",
            ]
        )
        == 0
    )
    rows = json.loads((tmp_path / "priors" / "priors.json").read_text())["rows"]
    assert list(rows) == ["sre2l", "lcnet_050", "prism-mixture"]  # the workspace zoo's BN teachers, not the shipped
    assert Run(tmp_path / "priors" / "lcnet_050").config().dataset == dataset


@pytest.mark.faults
def test_the_app_starts_on_the_embedded_workspace_when_the_file_is_broken(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    (tmp_path / "ws.toml").write_text("[mine]\nzoo = 3\n")
    monkeypatch.setenv("PRISM_WORKSPACES", str(tmp_path / "ws.toml"))
    monkeypatch.setenv("PRISM_RUNS_DIR", str(tmp_path / "runs"))
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    at.run()
    assert not at.exception and at.title[0].value == "A tour of dataset distillation"
    assert at.selectbox(key="workspace_choice").options == ["embedded (fashion_mnist)"]
    assert any(str(tmp_path / "ws.toml") in w.value and "'dataset' is missing" in w.value for w in at.warning)
