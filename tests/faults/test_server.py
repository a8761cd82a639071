"""The real app server: it answers on localhost only unless told otherwise; a page renders within seconds while a
run is going; killed (SIGKILL) mid-run, its run reads as interrupted, and the restarted server resumes it to the end
by itself."""

import json
import signal
import socket
import time

import pytest

from prism_core.synthesis.run_health import run_status
from prism_core.synthesis.runstore import Run
from tests.serving import chromium, free_port, healthy, start_server

pytestmark = [pytest.mark.faults, pytest.mark.browser]


def outward_ip() -> str | None:
    """This machine's address on its network (not loopback), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            ip = s.getsockname()[0]
        except OSError:
            return None
    return None if ip.startswith("127.") else ip


def test_server_listens_on_localhost_only_by_default(tmp_path):
    port = free_port()
    proc = start_server(tmp_path / "runs", port)
    try:
        assert healthy(f"http://127.0.0.1:{port}")
        ip = outward_ip()
        if ip is None:
            pytest.skip("this machine has no non-loopback address to test from")
        with pytest.raises(OSError):
            socket.create_connection((ip, port), timeout=2).close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def wait_for(run: Run, states: tuple[str, ...], timeout: float, batches: int = 0) -> bool:
    """Whether the run reaches one of `states` with at least `batches` finished within `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if (run.path / "status.json").is_file():
            status = run_status(run)
            if status.state in states and status.batches_done >= batches:
                return True
        time.sleep(0.2)
    return False


def test_a_killed_server_loses_no_run_the_next_server_finishes_it_and_pages_stay_responsive(tmp_path):
    from playwright.sync_api import sync_playwright

    runs, port = tmp_path / "runs", free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(runs, port)
    run = Run(runs / "long")
    try:
        with sync_playwright() as p:
            ctx = chromium(p)
            page = ctx.new_page()
            page.goto(f"{url}/launch")
            page.get_by_text("Launch a synthesis run").wait_for(timeout=90_000)
            for label, value in (("Images per class (IPC)", "19"), ("Iterations per batch", "16")):  # 2 batches
                page.get_by_label(label, exact=True).fill(value)
                page.get_by_label(label, exact=True).press("Enter")
                page.wait_for_timeout(700)
            page.get_by_text("With SRe2L baseline").click()  # the label toggles the checkbox off
            page.get_by_label("Run name", exact=True).fill("long")
            page.get_by_label("Run name", exact=True).press("Enter")
            page.wait_for_timeout(700)
            page.get_by_role("button", name="Launch", exact=True).click()
            assert wait_for(run, ("running",), 300)

            other = ctx.new_page()  # a second visitor while the run is going
            start = time.perf_counter()
            other.goto(f"{url}/runs")
            other.get_by_text("long (run)").first.wait_for(timeout=30_000)
            assert time.perf_counter() - start < 20  # generous: the same 2 cores are synthesising

            assert wait_for(run, ("running",), 600, batches=1)  # batch 0 done, batch 1 under way
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=30)
            deadline = time.time() + 15  # its worker process goes with it, within a second or two
            while run_status(run).state != "interrupted" and time.time() < deadline:
                time.sleep(0.2)
            assert run_status(run).state == "interrupted" and len(run.finished()) == 1

            server = start_server(runs, port)  # finds the job running under a dead worker and queues it again
            assert wait_for(run, ("finished",), 600)
            page.goto(f"{url}/runs")
            page.get_by_text("long (run) · finished").first.wait_for(timeout=60_000)
            ctx.close()
        assert len(run.finished()) == 2 and len(list((run.path / "images").rglob("*.png"))) == 190
        assert json.loads((run.path / "status.json").read_text())["state"] == "finished"
    finally:
        server.terminate()
        server.wait(timeout=30)
