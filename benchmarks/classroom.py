"""A classroom on one server: N Chromium sessions open the app, press the Tour's "Try it" for the Quick demo and then
Launch, within a second or two of each other, and watch their runs finish.

    python benchmarks/classroom.py --sessions 1,5,10 [--timeout 1200] [--flag runner.postScriptGC=true]

Each count gets a fresh server (`streamlit run app/main.py`, the repository's .streamlit/config.toml, a fresh run
store) on loopback and one headless Chromium with a context per session. While its runs go, each session switches
pages (Launch -> Runs -> Launch) every 10 s, timing each switch. Prints a markdown table: refused launches, the waits
(open, Try-it, Launch; p95 over sessions), page switches' p95, the last demo's launch-to-finish against N x the first
count's single demo, the synthesis throughput (image-iterations per second of the whole room) against the first
count's, the peak memory of the server process and of the server with its job workers, and where the CPU went.
Chromium runs on the server's cores here, where a room's browsers would not: its processes run at niceness 19
(`--browser-nice`), so they get the CPU the server and its workers leave, and the waits include their slower drawing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.serving import CHROMIUM, CHROMIUM_ARGS, free_port, start_server  # noqa: E402

MAX_SESSIONS = 40
SWITCH_EVERY_S = 10.0


@dataclass
class Session:
    index: int
    waits: dict[str, float] = field(default_factory=dict)  # open, try-it, launch: seconds
    switches: list[float] = field(default_factory=list)  # page switches while its runs went
    runs: list[str] = field(default_factory=list)
    refused: str = ""
    stage: str = ""  # where the visit is: open, try-it, launch, watch, done
    stuck: str = ""  # the step that did not complete before the deadline
    launched: float = 0.0  # time.time() of the Launch click
    finished: float = 0.0  # time.time() its last run finished (0: not within the timeout)


@dataclass
class Room:
    sessions: list[Session]
    image_iterations: int
    first_start: float
    last_end: float
    server_mb: float
    total_mb: float
    cpu: dict[str, float]  # CPU seconds over the room: the server process, its job workers, the rest of the machine

    @property
    def throughput(self) -> float:
        return self.image_iterations / max(self.last_end - self.first_start, 1e-9)

    @property
    def last_finish_s(self) -> float:
        done = [s.finished - s.launched for s in self.sessions if s.finished]
        return max(done) if done else float("nan")


def _status(store: Path, name: str) -> dict:
    try:
        return json.loads((store / name / "status.json").read_text())
    except (OSError, ValueError):
        return {}


def _finished_at(store: Path, names: list[str]) -> float:
    """When the last of `names` finished (its status.json's time), or 0 while one has not."""
    found = [_status(store, n) for n in names]
    return max(s["updated"] for s in found) if all(s.get("state") == "finished" for s in found) else 0.0


async def _timed(coro) -> float:
    start = time.perf_counter()
    await coro
    return time.perf_counter() - start


async def _click_until(button, expected, wait_s: float, tries: int = 3) -> None:
    """Click until `expected` shows: a click that lands while the page is being redrawn can be lost."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    for attempt in range(tries):
        await button.click()
        try:
            await expected.wait_for(timeout=wait_s * 1000)
            return
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise


async def student(browser, url: str, session: Session, store: Path, deadline: float) -> None:
    """One student's visit; a step that never completes leaves the session `stuck` there (reported, not raised)."""
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        await _visit(await ctx.new_page(), url, session, store, deadline)
    except Exception as err:  # a timeout: the table counts it
        session.stuck = f"{session.stage}: {type(err).__name__}"
    finally:
        await ctx.close()


async def _visit(page, url: str, session: Session, store: Path, deadline: float) -> None:
    page.set_default_timeout(max(deadline - time.time(), 1) * 1000)
    try_it = page.get_by_role("button", name=re.compile("Try it: a quick PRISM run"))
    launch = page.get_by_role("button", name="Launch", exact=True)
    session.stage = "open"
    session.waits["open"] = await _timed(page.goto(url)) + await _timed(try_it.wait_for())
    session.stage, start = "try-it", time.perf_counter()
    await _click_until(try_it, launch, wait_s=120)
    await page.get_by_text("Progress", exact=True).wait_for()  # the whole Launch page rendered
    session.waits["try-it"] = time.perf_counter() - start
    session.stage, start, session.launched = "launch", time.perf_counter(), time.time()
    outcome = page.get_by_text(re.compile(r"^(Queued |Cannot launch)")).first
    await launch.click()  # once: a second click would queue a second demo if the first answer is only slow to draw
    await outcome.wait_for()
    session.waits["launch"] = time.perf_counter() - start
    text = await outcome.inner_text()
    if not text.startswith("Queued "):
        session.refused = text
        return
    session.runs = text.removeprefix("Queued ").split(", ")
    session.stage = "watch"
    while time.time() < deadline and not _finished_at(store, session.runs):
        await asyncio.sleep(SWITCH_EVERY_S)
        for link, heading in (("Runs", "Runs"), ("Launch", "Launch a synthesis run")):
            start = time.perf_counter()
            await page.get_by_role("link", name=link, exact=True).click()
            await page.get_by_role("heading", name=heading).first.wait_for()
            session.switches.append(time.perf_counter() - start)
    session.finished = _finished_at(store, session.runs)
    session.stage = "done"


def _busy(times) -> float:
    return times.user + times.system


def _lower_browsers(nice: int) -> None:
    """Chromium's processes (this process's descendants) at niceness `nice`: in a room the browsers run on the
    students' machines, not on the server's cores. Chromium starts in a session of its own, which Linux's autogroup
    scheduling shares the CPU with as a whole whatever its processes' niceness, so this only orders Chromium's own
    processes (measured: the rest of the machine, mostly Chromium, took a third of the CPU at 10 sessions). Lowering
    its autogroup as well starved the browsers instead: a Launch took minutes to draw its answer."""
    for proc in psutil.Process().children(recursive=True):
        try:
            if proc.name().startswith("chrom") and proc.nice() != nice:
                proc.nice(nice)
        except psutil.Error:
            continue


async def _watch(
    server: psutil.Process, peaks: list[float], cpu: dict[str, float], stop: asyncio.Event, nice: int
) -> None:
    """Peak memory of the server and of the server with its workers; CPU seconds of the server, of the workers (each
    worker's last reading, so one that ended still counts) and of the whole machine; new browser processes lowered."""
    machine, workers = _busy(psutil.cpu_times()), {}
    while not stop.is_set():
        _lower_browsers(nice)
        try:
            children = server.children(recursive=True)
            peaks[0] = max(peaks[0], server.memory_info().rss)
            peaks[1] = max(peaks[1], server.memory_info().rss + sum(p.memory_info().rss for p in children))
            cpu["server"] = _busy(server.cpu_times())
            workers.update({p.pid: _busy(p.cpu_times()) for p in children})
        except psutil.Error:
            pass
        cpu["workers"] = sum(workers.values())
        cpu["other"] = _busy(psutil.cpu_times()) - machine - cpu.get("server", 0) - cpu["workers"]
        await asyncio.sleep(1.0)


async def room(n: int, timeout: float, flags: list[str], app_root: Path, nice: int = 19) -> Room:
    from playwright.async_api import async_playwright

    store, port = Path(tempfile.mkdtemp(prefix="prism-classroom-")), free_port()
    server = start_server(store, port, *flags, root=app_root)
    peaks, cpu, stop = [0.0, 0.0], {}, asyncio.Event()
    sessions = [Session(i) for i in range(n)]
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            watch = asyncio.create_task(_watch(psutil.Process(server.pid), peaks, cpu, stop, nice))
            deadline = time.time() + timeout
            await asyncio.gather(*(student(browser, f"http://127.0.0.1:{port}", s, store, deadline) for s in sessions))
            stop.set()
            await watch
            await browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    names = [name for s in sessions for name in s.runs]
    configs = [json.loads((store / name / "config.json").read_text())["config"] for name in names]
    starts = [s.launched for s in sessions if s.runs]
    ends = [_status(store, name).get("updated", 0.0) for name in names]
    return Room(
        sessions,
        sum(c["ipc"] * len(c["classes"]) * c["iterations"] for c in configs),
        min(starts, default=0.0),
        max(ends, default=0.0),
        peaks[0] / 2**20,
        peaks[1] / 2**20,
        cpu,
    )


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else (values[0] if values else float("nan"))


def table(rooms: dict[int, Room]) -> str:
    one = next(iter(rooms.values()))
    one_demo = one.last_finish_s
    lines = [
        "| sessions | refused | stuck | finished | open p95 s | Try-it p95 s | Launch p95 s | page switch p95 s "
        "| last demo s | vs N x one demo | room img-it/s | vs first row | server MB | with workers MB "
        "| CPU s: server / workers / rest |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for n, r in rooms.items():
        ss = r.sessions
        waits = {k: p95([s.waits[k] for s in ss if k in s.waits]) for k in ("open", "try-it", "launch")}
        switches = [t for s in ss for t in s.switches]
        lines.append(
            f"| {n} | {sum(bool(s.refused) for s in ss)} | {sum(bool(s.stuck) for s in ss)} "
            f"| {sum(bool(s.finished) for s in ss)} | {waits['open']:.1f} "
            f"| {waits['try-it']:.1f} | {waits['launch']:.1f} | {p95(switches):.1f} | {r.last_finish_s:.0f} "
            f"| {r.last_finish_s / (n * one_demo):.2f} | {r.throughput:.0f} | {r.throughput / one.throughput:.2f} "
            f"| {r.server_mb:.0f} | {r.total_mb:.0f} "
            f"| {r.cpu.get('server', 0):.0f} / {r.cpu.get('workers', 0):.0f} / {r.cpu.get('other', 0):.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sessions", default="1,5,10", help="session counts, each on a fresh server (first: the reference)"
    )
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per count before giving up on its runs")
    parser.add_argument("--flag", action="append", default=[], help="a Streamlit option, e.g. runner.postScriptGC=true")
    parser.add_argument("--app-root", type=Path, default=ROOT, help="the checkout whose app is served (a before/after)")
    parser.add_argument(
        "--browser-nice", type=int, default=19, help="Chromium's niceness (0: browsers compete with the server)"
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.sessions.split(",")]
    if not all(1 <= n <= MAX_SESSIONS for n in counts):
        parser.error(f"--sessions: each count must be 1 to {MAX_SESSIONS}")
    flags = [f"--{f.split('=')[0]}={f.split('=', 1)[1]}" for f in args.flag]
    rooms = {}
    for n in counts:
        rooms[n] = asyncio.run(room(n, args.timeout, flags, args.app_root, args.browser_nice))
        print(f"{n} sessions done", file=sys.stderr, flush=True)
    print(table(rooms))
    for n, r in rooms.items():
        for s in r.sessions:
            if s.refused or s.stuck:
                print(f"{n} sessions, session {s.index}: {s.refused or 'stuck at ' + s.stuck}")


if __name__ == "__main__":
    main()
