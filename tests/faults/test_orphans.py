"""A benchmark's client killed outright (SIGKILL of the CLI or of the app's server) leaves no Dask process behind:
the embedded cluster's scheduler closes once it has had nothing to run for ORPHAN_IDLE_S, and its workers with it."""

import json
import os
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.faults

CLIENT = textwrap.dedent(
    """
    import json, os, signal, sys
    import psutil
    from prism_core.benchmark import runner

    runner.ORPHAN_IDLE_S = 2
    with runner.cluster(workers=1) as client:
        worker = next(iter(client.run(os.getpid).values()))
        pids = [client.run_on_scheduler(os.getpid), worker, psutil.Process(worker).ppid()]  # scheduler, worker, nanny
        with open(sys.argv[1], "w") as f:
            json.dump(pids, f)
        os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_a_killed_client_leaves_no_cluster_process_behind(tmp_path):
    file = tmp_path / "pids.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1")
    client = subprocess.run(
        [sys.executable, "-c", CLIENT, str(file)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    assert client.returncode == -9 and file.is_file()
    pids = json.loads(file.read_text())
    deadline = time.time() + 60
    while time.time() < deadline and any(psutil.pid_exists(p) for p in pids):
        time.sleep(0.5)
    alive = [p for p in pids if psutil.pid_exists(p)]
    for p in alive:
        os.kill(p, 9)
    assert not alive, "the killed client's scheduler or worker is still running"
