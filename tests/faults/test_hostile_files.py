"""Damaged runs in the store (a corrupt PNG, a corrupt batch record, a corrupt config): each is reported as such,
and the app still lists, shows and measures the healthy runs. (Hostile weight files: tests/teachers/test_weights.py.)"""

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from prism_core.synthesis.run_health import run_problems, run_status
from prism_core.synthesis.runstore import Run
from tests.conftest import ROOT

pytestmark = pytest.mark.faults
EXAMPLE = ROOT / "assets" / "examples" / "example-prism"


@pytest.fixture
def store(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    for name in ("healthy", "bad-png", "bad-record", "bad-config"):
        shutil.copytree(EXAMPLE, runs / name)
    next((runs / "bad-png" / "images").rglob("*.png")).write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20)
    (runs / "bad-record" / "batches" / "00000.json").write_text("{ not json")
    (runs / "bad-config" / "config.json").write_text("{ truncated")
    monkeypatch.setenv("PRISM_RUNS_DIR", str(runs))
    return runs


def test_the_store_reports_each_damage_precisely(store):
    assert run_status(Run(store / "healthy")).state == "finished" and not run_problems(Run(store / "healthy"))
    png = run_status(Run(store / "bad-png"))
    assert png.state == "damaged" and "is unreadable" in png.error and ".png" in png.error
    record = Run(store / "bad-record")
    assert 0 not in record.finished() and run_status(record).state == "finished"  # batch 0 simply not finished
    assert "config.json" in run_status(Run(store / "bad-config")).error


def page(path):
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    at.run()
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_app_lists_damaged_runs_and_keeps_showing_the_healthy_ones(store):
    runs = page("app_pages/runs.py")
    labels = [e.label for e in runs.expander]
    assert all(any(name in label for label in labels) for name in ("healthy", "bad-png", "bad-record", "bad-config"))
    assert any("bad-png" in label and "damaged" in label for label in labels)
    assert any("config.json" in e.value for e in runs.error)
    gallery = page("app_pages/gallery.py")
    options = gallery.multiselect(key="gallery_runs").options
    assert any("healthy" in o for o in options)
    assert not any("bad-png" in o or "bad-config" in o for o in options)
    assert len(gallery.get("image")) >= 5
    page("app_pages/diversity.py")
    page("app_pages/embeddings.py")
