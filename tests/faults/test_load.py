"""Two app sessions launching at the same moment (each a run plus its SRe2L baseline): every run completes, and each
run holds exactly the images its own configuration gives (no mixed-up outputs)."""

import threading
import time

import pytest
from streamlit.runtime.scriptrunner import magic
from streamlit.testing.v1 import AppTest

from prism_core.jobs import JobStore
from prism_core.synthesis import synthesize
from prism_core.synthesis.run_health import run_status
from prism_core.synthesis.runstore import Run
from tests.conftest import ROOT

pytestmark = pytest.mark.faults


def filled_form(seed: int, name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/launch.py").run()  # the Tour is the landing page
    at.number_input(key="w_ipc").set_value(1).run()
    at.number_input(key="w_iterations_prism").set_value(3).run()
    at.multiselect(key="w_classes").set_value(["Trouser", "Bag", "Sneaker"]).run()
    at.number_input(key="w_seed").set_value(seed).run()
    at.text_input(key="w_name").set_value(name).run()
    return at


def parse_one_at_a_time(monkeypatch):
    """CPython 3.11.7's ast.parse is not thread-safe ("AST constructor recursion depth mismatch") and every
    AppTest run parses its page afresh; a real server parses once per page, so only the test needs the lock."""
    lock, add_magic = threading.Lock(), magic.add_magic

    def locked(*args, **kwargs):
        with lock:
            return add_magic(*args, **kwargs)

    monkeypatch.setattr(magic, "add_magic", locked)


def test_two_sessions_launching_at_once_get_all_their_runs_unmixed(tmp_path, monkeypatch):
    parse_one_at_a_time(monkeypatch)
    store = tmp_path / "runs"
    monkeypatch.setenv("PRISM_RUNS_DIR", str(store))
    sessions = {"alice": filled_form(11, "alice"), "bob": filled_form(22, "bob")}
    barrier = threading.Barrier(len(sessions))
    errors = []

    def launch(at):
        barrier.wait()
        at.button(key="launch").click().run()
        errors.extend(e.value for e in at.error)

    threads = [threading.Thread(target=launch, args=(at,)) for at in sessions.values()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    names = ["alice", "alice-sre2l", "bob", "bob-sre2l"]
    jobs = JobStore(store)
    deadline = time.time() + 300
    while time.time() < deadline and any(r.active for r in jobs.records()):
        time.sleep(0.3)
    assert sorted(r.run_name for r in jobs.records()) == names
    runs = [Run(store / n) for n in names]
    assert all(run_status(r).state == "finished" for r in runs)
    for run in runs:
        cfg = run.config()
        assert cfg.seed == (11 if run.name.startswith("alice") else 22)
        assert cfg.method == ("sre2l" if run.name.endswith("sre2l") else "prism")
        for _ in synthesize(cfg, tmp_path / "alone" / run.name):
            pass
        # the same images as a run alone, up to the float order of another torch thread count (measured: below 3e-7)
        alone = Run(tmp_path / "alone" / run.name).pixels()[0]
        assert (run.pixels()[0] - alone).abs().max() < 1e-4
        other = Run(store / ("bob" if run.name.startswith("alice") else "alice")).pixels()[0]
        if cfg.method == "prism":
            assert (other - alone).abs().max() > 0.01  # another seed: the tolerance tells runs apart
