"""A real small disk (tmpfs) that fills up mid-run, then turns read-only: the CLI stops with a clear message,
finished batches stay intact, and once there is room again the same command completes the run exactly."""

import os
import subprocess
import time

import pytest
import torch

from prism_core.synthesis.run_health import run_status
from prism_core.synthesis.runstore import Run
from tests.faults.test_kill_resume import cli

pytestmark = pytest.mark.faults
ARGS = [
    "--method",
    "prism",
    "--weights",
    "random",
    "--ipc",
    "3",
    "--classes",
    "0,1,2",
    "--iterations",
    "60",
    "--seed",
    "3",
    "--batch-size",
    "3",
]  # 3 batches


@pytest.fixture
def disk(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(path) -> None:
    """Take every free byte of the disk, as another program would."""
    with open(path, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
        try:
            os.fsync(f.fileno())
        except OSError:
            pass


def test_full_then_read_only_disk_stops_cleanly_and_keeps_finished_batches(disk, tmp_path):
    ref = cli("synth", *ARGS, "--out", str(tmp_path / "ref"))
    out = disk / "run"
    victim = cli("synth", *ARGS, "--out", str(out))
    deadline = time.time() + 300
    while time.time() < deadline and not list((out / "batches").glob("*.json")):
        time.sleep(0.05)
    fill(disk / "ballast")
    _, err = victim.communicate(timeout=600)
    assert victim.returncode == 2 and "Traceback" not in err
    assert "writing the run failed (No space left on device)" in err and "finished batches are kept" in err
    run = Run(out)
    finished = run.finished()
    assert 1 <= len(finished) < 3
    for index, rec in finished.items():
        assert all(run.image_path(c, k).is_file() for c, k in rec.pairs)
        assert (out / "pixels" / f"batch_{index:05d}.safetensors").is_file()

    (disk / "ballast").unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    again = cli("synth", *ARGS, "--out", str(out))
    _, err = again.communicate(timeout=300)
    assert again.returncode == 2 and "Traceback" not in err
    assert "Read-only file system" in err and "nothing was changed" in err
    assert Run(out).finished().keys() == finished.keys()

    subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
    resumed = cli("synth", *ARGS, "--out", str(out))
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err
    assert ref.wait(timeout=600) == 0
    assert run_status(run).state == "finished"
    assert torch.equal(run.pixels()[0], Run(tmp_path / "ref").pixels()[0])
