"""No page takes a file path: the only free text a user can type is a run or benchmark name, each checked to stay one
component inside the run store (tests/synthesis/test_runstore.py, test_bad_input.py); the examples cannot be deleted."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import APP_PAGES as PAGES
from tests.conftest import ROOT

pytestmark = pytest.mark.faults


def test_no_page_accepts_a_path_or_an_upload(tmp_path, monkeypatch):
    monkeypatch.setenv("PRISM_RUNS_DIR", str(tmp_path / "runs"))
    texts = set()
    for path in PAGES:
        at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
        at.run()
        if path != PAGES[0]:
            at.switch_page(path).run()
        assert not at.exception
        texts |= {w.label for w in at.text_input} | {w.label for w in at.text_area}
        assert not at.get("file_uploader"), path
        if path == "app_pages/runs.py":  # the shipped examples are listed, with no delete button
            assert at.expander and not [b for b in at.button if b.key and b.key.startswith("delete_example")]
    assert texts == {"Run name", "Benchmark name"}  # the latter: letters, digits, . _ - and no leading dot
