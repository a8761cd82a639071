"""AppTest: every page renders on an empty store and on the examples; the form validates; a real run completes."""

import json
import sys
import time

import pytest
from streamlit.testing.v1 import AppTest

from prism_core.jobs import JobStore
from prism_core.teachers import read_manifest
from tests.conftest import APP_PAGES, ROOT

PAGES = APP_PAGES
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
    at = page("app_pages/gallery.py")
    runs = at.multiselect(key="gallery_runs")
    assert any("example" in o for o in runs.options) and len(runs.value) >= 2
    assert len(at.get("image")) >= 5  # real and synthetic rows for the default classes


def test_diversity_shows_vendi_beside_cosine_with_the_random_real_reference(store):
    at = page("app_pages/diversity.py")
    figures = {k: json.loads(at.get("plotly_chart")[i].proto.spec) for i, k in enumerate(("cosine", "vendi"))}
    vendi = figures["vendi"]
    assert "Vendi" in vendi["layout"]["title"]["text"] and len(vendi["data"]) >= 2  # one line per example run
    assert any("random real" in a["text"] for a in vendi["layout"]["annotations"])  # the reference line
    table = at.dataframe[0].value
    assert {"Vendi", "random real: Vendi"} <= set(table.columns)


def test_pages_first_show_two_methods_from_the_same_init_and_seed(store):
    """The examples hold SRe2L and PRISM from noise and from real images, and a herding selection; a side-by-side
    view opens on a pair that differs in method only, so what it shows is not the initialisation."""
    at = page("app_pages/gallery.py")
    chosen = at.multiselect(key="gallery_runs").value
    assert len(chosen) == 2
    from prism_core.synthesis.runstore import list_runs

    configs = {f"{r.name} (example)": r.config() for r in list_runs(ROOT / "assets" / "examples")}
    a, b = (configs[label] for label in chosen)
    assert a.method != b.method and (a.init, a.seed) == (b.init, b.seed)
    assert {c.init for c in configs.values()} == {"noise", "first", "herding"} and len(configs) == 5
    assert a.init != "herding"  # the selection example has no same-init partner to pair with


def test_launch_form_refuses_ipc_0_with_a_visible_message(store):
    at = page("app_pages/launch.py")
    at.number_input(key="w_ipc").set_value(0).run()
    at.button(key="launch").click().run()
    assert any("ipc must be a positive" in e.value for e in at.error)
    assert not store.exists() or not any(store.iterdir())


def test_a_classroom_server_refuses_a_run_beyond_its_limits_in_one_line_and_queues_nothing(store, monkeypatch):
    monkeypatch.setenv("PRISM_CLASSROOM", "1")
    at = page("app_pages/launch.py")
    assert any("Classroom server" in c.value for c in at.sidebar.caption)
    at.number_input(key="w_ipc").set_value(20).run()
    at.button(key="launch").click().run()
    assert [e.value for e in at.error] == ["Cannot launch: IPC 20 is above this server's limit of 10: lower it"]
    assert not (store / ".jobs").exists() or not any((store / ".jobs").iterdir())


def test_two_launches_in_one_session_get_fresh_names(store):
    at = page("app_pages/launch.py")
    at.checkbox(key="w_baseline").uncheck().run()
    at.number_input(key="w_ipc").set_value(1).run()
    at.number_input(key="w_iterations_prism").set_value(1).run()
    for _ in range(2):
        at.button(key="launch").click().run()
        assert not at.error, [e.value for e in at.error]
    names = [r.run_name for r in JobStore(store).records()]
    assert len(set(names)) == 2 and all(n.startswith("prism-") for n in names)


def test_bn_free_teachers_are_shown_disabled_with_the_reason(store):
    at = page("app_pages/launch.py")
    box = at.checkbox(key="w_pool_prism_convnext_atto")
    assert box.disabled and "no BatchNorm" in box.help


def test_a_tiny_run_launched_from_the_form_completes_and_is_listed(store):
    at = page("app_pages/launch.py")
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
    runs = page("app_pages/runs.py")
    assert any("tiny (run) · finished" in e.label for e in runs.expander)
    gallery = page("app_pages/gallery.py")
    assert any(o.startswith("tiny") for o in gallery.multiselect(key="gallery_runs").options)


def test_a_selection_launched_from_the_form_is_marked_with_its_training_images(store):
    at = page("app_pages/launch.py")
    at.radio(key="w_method").set_value("herding").run()
    assert at.radio(key="w_init_herding").disabled and at.number_input(key="w_iterations_herding").disabled
    at.number_input(key="w_ipc").set_value(2).run()
    at.multiselect(key="w_classes").set_value(["Trouser", "Bag"]).run()
    at.text_input(key="w_name").set_value("picked").run()
    at.button(key="launch").click().run()
    assert not at.error, [e.value for e in at.error]
    deadline = time.time() + 120
    while time.time() < deadline and '"finished"' not in (
        (store / "picked" / "status.json").read_text() if (store / "picked" / "status.json").is_file() else ""
    ):
        time.sleep(0.2)
    gallery = page("app_pages/gallery.py")
    gallery.multiselect(key="gallery_runs").set_value(["picked (run)"]).run()
    gallery.multiselect(key="gallery_classes").set_value(["Trouser"]).run()
    captions = [c for image in gallery.get("image") for c in image.captions]
    marked = [c for c in captions if c and c.startswith("Trouser · training #")]
    assert len(marked) == 1 and marked[0].count("#") == 2, captions


@pytest.mark.integration
def test_results_page_launches_an_evaluation_with_the_real_baseline(store):
    from prism_core import benchmark as bm
    from prism_core.jobs import JobQueue
    from prism_core.synthesis import SynthConfig

    queue = JobQueue(store)
    queue.wait(queue.submit(SynthConfig(method="sre2l", ipc=1, classes=(0, 1), iterations=2), "evalme"), timeout=120)
    at = page("app_pages/results.py")
    at.selectbox(key="eval_run").set_value("evalme (run)").run()
    assert at.number_input(key="eval_epochs").value == bm.epochs(1)  # the grid's protocol, comparable with its table
    at.number_input(key="eval_epochs").set_value(1)
    at.button[0].click().run()
    assert any("Queued the evaluation" in s.value for s in at.success)
    path = store / "evalme" / "evaluation.json"
    deadline = time.time() + 300
    while time.time() < deadline and not (path.is_file() and len(json.loads(path.read_text())) == 2):
        time.sleep(0.5)
    subjects = {r["subject"] for r in json.loads(path.read_text()).values()}
    assert subjects == {"run", "random-real"}
    at = page("app_pages/results.py")
    table = next(d.value for d in at.dataframe if "subject" in d.value.columns)
    assert set(table["subject"]) == {"run", "random-real"} and (table["top-1 mean"] >= 0).all()


def test_results_page_shows_the_measured_grid_as_the_readme_does(store):
    from prism_core import benchmark as bm

    cells = bm.load_cells()
    at = page("app_pages/results.py")
    assert at.markdown[0].value == "\n".join(bm.headline(cells))  # the verdict first, as the README has it
    assert at.multiselect(key="grid_forest_rows").value == bm.judged_rows(cells)
    shown = at.dataframe[0].value  # one click down: the full table
    assert list(shown["row"]) == [r["row"] for r in bm.summary(cells, 10, [*bm.ROWS, *bm.ABLATION])]
    assert "random real" in list(shown["row"]) and "resnet18 hard" in shown.columns
    assert len(at.get("image")) == 2  # the forest plot, then the bar chart
    assert any(bm.verdicts(cells)[0] in m.value for m in at.markdown)  # the moonshot, as decided
    at.multiselect(key="grid_forest_rows").set_value(["PRISM · herding"]).run()
    assert not at.exception and len(at.get("image")) == 2
    budget = bm.budget(bm.load_cells())
    assert not budget or any(budget in m.value for m in at.markdown)
    teacher = read_manifest().teachers["resnet18"].test_top1  # the full-data reference the grid is read against
    assert any(f"ResNet-18 teacher {teacher}%" in c.value for c in at.caption)


def test_benchmark_page_presets_fill_the_form_and_a_stored_benchmark_reopens_as_results_shows_it(store):
    from prism_core import benchmark as bm
    from prism_core.benchmark.protocol import PRESETS

    at = page("app_pages/benchmark.py")
    assert at.multiselect(key="bm_rows").value == list(PRESETS["classroom"]["rows"])
    at.selectbox(key="bm_preset").set_value("paper").run()
    assert at.multiselect(key="bm_rows").value == list(bm.MAIN) and at.number_input(key="bm_seeds").value == 3
    at.text_input(key="bm_name").set_value("../escape")  # a form: the value goes in with the submit
    at.button[0].click().run()  # the form's Launch
    assert at.error and "name" in at.error[0].value and not (store / ".benchmarks").exists()
    stored = store / ".benchmarks" / "shipped"  # a benchmark stored earlier: its folder, cells and workspace
    stored.mkdir(parents=True)
    (stored / "cells.json").write_text(bm.SHIPPED.read_text())
    (stored / "benchmark.json").write_text(json.dumps({"workspace": "embedded", "extractor": "convnext_atto"}))
    at = page("app_pages/benchmark.py")
    assert at.selectbox(key="bm_open").value == "shipped" and not at.exception
    shown = at.dataframe[0].value
    assert list(shown["row"]) == [r["row"] for r in bm.summary(bm.load_cells(), 10, [*bm.ROWS, *bm.ABLATION])]
    assert any(bm.verdicts(bm.load_cells())[0] in m.value for m in at.markdown)


def test_launch_form_explains_fields_in_the_clis_words(store):
    from prism_core.synthesis.config import help_for

    at = page("app_pages/launch.py")
    assert at.radio(key="w_selection").help == help_for("selection")
    assert at.number_input(key="w_ipc").help == help_for("ipc") == "images per class"


@pytest.fixture
def large_run(store, monkeypatch):
    """A 60-image run that the pages treat as large (their threshold lowered), copied from an example's images."""

    import torch

    from prism_core.data import get_dataset
    from prism_core.records import BatchRecord
    from prism_core.synthesis import SynthConfig
    from prism_core.synthesis.runstore import Run, RunRecord

    info = get_dataset("fashion_mnist").info
    run = Run(store / "large")
    cfg = SynthConfig(
        method="sre2l",
        ipc=6,
        classes=tuple(range(10)),
        iterations=1,
        lr=1.0,
        r_bn=0.1,
        init="noise",
        bn_pool=(),
        subset_rule="official",
        vary_iterations=False,
        batch_formation="cross-class",
        jitter=2,
        crop_scale=(0.5, 1.0),
    )
    run.create(RunRecord(cfg, tuple(info.class_names), {"resnet18": {}}))
    for k in range(6):
        x01 = torch.rand(10, 1, 32, 32, generator=torch.Generator().manual_seed(k))
        run.write_batch(BatchRecord(k, tuple(range(10)), (k,) * 10, (k,), 1), info.normalize(x01), x01)
    run.set_status("finished", batches_total=6)
    page("app_pages/launch.py")  # imports the app's `common` module into this process
    monkeypatch.setattr(sys.modules["common"], "PAGE_IMAGES", 50)
    return run


def test_a_large_run_costs_the_pages_what_they_show(large_run, monkeypatch):
    """Gallery reads only the PNGs it shows; Diversity does not measure a large run until asked."""
    from prism_core.synthesis.run_export import read_images

    read = []
    monkeypatch.setattr(
        sys.modules["common"],
        "read_images",  # as the pages read them, through app/common.py
        lambda run, c, k: read.append(len(list(k))) or read_images(run, c, k),
    )
    at = page("app_pages/gallery.py")
    at.multiselect(key="gallery_runs").set_value(["large (run)"]).run()
    at.multiselect(key="gallery_classes").set_value(["Bag"]).run()
    read.clear()
    at.slider(key="gallery_per_row").set_value(2).run()
    assert not at.exception and read == [2]  # two images of one class, not the run
    at = page("app_pages/diversity.py")
    at.multiselect(key="div_runs").set_value(["large (run)"]).run()
    assert any("has no stored measurements" in i.value for i in at.info)
    assert not (large_run.path / "metrics.json").exists()
    at.button(key="measure_large").click().run()
    assert not at.exception and (large_run.path / "metrics.json").is_file()
    assert at.dataframe[0].value["run"].tolist() == ["large (run)"]


def test_the_tour_walks_five_steps_and_try_it_fills_the_launch_form(store):
    at = page("app_pages/tour.py")
    steps = ["1 · Distilled data", "2 · One teacher's look", "3 · The priors grid", "4 · PRISM", "5 · What it measures"]
    for step in steps:
        at.session_state["tour_step"] = step
        at.run()
        assert not at.exception, (step, [e.value for e in at.exception])
        assert at.button(key=f"try_{step[0]}").label.startswith("Try it")
    assert at.dataframe[0].value["random real: Vendi"].notna().all()  # step 5 reads the examples' stored metrics
    at.session_state["tour_step"] = steps[3]
    at.run()
    at.button(key="try_4").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Launch a synthesis run"  # the Launch page, filled in
    assert at.radio(key="w_method").value == "prism" and at.radio(key="w_init_prism").value == "noise"
    assert at.number_input(key="w_lr_prism").value == 1.0 and at.number_input(key="w_r_bn_prism").value == 0.1
    assert at.checkbox(key="w_baseline").value and at.multiselect(key="w_classes").value == [
        "T-shirt/top",
        "Trouser",
        "Sneaker",
    ]


def test_the_launch_form_is_made_from_the_configs_labelled_fields(store):
    """Each SynthConfig field with a form label is a Launch widget with that label and the CLI's help text."""
    from dataclasses import fields

    from prism_core.synthesis import SynthConfig

    at = page("app_pages/launch.py")
    widgets = {
        w.label: w for kind in ("radio", "number_input", "checkbox", "selectbox", "multiselect") for w in at.get(kind)
    }
    labelled = [f for f in fields(SynthConfig) if f.metadata.get("label")]
    assert len(labelled) >= 14
    for f in labelled:
        assert f.metadata["label"] in widgets, f.name
        assert widgets[f.metadata["label"]].help == f.metadata["help"], f.name
