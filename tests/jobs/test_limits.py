"""A classroom server's limits: each refusal is one line that says what to do, and nothing is queued."""

import pytest

from prism_core.jobs import CLASSROOM, UNLIMITED, JobQueue, LimitError, Limits
from prism_core.synthesis import SynthConfig

TINY = SynthConfig(method="sre2l", weights="random", ipc=1, classes=(0,), iterations=1)


def test_unlimited_refuses_nothing(tmp_path):
    UNLIMITED.check(TINY.replace(ipc=500, iterations=5000), 100, tmp_path)


@pytest.mark.parametrize(
    "cfg, active, message",
    [
        (TINY, 4, "you have 4 runs queued or running, the most one session may have here"),
        (TINY.replace(ipc=50), 0, "IPC 50 is above this server's limit of 10: lower it"),
        (TINY.replace(iterations=1000), 0, "1000 iterations per batch is above this server's limit of 300"),
    ],
)
def test_classroom_refuses_too_many_or_too_large_runs(tmp_path, cfg, active, message):
    with pytest.raises(LimitError, match=message):
        CLASSROOM.check(cfg, active, tmp_path)


def test_a_full_store_refuses_new_runs_and_queues_nothing(tmp_path):
    (tmp_path / "old-run").mkdir()
    (tmp_path / "old-run" / "pixels.bin").write_bytes(b"x" * 4096)
    queue = JobQueue(tmp_path, workers=1, limits=Limits(store_bytes=4096))
    try:
        with pytest.raises(LimitError, match="delete runs on the Runs page before launching more"):
            queue.submit(TINY, "new", owner="alice")
        assert queue.jobs() == []
    finally:
        queue.close()
