"""Workspaces: a generated ImageFolder with a zoo trained on it for an epoch, declared in a TOML file, used by the
CLI and the app; bad files get messages that name the file and the key, and the embedded workspace stays."""
import json

import numpy as np
import pytest
from PIL import Image

from prism_core.cli import main as cli
from prism_core.runstore import Run
from prism_core.workspaces import EMBEDDED, WorkspaceError, get_workspace, load_workspaces

pytestmark = pytest.mark.integration
CLASSES = ("circles", "stripes", "checks")


def pattern(cls: int, seed: int, size: int = 32) -> np.ndarray:
    """A class-specific picture: a disc, horizontal stripes or a checkerboard, with noise and a random shift."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:size, :size] + rng.integers(0, 6, 2)[:, None, None]
    base = [((x - 18) ** 2 + (y - 18) ** 2 < 80), (y // 4) % 2 == 0, ((x // 6) + (y // 6)) % 2 == 0][cls]
    img = base * 200 + rng.normal(30, 20, (size, size))
    colour = np.stack([img, img * (0.5 + 0.25 * cls), img[::-1]], -1)
    return np.clip(colour, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    for split, n in (("train", 40), ("val", 10)):
        for c, name in enumerate(CLASSES):
            (root / "shapes" / split / name).mkdir(parents=True)
            for i in range(n):
                Image.fromarray(pattern(c, 1000 * c + i + (0 if split == "train" else 500))).save(
                    root / "shapes" / split / name / f"{i}.png")
    dataset = f"folder:{root / 'shapes'}:32"
    assert cli(["teachers", "train", "--dataset", dataset, "--only", "resnet18,lcnet_050,convnext_atto",
                "--epochs", "1", "--out", str(root / "zoo")]) == 0
    toml = root / "workspaces.toml"
    toml.write_text(f'[shapes]\ndataset = "{dataset}"\nzoo = "{root / "zoo"}"\n')
    return root, toml, dataset


def test_teachers_train_prints_the_lines_that_declare_the_workspace(workspace, capsys):
    root, _, dataset = workspace
    assert cli(["teachers", "train", "--dataset", dataset, "--only", "lcnet_050", "--epochs", "1",
                "--out", str(root / "zoo2")]) == 0
    out = capsys.readouterr().out
    assert f'dataset = "{dataset}"' in out and f'zoo = "{root / "zoo2"}"' in out and "PRISM_WORKSPACES" in out


def test_cli_synth_and_metrics_use_the_workspaces_dataset_teachers_and_extractor(workspace, monkeypatch, capsys):
    root, toml, dataset = workspace
    monkeypatch.setenv("PRISM_WORKSPACES", str(toml))
    run = root / "runs" / "p"
    assert cli(["synth", "--workspace", "shapes", "--method", "prism", "--bn-pool", "lcnet_050", "--ipc", "2",
                "--iterations", "3", "--out", str(run)]) == 0
    cfg = Run(run).config()
    assert cfg.dataset == dataset and cfg.weights == f"zoo:{root / 'zoo'}" and cfg.classes == (0, 1, 2)
    assert Run(run).read_images([2], [1]).shape == (1, 3, 32, 32)  # real init from the folder's images
    assert cli(["metrics", str(run), "--json"]) == 0
    measured = json.loads(capsys.readouterr().out)["p"]
    assert measured["extractor"] == "convnext_atto" and 1 <= measured["vendi"] <= 2
    assert cli(["synth", "--workspace", "nope", "--out", str(root / "runs" / "x")]) == 2
    assert "no workspace 'nope'" in capsys.readouterr().err and not (root / "runs" / "x").exists()


@pytest.mark.faults
@pytest.mark.parametrize("body, message", [
    ('[a]\nzoo = "/z"\n', "key 'dataset' is missing"),
    ('[a]\ndataset = "folder:{empty}"\nzoo = "{zoo}"\n', "key 'dataset'"),
    ('[a]\ndataset = "{folder}:48"\nzoo = "{zoo}"\n', "key 'zoo': .* at 32 px"),
    ('[a]\ndataset = "{folder}"\nweights = "pretrained"\ncheckpoints = {{ resnet18 = "/no/file.pt" }}\n',
     "key 'checkpoints': resnet18"),
    ('[a]\ndataset = "{folder}"\nzoo = "{zoo}"\ncolour = 1\n', "unknown key"),
    ('[a\n', "not a readable TOML"),
])
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
    import time

    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT
    root, toml, dataset = workspace
    monkeypatch.setenv("PRISM_WORKSPACES", str(toml))
    monkeypatch.setenv("PRISM_RUNS_DIR", str(tmp_path / "runs"))
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=180)
    at.run()
    assert at.selectbox(key="workspace_choice").options == ["embedded (fashion_mnist)", "shapes (folder)"]
    at.session_state["workspace"] = "shapes"  # the selector's choice (AppTest re-renders no sidebar widget of main.py)
    at.switch_page("pages/launch.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert set(at.selectbox(key="w_primary").options) == {"resnet18", "lcnet_050", "convnext_atto"}
    assert at.multiselect(key="w_classes").options == sorted(CLASSES)  # ImageFolder order
    at.number_input(key="w_ipc").set_value(2).run()
    at.number_input(key="w_iterations_prism").set_value(3).run()
    at.text_input(key="w_name").set_value("shapes-run").run()
    at.button(key="launch").click().run()
    assert not at.error, [e.value for e in at.error]
    status = tmp_path / "runs" / "shapes-run-sre2l" / "status.json"
    deadline = time.time() + 180
    while time.time() < deadline and not (status.is_file() and '"finished"' in status.read_text()):
        time.sleep(0.3)
    assert Run(tmp_path / "runs" / "shapes-run").config().dataset == dataset
    at.switch_page("pages/gallery.py").run()
    assert at.multiselect(key="gallery_runs").options == ["shapes-run (run)", "shapes-run-sre2l (run)"]  # no examples
    assert at.multiselect(key="gallery_classes").options == sorted(CLASSES) and not at.exception
    at.switch_page("pages/embeddings.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.get("plotly_chart") and "convnext_atto" in at.get("plotly_chart")[0].proto.spec


@pytest.mark.browser
def test_in_chromium_a_user_picks_their_workspace_launches_and_sees_their_images(workspace, monkeypatch, tmp_path):
    import time

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
            deadline = time.time() + 180
            status = runs / "mine-sre2l" / "status.json"
            while time.time() < deadline and not (status.is_file() and '"finished"' in status.read_text()):
                time.sleep(0.5)
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
