"""The shared job queue: FIFO across callers, cancel, validation before anything is queued."""

import threading

import pytest

from prism_core.jobs import JobQueue
from prism_core.synthesis import ConfigError, SynthConfig
from prism_core.synthesis.run_health import run_status
from prism_core.synthesis.runstore import Run

TINY = SynthConfig(method="prism", weights="random", ipc=1, classes=(0, 1), iterations=2, bn_pool=("lcnet_050",))


@pytest.mark.faults
def test_two_callers_launching_at_once_both_get_their_runs_in_order(tmp_path):
    queue = JobQueue(tmp_path)
    jobs = []
    barrier = threading.Barrier(2)

    def launch(name):
        barrier.wait()
        jobs.append(queue.submit(TINY.replace(seed=len(name)), name))

    threads = [threading.Thread(target=launch, args=(n,)) for n in ("alice", "bobby")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for job in jobs:
        queue.wait(job, timeout=120)
    assert [j.state for j in queue.jobs()] == ["finished", "finished"]
    ordered = sorted(queue.jobs(), key=lambda j: j.id)
    assert ordered[0].ended <= ordered[1].started  # one worker per device: strictly in submission order
    for job in jobs:
        run = Run(tmp_path / job.run_name)
        assert run_status(run).state == "finished" and run.config().seed == len(job.run_name)


@pytest.mark.faults
def test_bad_config_is_refused_at_submit_and_leaves_no_run(tmp_path):
    queue = JobQueue(tmp_path)
    with pytest.raises(ConfigError):
        queue.submit(TINY.replace(ipc=0), "bad")
    with pytest.raises(ValueError, match="invalid run name"):
        queue.submit(TINY, "../escape")
    assert not any(tmp_path.iterdir())


def test_cancel_a_queued_job(tmp_path):
    queue = JobQueue(tmp_path)
    first = queue.submit(TINY.replace(iterations=30), "first")
    second = queue.submit(TINY, "second")
    queue.cancel(second.id)
    queue.wait(first, timeout=120)
    assert second.state == "cancelled" and run_status(Run(tmp_path / "second")).state == "cancelled"


def test_back_to_back_jobs_reuse_the_loaded_teachers(tmp_path):
    queue = JobQueue(tmp_path, max_models=4)
    queue.wait(queue.submit(TINY, "one"), timeout=120)
    loaded = dict(queue.teachers._models)
    queue.wait(queue.submit(TINY.replace(seed=1), "two"), timeout=120)
    assert [j.state for j in queue.jobs()] == ["finished", "finished"]
    assert len(loaded) == 2 and all(queue.teachers._models[k] is t for k, t in loaded.items())
