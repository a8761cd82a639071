"""AppTest: every page renders on an empty store and on the examples; the form validates; a real run completes."""
import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

PAGES = ["pages/launch.py", "pages/runs.py", "pages/gallery.py", "pages/diversity.py", "pages/embeddings.py",
         "pages/teachers.py", "pages/results.py"]
MAIN = str(ROOT / "app" / "main.py")


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("PRISM_RUNS_DIR", str(tmp_path / "runs"))
    return tmp_path / "runs"


def page(path: str) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=120)
    at.run()
    if path != PAGES[0]:
        at.switch_page(path).run()
    return at


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_without_exceptions(path, store):
    at = page(path)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value


def test_gallery_shows_the_example_runs_on_first_launch(store):
    at = page("pages/gallery.py")
    runs = at.multiselect(key="gallery_runs")
    assert any("example" in o for o in runs.options) and len(runs.value) >= 2
    assert len(at.get("image")) >= 5  # real and synthetic rows for the default classes


def test_diversity_shows_vendi_beside_cosine_with_the_random_real_reference(store):
    at = page("pages/diversity.py")
    figures = {k: json.loads(at.get("plotly_chart")[i].proto.spec) for i, k in enumerate(("cosine", "vendi"))}
    vendi = figures["vendi"]
    assert "Vendi" in vendi["layout"]["title"]["text"] and len(vendi["data"]) >= 2  # one line per example run
    assert any("random real" in a["text"] for a in vendi["layout"]["annotations"])  # the reference line
    table = at.dataframe[0].value
    assert {"Vendi", "random real: Vendi"} <= set(table.columns)


def test_pages_first_show_two_methods_from_the_same_init_and_seed(store):
    """The examples hold SRe2L and PRISM from noise and from real images; a side-by-side view opens on a pair that
    differs in method only, so what it shows is not the initialisation."""
    at = page("pages/gallery.py")
    chosen = at.multiselect(key="gallery_runs").value
    assert len(chosen) == 2
    from prism_core.runstore import list_runs
    configs = {f"{r.name} (example)": r.config() for r in list_runs(ROOT / "assets" / "examples")}
    a, b = (configs[label] for label in chosen)
    assert a.method != b.method and (a.init, a.seed) == (b.init, b.seed)
    assert {c.init for c in configs.values()} == {"noise", "real"} and len(configs) == 4


def test_launch_form_refuses_ipc_0_with_a_visible_message(store):
    at = page("pages/launch.py")
    at.number_input(key="w_ipc").set_value(0).run()
    at.button(key="launch").click().run()
    assert any("ipc must be a positive" in e.value for e in at.error)
    assert not store.exists() or not any(store.iterdir())


def test_bn_free_teachers_are_shown_disabled_with_the_reason(store):
    at = page("pages/launch.py")
    box = at.checkbox(key="w_pool_prism_convnext_atto")
    assert box.disabled and "no BatchNorm" in box.help


def test_a_tiny_run_launched_from_the_form_completes_and_is_listed(store):
    at = page("pages/launch.py")
    at.number_input(key="w_ipc").set_value(1).run()
    at.number_input(key="w_iterations_prism").set_value(3).run()
    at.multiselect(key="w_classes").set_value(["Trouser", "Bag"]).run()
    at.checkbox(key="w_baseline").uncheck().run()
    at.text_input(key="w_name").set_value("tiny").run()
    at.button(key="launch").click().run()
    assert not at.error, [e.value for e in at.error]
    deadline = time.time() + 120
    while time.time() < deadline and not (store / "tiny" / "status.json").is_file():
        time.sleep(0.2)
    while time.time() < deadline and '"finished"' not in (store / "tiny" / "status.json").read_text():
        time.sleep(0.2)
    assert '"finished"' in (store / "tiny" / "status.json").read_text()
    runs = page("pages/runs.py")
    assert any("tiny (run) · finished" in e.label for e in runs.expander)
    gallery = page("pages/gallery.py")
    assert any(o.startswith("tiny") for o in gallery.multiselect(key="gallery_runs").options)


@pytest.mark.integration
def test_results_page_launches_an_evaluation_with_the_real_baseline(store):
    from prism_core.jobs import JobQueue
    from prism_core.synthesis import SynthConfig
    queue = JobQueue(store)
    queue.wait(queue.submit(SynthConfig(method="sre2l", ipc=1, classes=(0, 1), iterations=2), "evalme"), timeout=120)
    at = page("pages/results.py")
    at.selectbox(key="eval_run").set_value("evalme (run)")
    at.number_input(key="eval_epochs").set_value(1)
    at.button[0].click().run()
    assert any("Queued the evaluation" in s.value for s in at.success)
    path = store / "evalme" / "evaluation.json"
    deadline = time.time() + 300
    while time.time() < deadline and not (path.is_file() and len(json.loads(path.read_text())) == 2):
        time.sleep(0.5)
    subjects = {r["subject"] for r in json.loads(path.read_text()).values()}
    assert subjects == {"run", "random-real"}
    at = page("pages/results.py")
    table = at.dataframe[0].value
    assert set(table["subject"]) == {"run", "random-real"} and (table["top-1 mean"] >= 0).all()


def test_launch_form_explains_fields_in_the_clis_words(store):
    from prism_core.synthesis.config import help_for
    at = page("pages/launch.py")
    assert at.radio(key="w_selection").help == help_for("selection")
    assert at.number_input(key="w_ipc").help == help_for("ipc") == "images per class"
