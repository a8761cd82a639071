"""The shared job queue: jobs run in worker processes, in a fair order, cancel and survive a restart through the
store, and everything wrong with a submission is refused before anything is queued."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from prism_core.jobs import JobQueue, JobStore
from prism_core.states import State
from prism_core.synthesis import ConfigError, SynthConfig
from prism_core.synthesis.run_health import pid_alive, run_status
from prism_core.synthesis.runstore import Run, RunError
from tests.conftest import ROOT

TINY = SynthConfig(method="prism", weights="random", ipc=1, classes=(0, 1), iterations=2, bn_pool=("lcnet_050",))


@pytest.fixture
def queue(tmp_path):
    q = JobQueue(tmp_path, workers=1)
    yield q
    q.close()


def test_jobs_run_in_a_worker_process_and_the_server_loads_no_teacher(queue, tmp_path, monkeypatch):
    import prism_core.teachers.teacher as teacher

    monkeypatch.setattr(teacher, "create_teacher", lambda *a, **k: pytest.fail("the server process loaded a teacher"))
    job = queue.wait(queue.submit(TINY.replace(preview_every=1), "one", owner="alice"), timeout=120)
    assert job.state == State.FINISHED, job.error
    assert job.pid != os.getpid() and job.progress.batches_done == job.progress.batches_total == 1
    assert run_status(Run(tmp_path / "one")).state == State.FINISHED
    assert queue.store.preview_path(job.id).stat().st_size > 0  # what the page shows while it forms
    offset, events = Run(tmp_path / "one").read_events()
    assert offset > 0 and events[-1]["kind"] == "step"


@pytest.mark.faults
def test_two_callers_launching_at_once_both_get_their_runs(queue, tmp_path):
    jobs, barrier = [], threading.Barrier(2)

    def launch(name):
        barrier.wait()
        jobs.append(queue.submit(TINY.replace(seed=len(name)), name, owner=name))

    threads = [threading.Thread(target=launch, args=(n,)) for n in ("alice", "bobby")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [queue.wait(job, timeout=120) for job in jobs]
    assert [j.state for j in done] == ["finished", "finished"]
    for job in done:
        assert Run(tmp_path / job.run_name).config().seed == len(job.run_name)


def test_sessions_are_served_round_robin_not_first_come(tmp_path):
    queue = JobQueue(tmp_path, workers=1)
    try:
        first = queue.submit(TINY.replace(iterations=20), "a1", owner="a")  # keeps the worker busy meanwhile
        later = [queue.submit(TINY, name, owner=name[0]) for name in ("a2", "a3", "b1", "c1")]
        done = [queue.wait(j, timeout=240) for j in (first, *later)]
    finally:
        queue.close()
    order = [j.run_name for j in sorted(done, key=lambda j: j.started)]
    assert order == ["a1", "b1", "c1", "a2", "a3"]  # alice's second run waits for bob's and carol's first


@pytest.mark.faults
def test_bad_config_or_a_taken_name_is_refused_at_submit_and_nothing_is_queued(queue, tmp_path):
    with pytest.raises(ConfigError):
        queue.submit(TINY.replace(ipc=0), "bad")
    with pytest.raises(ValueError, match="invalid run name"):
        queue.submit(TINY, "../escape")
    assert queue.jobs() == [] and not [p for p in tmp_path.iterdir() if p.name != ".jobs"]
    queue.wait(queue.submit(TINY, "taken"), timeout=120)
    with pytest.raises(RunError, match="run name 'taken' is taken: choose another"):
        queue.submit(TINY.replace(seed=3), "taken")
    assert len(queue.jobs()) == 1


def test_cancel_a_queued_job_and_a_running_one(queue, tmp_path):
    running = queue.submit(TINY.replace(iterations=5000), "long")
    waiting = queue.submit(TINY, "waiting")
    queue.cancel(waiting.id)
    deadline = time.time() + 60
    while queue.store.read(running.id).progress.step == 0 and time.time() < deadline:
        time.sleep(0.1)
    queue.cancel(running.id)  # asked through the store; its worker stops at the next step
    assert queue.wait(running, timeout=60).state == State.CANCELLED
    assert queue.store.read(waiting.id).state == State.CANCELLED and not (tmp_path / "waiting").exists()
    assert run_status(Run(tmp_path / "long")).state == State.CANCELLED


SERVER = """
import sys, time
from prism_core.jobs import JobQueue
from prism_core.synthesis import SynthConfig
cfg = SynthConfig(method="prism", weights="random", ipc=1, classes=(0, 1), iterations=2, bn_pool=("lcnet_050",))
q = JobQueue(sys.argv[1], workers=1)
q.submit(cfg.replace(iterations=100000), "running", owner="a")
q.submit(cfg, "queued", owner="b")
print("submitted", flush=True)
time.sleep(600)
"""


@pytest.mark.faults
def test_a_killed_server_loses_no_job_the_next_server_finishes_them(tmp_path):
    store = JobStore(tmp_path)
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE)
    try:
        assert server.stdout.readline().strip() == b"submitted"
        deadline = time.time() + 120
        while time.time() < deadline and not any(r.progress.step for r in store.records()):
            time.sleep(0.2)
        worker = next(r.pid for r in store.records() if r.state == State.RUNNING)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    deadline = time.time() + 20
    while pid_alive(worker) and time.time() < deadline:  # the worker goes with its server
        time.sleep(0.2)
    assert not pid_alive(worker)
    assert {r.run_name: r.state for r in store.records()} == {"running": "running", "queued": "queued"}

    queue = JobQueue(tmp_path, workers=2, threads=1)  # the long job takes one worker again, the other job the other
    try:
        queued = next(r for r in store.records() if r.run_name == "queued")
        assert queue.wait(queued, timeout=120).state == State.FINISHED
        running = next(r for r in store.records() if r.run_name == "running")
        deadline = time.time() + 60
        while store.read(running.id).state != State.RUNNING and time.time() < deadline:
            time.sleep(0.2)
        assert store.read(running.id).state == State.RUNNING  # queued again, resumed in a new worker
        assert store.read(running.id).pid not in (worker, None)
    finally:
        queue.close()
