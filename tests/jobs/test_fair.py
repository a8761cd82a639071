"""The shared queue's order: round-robin across sessions, each session's own runs in the order it queued them."""

from prism_core.jobs import JobRecord, Kind
from prism_core.jobs.fair import next_job


def job(name: str, owner: str, t: float) -> JobRecord:
    return JobRecord(name, Kind.SYNTH, name, owner, t)


def serve(queued: list[JobRecord]) -> list[str]:
    served, order, clock = {}, [], 0.0
    while (nxt := next_job(queued, served)) is not None:
        queued.remove(nxt)
        clock += 1
        served[nxt.owner] = clock
        order.append(nxt.run_name)
    return order


def test_a_session_that_queued_four_runs_does_not_hold_up_the_others():
    queued = [job(f"a{i}", "alice", i) for i in range(4)] + [job("b0", "bob", 10), job("c0", "carol", 11)]
    assert serve(queued) == ["a0", "b0", "c0", "a1", "a2", "a3"]


def test_a_newcomer_goes_before_sessions_already_served():
    served = {"alice": 5.0, "bob": 6.0}
    queued = [job("a1", "alice", 1), job("b1", "bob", 2), job("d0", "dave", 3)]
    assert next_job(queued, served).run_name == "d0"
    assert next_job([], served) is None
