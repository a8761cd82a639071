"""A real Streamlit server in a subprocess, and Debian's chromium through playwright, for the browser tests."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [  # headless in a container, and nothing that reaches out of this machine
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        return urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok"
    except OSError:
        return False


def start_server(
    runs: Path, port: int, *flags: str, env: dict[str, str] | None = None, root: Path = ROOT
) -> subprocess.Popen:
    """`streamlit run app/main.py` from the repository root (so .streamlit/config.toml applies), healthy on return."""
    env = dict(os.environ, PRISM_RUNS_DIR=str(runs), HF_HUB_OFFLINE="1", **(env or {}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app/main.py", "--server.port", str(port), *flags],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not healthy(f"http://127.0.0.1:{port}"):
        time.sleep(0.3)
    return proc


def chromium(playwright):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make test installs it)")
    return playwright.chromium.launch_persistent_context(
        tempfile.mkdtemp(),
        executable_path=CHROMIUM,
        headless=True,
        viewport={"width": 1400, "height": 1200},
        args=CHROMIUM_ARGS,
    )


def launch_from_form(page, name: str, ipc: int, iterations: int) -> None:
    """On the Launch page: set IPC, iterations and the run name, press Launch, wait until the run and its SRe2L
    baseline are queued."""
    for label, value in (("Images per class (IPC)", str(ipc)), ("Iterations per batch", str(iterations))):
        box = page.get_by_label(label, exact=True)
        box.fill(value)
        box.press("Enter")
        page.wait_for_timeout(700)
    page.get_by_label("Run name", exact=True).fill(name)
    page.get_by_label("Run name", exact=True).press("Enter")
    page.wait_for_timeout(700)
    page.get_by_role("button", name="Launch", exact=True).click()
    page.get_by_text(f"Queued {name}, {name}-sre2l").wait_for(timeout=60_000)
