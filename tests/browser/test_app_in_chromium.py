"""A real Streamlit server driven by Debian's chromium through playwright: walk the Tour, let its "Try it" fill the
Launch form, launch a tiny noise-born PRISM run with its SRe2L baseline, watch both finish, step the Gallery back to
the init, open the image inspector, and check the Priors, Diversity and Embeddings pages rendered. Full-page
screenshots go to test-artifacts/ (the README's pictures come from there)."""

import json
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.serving import chromium, free_port, launch_from_form, start_server

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def server(tmp_path):
    port = free_port()
    proc = start_server(tmp_path / "runs", port)
    yield f"http://127.0.0.1:{port}", tmp_path / "runs"
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture
def landing(server):
    """Chromium on the landing page of a fresh server, and that server's run store."""
    from playwright.sync_api import sync_playwright

    url, runs = server
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        ctx = chromium(p)
        page = ctx.new_page()
        page.goto(url)
        page.get_by_role("heading", name="A tour of dataset distillation").wait_for(timeout=90_000)
        yield page, runs
        ctx.close()


def wait_finished(status: Path, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if status.is_file() and json.loads(status.read_text()).get("state") in ("finished", "failed", "cancelled"):
            return
        time.sleep(0.5)


def test_launch_prism_with_baseline_and_inspect(landing):
    from playwright.sync_api import expect

    page, runs = landing
    assert page.get_by_text("Deploy", exact=True).count() == 0  # a local tool: no deploy button in the toolbar
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "tour.png"), full_page=True)
    page.get_by_text("4 · PRISM", exact=True).click()
    page.get_by_text("PRISM decouples the two terms").wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "tour-prism.png"), full_page=True)
    page.get_by_role("button", name="Try it: PRISM beside SRe2L from the same noise").click()  # fills Launch
    page.get_by_text("Launch a synthesis run").wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    # the noise preset (a retrying check: the page may still be replacing the landing page's elements)
    expect(page.get_by_label("Learning rate", exact=True)).to_have_value("1.0000", timeout=30_000)
    assert page.get_by_role("checkbox", name="Compile teachers").is_disabled()  # GPU-only, and says so on a CPU
    launch_from_form(page, "browser", ipc=2, iterations=16)
    wait_finished(runs / "browser" / "status.json", 300)
    wait_finished(runs / "browser-sre2l" / "status.json", 300)
    page.wait_for_timeout(2000)
    page.screenshot(path=str(ARTIFACTS / "launch.png"), full_page=True)
    for name in ("browser", "browser-sre2l"):
        assert json.loads((runs / name / "status.json").read_text())["state"] == "finished"
    page.get_by_role("link", name="Gallery").click()
    page.get_by_text("Real (test split)").wait_for(timeout=60_000)
    page.wait_for_timeout(2000)
    widths = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
    assert len([w for w in widths if w > 0]) >= 6
    page.locator('[data-testid="stSlider"]').filter(has_text="Optimisation step").get_by_role("slider").focus()
    page.keyboard.press("Home")  # back to the init: every cell shows its first frame
    page.get_by_text("· step 0").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "gallery.png"), full_page=True)
    page.get_by_text("Inspect one image").click()
    page.get_by_text("Nearest training images", exact=True).wait_for(timeout=240_000)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    page.wait_for_timeout(2000)
    assert not page.get_by_text("Traceback").count()
    assert page.get_by_text("Its step").count() == 1  # the inspected image's own trajectory slider
    page.get_by_text("Nearest training images", exact=True).scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "inspector.png"), full_page=True)
    page.get_by_role("link", name="Priors").click()
    page.get_by_role("heading", name="Architectural priors").wait_for(timeout=60_000)
    page.wait_for_timeout(2500)
    page.screenshot(path=str(ARTIFACTS / "priors.png"), full_page=True)
    for name, shot in (("Diversity", "diversity.png"), ("Embeddings", "embeddings.png")):
        page.get_by_role("link", name=name).click()
        page.get_by_role("heading", name=name).wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=180_000)
        page.wait_for_timeout(2500)
        assert page.locator(".js-plotly-plot").count() >= 1
        assert not page.get_by_text("Traceback").count()
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    page.get_by_role("link", name="Runs").click()
    page.get_by_text("browser-sre2l (run)").first.wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "runs.png"), full_page=True)


def test_the_results_page_leads_with_the_verdict_and_the_forest_plot(landing):
    """The shipped grid's decisions and its forest plot come first; the tables wait one click down."""
    page, _ = landing
    page.get_by_role("link", name="Results").click()
    page.get_by_text("Rows in the forest plot").wait_for(timeout=60_000)
    page.get_by_text("Synthesis against the best coreset").first.wait_for(timeout=30_000)
    page.wait_for_timeout(2000)
    assert page.locator('[data-testid="stImage"]').count() >= 1  # the forest plot
    assert not page.locator('[data-testid="stException"]').count() and not page.get_by_text("Traceback").count()
    page.screenshot(path=str(ARTIFACTS / "results-page.png"), full_page=True)


def test_a_benchmark_launched_from_its_page_fills_in_and_shows_the_results_tables(landing):
    """The Benchmark page: the classroom preset cut to one row and one epoch, launched on the local Dask cluster;
    its cell fills in while the page watches, and the table appears."""
    page, runs = landing
    page.get_by_role("link", name="Benchmark").click()
    page.get_by_text("Budget preset").wait_for(timeout=60_000)
    rows = page.locator('[data-testid="stMultiSelect"]').first.locator("input")
    rows.click()
    for _ in range(2):  # classroom's rows are random real, SRe2L · noise, PRISM · noise: keep the first
        rows.press("Backspace")
    page.keyboard.press("Escape")
    epochs = page.get_by_role("spinbutton", name="Epochs (0: the protocol's)")  # its help button shares the label
    epochs.fill("1")
    page.get_by_label("Benchmark name").fill("browser-bench")
    page.get_by_role("button", name="Launch on the local Dask cluster").click()
    cells = runs / ".benchmarks" / "browser-bench" / "cells.json"
    deadline = time.time() + 300
    while time.time() < deadline and not (
        cells.is_file() and all(len(c["top1"]) == 2 and "vendi" in c for c in json.loads(cells.read_text()).values())
    ):
        time.sleep(1)
    stored = json.loads(cells.read_text())
    assert list(stored) == ["random real|1|0"] and set(stored["random real|1|0"]["top1"]) == {
        "convnet hard",
        "convnet soft",
    }
    page.get_by_text("finished: 3 of 3 tasks").wait_for(timeout=30_000)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "benchmark.png"), full_page=True)


def test_a_selection_sits_beside_prism_in_the_gallery_and_the_inspector_says_which_image_it_is(landing):
    """Launch picks real images with herding in seconds; the Gallery shows them beside the shipped PRISM run, each
    class marked with the training images it holds, and the inspector names the one it opens."""
    page, runs = landing
    page.get_by_role("link", name="Launch").click()
    page.get_by_text("Launch a synthesis run").wait_for(timeout=60_000)
    page.get_by_role("radio", name="herding").first.check(force=True)
    iterations = 'input[aria-label="Iterations per batch"]'  # a selection optimises nothing: the field is disabled
    page.locator(f"{iterations}:disabled").wait_for(timeout=30_000)
    page.locator(f"{iterations}:enabled").wait_for(state="detached", timeout=30_000)  # the rerun's stale form gone
    box = page.get_by_label("Images per class (IPC)", exact=True)
    box.fill("5")
    box.press("Enter")
    page.get_by_label("Run name", exact=True).fill("selected")
    page.get_by_label("Run name", exact=True).press("Enter")
    page.wait_for_timeout(700)
    page.get_by_role("button", name="Launch", exact=True).click()
    page.get_by_text("Queued selected").wait_for(timeout=60_000)
    wait_finished(runs / "selected" / "status.json", 120)
    assert json.loads((runs / "selected" / "status.json").read_text())["state"] == "finished"
    page.get_by_role("link", name="Gallery").click()
    page.get_by_text("Real (test split)").wait_for(timeout=60_000)
    chosen = page.locator('[data-testid="stMultiSelect"]').first.locator("input")
    chosen.click()
    for name in ("selected (run)", "example-prism (example)"):  # beside the default pair from noise
        chosen.fill(name)
        chosen.press("Enter")
    page.keyboard.press("Escape")
    page.get_by_text("T-shirt/top · training #").wait_for(timeout=60_000)
    page.wait_for_timeout(2000)
    page.screenshot(path=str(ARTIFACTS / "gallery-selection.png"), full_page=True)
    page.get_by_text("Inspect one image").click()
    page.get_by_label("Run", exact=True).wait_for(timeout=60_000)
    page.get_by_label("Run", exact=True).click()
    page.get_by_role("option", name="selected (run)").click()
    page.get_by_text("Picked by herding").wait_for(timeout=240_000)
    page.get_by_text("picked by the herding rule.").wait_for(timeout=60_000)
    page.get_by_text("Nearest training images", exact=True).wait_for(timeout=240_000)
    page.wait_for_timeout(2000)
    assert page.get_by_text("Its step").count() == 0  # nothing formed: no trajectory slider
    page.get_by_text("Nearest training images", exact=True).scroll_into_view_if_needed()
    assert not page.get_by_text("Traceback").count()
    page.screenshot(path=str(ARTIFACTS / "inspector-selection.png"), full_page=True)


def test_a_bookmarked_page_opens_with_the_apps_navigation_on_a_fresh_server(server):
    """The first session of a server opens a page's own URL: the sidebar lists the pages by their titles, not the
    folder's file names (Streamlit's legacy `pages/` discovery, which a folder of that name turned on)."""
    from playwright.sync_api import expect, sync_playwright

    url, _ = server
    with sync_playwright() as p:
        ctx = chromium(p)
        page = ctx.new_page()
        page.goto(f"{url}/gallery")
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav.get_by_role("link", name="Gallery")).to_be_visible(timeout=90_000)
        links = [text.split("\n")[-1] for text in nav.get_by_role("link").all_inner_texts()]
        assert links[:3] == ["Tour", "Launch", "Runs"] and "main" not in links, links
        ctx.close()
