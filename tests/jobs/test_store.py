"""The job store's records: typed round trip, a rewrite is seen at once, a damaged file is skipped."""

from prism_core.evaluation import EvalConfig
from prism_core.jobs import JobRecord, JobStore, Kind, Progress
from prism_core.states import State
from prism_core.synthesis import SynthConfig


def test_a_record_reads_back_as_written_and_a_rewrite_is_seen_at_once(tmp_path):
    store = JobStore(tmp_path)
    synth = JobRecord(store.new_id(), Kind.SYNTH, "run", "alice", 1.0, config=SynthConfig(ipc=2, classes=(1, 3)))
    evaluation = JobRecord(store.new_id(), Kind.EVALUATE, "run", "bob", 2.0, evaluation=EvalConfig(), seeds=2)
    for record in (synth, evaluation):
        assert store.read(store.write(record).id) == record
    store.write(synth.replace(state=State.RUNNING, progress=Progress(batches_total=3, step=7)))
    assert store.read(synth.id).state == State.RUNNING and store.read(synth.id).progress.step == 7
    (store.root / "garbage.json").write_text("{not json")
    assert [r.owner for r in store.records()] == ["alice", "bob"]


def test_cancel_is_a_marker_any_process_can_see(tmp_path):
    store = JobStore(tmp_path)
    assert not store.cancel_requested("x")
    store.root.mkdir(parents=True)
    store.request_cancel("x")
    assert store.cancel_requested("x")
