"""torchrun with two CPU processes shards the batch plan; the images equal a single-process run's."""

import os
import subprocess
import sys

import pytest
import torch

from prism_core.synthesis.run_health import run_status
from prism_core.synthesis.runstore import Run
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
ARGS = [
    "synth",
    "--method",
    "prism",
    "--weights",
    "random",
    "--ipc",
    "3",
    "--classes",
    "0,1,2,3",
    "--iterations",
    "6",
    "--seed",
    "5",
    "--batch-size",
    "4",
]  # one IPC index per batch: 3 batches to share


def test_two_ranks_write_one_run_identical_to_a_single_process(tmp_path):
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", TQDM_DISABLE="1")
    single = subprocess.run(
        [sys.executable, "-m", "prism_core", *ARGS, "--out", str(tmp_path / "single")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert single.returncode == 0, single.stderr
    multi = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            "-m",
            "prism_core",
            *ARGS,
            "--out",
            str(tmp_path / "multi"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert multi.returncode == 0, multi.stderr[-3000:]
    a, b = Run(tmp_path / "single"), Run(tmp_path / "multi")
    assert run_status(b).state == "finished" and len(b.finished()) == 3
    pids = {rec.pid for rec in b.finished().values()}
    assert len(pids) == 2  # both ranks did work
    xa, ca, ka = a.pixels()
    xb, cb, kb = b.pixels()
    assert torch.equal(xa, xb) and (ca == cb).all() and (ka == kb).all()


def test_a_bare_cuda_device_means_this_ranks_gpu(monkeypatch):
    from prism_core.distributed import local_device

    monkeypatch.setenv("LOCAL_RANK", "3")
    assert local_device("cuda") == torch.device("cuda", 3)
    assert local_device("cuda:1") == torch.device("cuda", 1) and local_device("cpu") == torch.device("cpu")
    monkeypatch.delenv("LOCAL_RANK")
    assert local_device("cuda") == torch.device("cuda")
