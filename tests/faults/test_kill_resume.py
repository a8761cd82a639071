"""Real CLI processes killed with SIGKILL (mid-batch, and mid-write of a batch's files), then resumed: no batch
is ever marked finished with missing images, and the resumed run is bit-identical to an uninterrupted one."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from prism_core.synthesis.run_health import run_status
from prism_core.synthesis.runstore import Run
from tests.conftest import ROOT

pytestmark = pytest.mark.faults
HERE = Path(__file__).resolve().parent
ARGS = [
    "--method",
    "prism",
    "--weights",
    "random",
    "--ipc",
    "4",
    "--classes",
    "0,1,2,3,4",
    "--iterations",
    "25",
    "--seed",
    "7",
    "--batch-size",
    "5",
]  # one IPC index per batch: 4 batches


def cli(*args, helper=None, **kw):
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", TQDM_DISABLE="1", PYTHONPATH=str(ROOT))
    cmd = [sys.executable, str(helper)] if helper else [sys.executable, "-m", "prism_core"]
    return subprocess.Popen(
        [*cmd, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw
    )


def assert_identical(run: Run, ref: Run) -> None:
    x_run, c_run, k_run = run.pixels()
    x_ref, c_ref, k_ref = ref.pixels()
    assert torch.equal(x_run, x_ref) and (c_run == c_ref).all() and (k_run == k_ref).all()
    png_run = sorted((run.path / "images").rglob("*.png"))
    png_ref = sorted((ref.path / "images").rglob("*.png"))
    assert len(png_run) == 20 and [p.read_bytes() for p in png_run] == [p.read_bytes() for p in png_ref]


def assert_finished_batches_complete(run: Run) -> None:
    for index, rec in run.finished().items():
        assert all(run.image_path(c, k).is_file() for c, k in zip(rec.classes, rec.ipc_indices))
        assert (run.path / "pixels" / f"batch_{index:05d}.safetensors").is_file()


def test_sigkill_then_resume_is_identical_to_uninterrupted(tmp_path):
    ref = cli("synth", *ARGS, "--out", str(tmp_path / "ref"))
    victim = cli("synth", *ARGS, "--out", str(tmp_path / "run"))
    batches = tmp_path / "run" / "batches"
    deadline = time.time() + 300
    while time.time() < deadline and not (batches.is_dir() and len(list(batches.glob("*.json"))) >= 1):
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    run = Run(tmp_path / "run")
    assert run_status(run).state == "interrupted"
    done_before = len(run.finished())
    assert 1 <= done_before < 4
    assert_finished_batches_complete(run)
    resumed = cli("synth", *ARGS, "--out", str(tmp_path / "run"))
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err
    assert f"{done_before} already finished" in err
    assert ref.wait(timeout=600) == 0
    assert run_status(run).state == "finished"
    assert_identical(run, Run(tmp_path / "ref"))


@pytest.mark.parametrize("point", ["png:2", "pixels"])
def test_sigkill_while_writing_a_batch_never_marks_it_finished(tmp_path, point):
    ref = cli("synth", *ARGS, "--out", str(tmp_path / "ref"))
    victim = cli("1", point, "synth", *ARGS, "--out", str(tmp_path / "run"), helper=HERE / "kill_during_write.py")
    victim.communicate(timeout=600)
    assert victim.returncode == -signal.SIGKILL
    run = Run(tmp_path / "run")
    assert run_status(run).state == "interrupted"
    assert sorted(run.finished()) == [0]  # batch 1 died mid-write: not finished, whatever files it left
    assert_finished_batches_complete(run)
    resumed = cli("synth", *ARGS, "--out", str(tmp_path / "run"))
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err
    assert ref.wait(timeout=600) == 0
    assert_identical(run, Run(tmp_path / "ref"))
    assert not list(run.path.rglob("*.tmp"))  # the dead writer's temporary files were swept on resume
