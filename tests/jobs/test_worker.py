"""What a worker process does with one job, called here in-process."""

import time

from prism_core.jobs import JobRecord, JobStore, Kind
from prism_core.jobs.worker import execute
from prism_core.states import State
from prism_core.synthesis import SynthConfig


def test_a_job_cancelled_between_its_dispatch_and_its_start_ends_cancelled_and_creates_no_run(tmp_path):
    store = JobStore(tmp_path)
    record = store.write(JobRecord(store.new_id(), Kind.SYNTH, "late", "alice", time.time(), config=SynthConfig()))
    store.request_cancel(record.id)
    assert execute(str(tmp_path), record.id, "cpu") == State.CANCELLED
    assert store.read(record.id).state == State.CANCELLED and not (tmp_path / "late").exists()


def test_a_failing_job_records_its_error_and_the_worker_lives_on(tmp_path):
    store = JobStore(tmp_path)
    bad = SynthConfig(weights="random", ipc=1, classes=(0,), iterations=1, bn_pool=("no_such_net",))
    record = store.write(JobRecord(store.new_id(), Kind.SYNTH, "bad", "alice", time.time(), config=bad))
    assert execute(str(tmp_path), record.id, "cpu") == State.FAILED
    ended = store.read(record.id)
    assert ended.state == State.FAILED and "no_such_net" in ended.error and ended.ended >= ended.started > 0
