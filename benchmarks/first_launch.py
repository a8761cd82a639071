"""What a new user waits for: every page's first render in a fresh server process on an empty run store (the
shipped examples only), and the Quick demo's time to its first finished images.

    python benchmarks/first_launch.py

Each page is rendered by Streamlit's AppTest in its own new process (so nothing is cached, as after `make run`),
and timed from the page switch to the end of its script run. The Quick demo is the Launch preset of that name
through the app's job queue (the PRISM run, then its SRe2L baseline, on one worker). Prints a markdown table.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["tour", "launch", "runs", "gallery", "priors", "diversity", "embeddings", "teachers", "results", "benchmark"]

RENDER = """
import sys, time
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app/main.py", default_timeout=600)
t0 = time.perf_counter(); at.run(); boot = time.perf_counter() - t0
t0 = time.perf_counter()
if sys.argv[1] != "tour":
    at.switch_page(f"app_pages/{sys.argv[1]}.py").run()
print(boot, time.perf_counter() - t0 if sys.argv[1] != "tour" else boot, len(at.exception))
"""


def page_time(page: str, store: str) -> tuple[float, float, int]:
    env = dict(os.environ, PRISM_RUNS_DIR=store, HF_HUB_OFFLINE="1")
    out = subprocess.run(
        [sys.executable, "-c", RENDER, page], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), float(out[1]), int(out[2])


def quick_demo(store: str) -> tuple[float, float]:
    """Seconds from submitting the Quick demo to its PRISM run's images, and to both runs finished."""
    sys.path.insert(0, str(ROOT / "app"))
    sys.path.insert(0, str(ROOT))
    from launch_presets import PRESETS

    from prism_core.data import get_dataset
    from prism_core.jobs import JobQueue
    from prism_core.synthesis import SynthConfig
    from prism_core.synthesis.methods import baseline

    p = PRESETS["Quick demo"]
    info = get_dataset("fashion_mnist").info
    cfg = SynthConfig(
        method=p["method"],
        ipc=p["ipc"],
        iterations=p["iterations"],
        init=p["init"],
        lr=p["lr"],
        r_bn=p["r_bn"],
        classes=tuple(range(info.num_classes)),
        preview_every=10,
    )
    queue = JobQueue(Path(store))
    time.sleep(10)  # the worker processes start with the server, before anyone launches
    t0 = time.perf_counter()
    first = queue.submit(cfg, "demo")
    second = queue.submit(baseline(cfg), "demo-sre2l")
    while (job := queue.store.read(first.id)).progress.batches_done == 0 and job.active:
        time.sleep(0.05)
    images = time.perf_counter() - t0
    queue.wait(first)
    queue.wait(second)
    elapsed = time.perf_counter() - t0
    queue.close()
    return images, elapsed


def main() -> None:
    rows = []
    for page in PAGES:
        with tempfile.TemporaryDirectory() as store:
            boot, seconds, errors = page_time(page, store)
        rows.append((page, seconds, errors))
        print(f"{page}: {seconds:.2f} s ({errors} exceptions; app boot {boot:.2f} s)", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as store:
        images, both = quick_demo(store)
    print(f"\nFirst render of each page in a fresh process, empty run store, {os.cpu_count()} cores:\n")
    print("| page | first render (s) |")
    print("|---|---:|")
    for page, seconds, errors in rows:
        print(f"| {page.capitalize()} | {seconds:.2f}{' (exception!)' if errors else ''} |")
    print(
        f"\nQuick demo: first finished images after {images:.1f} s; both runs (PRISM and its SRe2L baseline) "
        f"after {both:.1f} s."
    )


if __name__ == "__main__":
    main()
