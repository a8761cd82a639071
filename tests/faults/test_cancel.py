"""Cancel in the middle of a batch (through the job queue, as the app does): the finished batches stay usable
(pixels, metrics, evaluation check, zip export) and resuming completes the run like an uninterrupted one."""

import io
import time
import zipfile

import pytest
import torch

from prism_core.evaluation import check_complete
from prism_core.jobs import JobQueue
from prism_core.synthesis import SynthConfig, synthesize
from prism_core.synthesis.run_export import export_zip
from prism_core.synthesis.run_health import run_status
from prism_core.synthesis.runstore import Run

pytestmark = pytest.mark.faults
CFG = SynthConfig(
    method="prism",
    weights="random",
    ipc=3,
    classes=(0, 1, 2),
    batch_size=3,
    iterations=80,
    seed=4,
    bn_pool=("lcnet_050", "shufflenet_v2_x0_5"),
)


def test_cancel_mid_batch_keeps_finished_batches_usable_and_resumable(tmp_path):
    queue = JobQueue(tmp_path / "runs", workers=1, threads=1)
    job = queue.submit(CFG, "victim")
    deadline = time.time() + 300
    while time.time() < deadline and not ((p := queue.store.read(job.id).progress).batches_done >= 1 and p.step >= 5):
        time.sleep(0.02)  # batch 1 is under way (the worker reports every REPORT_EVERY_S)
    queue.cancel(job.id)
    job = queue.wait(job, timeout=120)
    run = Run(tmp_path / "runs" / "victim")
    assert job.state == "cancelled" and run_status(run).state == "cancelled"
    finished = run.finished()
    assert 1 <= len(finished) < 3
    check_complete(run)  # every finished batch has its PNGs and pixels
    x, classes, _ = run.pixels()
    assert len(x) == 3 * len(finished)
    names = zipfile.ZipFile(io.BytesIO(export_zip(run))).namelist()
    assert len(names) == len(x) and all(n.startswith("victim/") and n.endswith(".png") for n in names)

    queue.wait(queue.submit(run.config(), "victim", resume=True), timeout=300)
    queue.close()
    assert run_status(run).state == "finished"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the worker: the float order of another thread count differs by about 4e-4 here
    try:
        for _ in synthesize(CFG, tmp_path / "ref"):
            pass
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(run.pixels()[0], Run(tmp_path / "ref").pixels()[0])
