"""The benchmark on Dask: a cell completed without repeating work, the same cells on a LocalCluster and in one
process, no finished cell lost to a killed worker, a second worker process joining a running scheduler, and bad input
refused before anything runs."""

import os
import signal
import subprocess
import sys
import time

import pytest

from prism_core.benchmark import Benchmark, CellStore, cluster, run
from prism_core.benchmark.store import CELL_METRICS
from prism_core.synthesis.runstore import Run, slug
from prism_core.workspaces import EMBEDDED_WORKSPACE, get_workspace
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
TINY = dict(
    rows=("random real", "real init images", "SRe2L · noise", "PRISM · real"),
    ipcs=(1,),
    seeds=2,
    students=("convnet",),
    labels=("hard", "soft"),
    epochs=2,
    extra={"iterations": 3},
)


@pytest.fixture(scope="module")
def bench(shapes_workspace):
    _, toml, _ = shapes_workspace
    return Benchmark(get_workspace("shapes", toml), **TINY)


def measured(cells: dict) -> dict:
    """What a user reads off a cell: its accuracies and metrics (not its timings or where it ran)."""
    return {k: (c.top1, c.metrics) for k, c in cells.items()}


def test_a_local_cluster_gives_the_cells_of_a_single_process(bench, tmp_path, capfd):
    from distributed import Client

    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
        assert run(bench, CellStore(tmp_path / "one" / "cells.json"), client, tmp_path / "one" / "runs") == 0
    assert "student convnet" not in capfd.readouterr().err  # tasks keep quiet: the benchmark's bar is the progress
    workers, counts = [], []  # counts: the announced total, then each result's count of tasks done

    def progress(p):
        workers.append(p.result.worker)
        counts.append(p.done)

    with cluster(workers=2) as client:
        assert (
            run(
                bench,
                CellStore(tmp_path / "two" / "cells.json"),
                client,
                tmp_path / "two" / "runs",
                progress,
                submitted=counts.append,
            )
            == 0
        )
        durations = client.run_on_scheduler(
            lambda dask_scheduler: {p: tp.duration_average for p, tp in dask_scheduler.task_prefixes.items()}
        )
    assert set(durations) == {"images", "metrics", "evaluate"}  # one learned duration per kind, to balance by
    assert min(durations.values()) > 0
    one, two = CellStore(tmp_path / "one" / "cells.json").cells, CellStore(tmp_path / "two" / "cells.json").cells
    assert len(one) == 2 * len(TINY["rows"]) and all(
        set(c.top1) == {"convnet hard", "convnet soft"} for c in one.values()
    )
    assert measured(one) == measured(two)
    assert len(set(workers)) == 2  # both processes took tasks
    assert counts == [len(workers), *range(1, len(workers) + 1)]  # the total is known before the first result
    prism = Run(tmp_path / "one" / "runs" / f"{slug('PRISM · real')}-ipc1-s0").config()
    assert prism.bn_pool == ("lcnet_050",)  # PRISM's default pool, cut to what the workspace's zoo has
    with cluster(workers=2) as client:  # a finished benchmark resumes to nothing
        assert not run(
            bench,
            CellStore(tmp_path / "two" / "cells.json"),
            client,
            tmp_path / "two" / "runs",
            lambda p: pytest.fail(f"measured again: {p}"),
        )


def test_a_killed_worker_loses_no_finished_cell_and_the_benchmark_completes(bench, tmp_path):
    store, seen, killed = CellStore(tmp_path / "cells.json"), [], []
    with cluster(workers=2) as client:
        pids = client.run(os.getpid)

        def progress(p):
            seen.append({k: dict(c.top1) for k, c in store.cells.items()})  # a copy: the store's cells grow
            if len(seen) == 2:  # a task has finished: kill a worker while the others run
                pid = pids[p.result.worker]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        assert run(bench, store, client, tmp_path / "runs", progress) == 0
    assert killed
    final = CellStore(tmp_path / "cells.json").cells
    assert len(final) == 2 * len(TINY["rows"]) and all(
        len(c.top1) == 2 and "vendi" in c.metrics for c in final.values()
    )
    for before in seen:  # every result stored along the way is still there, unchanged
        for k, top1 in before.items():
            assert all(final[k].top1[e] == v for e, v in top1.items())


def test_a_cancelled_benchmark_keeps_what_finished_and_resumes_to_the_rest(bench, tmp_path):
    from distributed import Client

    store, results = CellStore(tmp_path / "cells.json"), []
    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
        run(bench, store, client, tmp_path / "runs", results.append, should_stop=lambda: len(results) >= 2)
        stopped = CellStore(tmp_path / "cells.json").cells
        kept = {k: dict(c.top1) for k, c in stopped.items()}
        done = sum(len(c.top1) + ("vendi" in c.metrics) for c in stopped.values())  # evaluations and metrics stored
        assert 2 <= done < 3 * 2 * len(TINY["rows"]) and not any(c.failed for c in stopped.values())
        resumed = []
        assert run(bench, CellStore(tmp_path / "cells.json"), client, tmp_path / "runs", resumed.append) == 0
    final = CellStore(tmp_path / "cells.json").cells
    assert all(final[k].top1[e] == v for k, top1 in kept.items() for e, v in top1.items())
    assert len(final) == 2 * len(TINY["rows"]) and all(len(c.top1) == 2 for c in final.values())


def test_a_task_that_keeps_failing_is_retried_once_then_stored_with_its_error(bench, tmp_path, monkeypatch):
    from distributed import Client

    from prism_core.benchmark import runner

    calls = tmp_path / "calls.txt"  # a file: Dask pickles the task, so a list here would not see the worker's calls

    def broken(*args):
        with open(calls, "a") as f:
            f.write(args[-2] + "\n")  # the evaluation's label
        raise RuntimeError("student diverged")

    monkeypatch.setattr(runner, "evaluate", broken)
    one_row = Benchmark(**{**bench.__dict__, "rows": ("random real",), "seeds": 1})
    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
        assert run(one_row, CellStore(tmp_path / "cells.json"), client, tmp_path / "runs") == 2
        cell = CellStore(tmp_path / "cells.json").get("random real", 1, 0)
        assert sorted(calls.read_text().split("\n")[:-1]) == sorted(2 * list(one_row.evals))  # each tried twice
        assert cell.failed == {e: "RuntimeError: student diverged" for e in one_row.evals} and "vendi" in cell.metrics
        monkeypatch.undo()
        assert run(one_row, CellStore(tmp_path / "cells.json"), client, tmp_path / "runs") == 0
    cell = CellStore(tmp_path / "cells.json").get("random real", 1, 0)
    assert not cell.failed and set(cell.top1) == set(one_row.evals)


def _cli(*args, **kw):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "prism_core", *args],
        env={**env, **kw.pop("env", {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        **kw,
    )


def test_a_second_worker_process_joins_a_running_scheduler_and_takes_tasks(bench, shapes_workspace, tmp_path):
    """As on a cluster: `dask scheduler`, one `dask worker`, the CLI with --scheduler, then a second worker."""
    _, toml, _ = shapes_workspace
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    file = tmp_path / "scheduler.json"
    procs = [
        subprocess.Popen(
            [*dask, "--scheduler-file", str(file), "--no-dashboard", "--host", "127.0.0.1"], stderr=subprocess.DEVNULL
        )
    ]
    worker = [
        sys.executable,
        "-m",
        "distributed.cli.dask_worker",
        "--scheduler-file",
        str(file),
        "--nthreads",
        "1",
        "--no-dashboard",
        "--host",
        "127.0.0.1",
    ]
    try:
        deadline = time.time() + 60
        while not file.is_file() and time.time() < deadline:
            time.sleep(0.2)
        import json

        address = json.loads(file.read_text())["address"]
        procs.append(subprocess.Popen(worker, stderr=subprocess.DEVNULL, env={**os.environ, "HF_HUB_OFFLINE": "1"}))
        cli = _cli(
            "benchmark",
            "--workspace",
            "shapes",
            "--rows",
            ",".join(TINY["rows"]),
            "--ipcs",
            "1",
            "--seeds",
            "2",
            "--students",
            "convnet",
            "--epochs",
            "2",
            "--scheduler",
            address,
            "--out",
            str(tmp_path / "out"),
            env={"PRISM_WORKSPACES": str(toml)},
        )
        time.sleep(5)
        procs.append(subprocess.Popen(worker, stderr=subprocess.DEVNULL, env={**os.environ, "HF_HUB_OFFLINE": "1"}))
        out, err = cli.communicate(timeout=900)
        assert cli.returncode == 0, err[-3000:]
        assert f"0/{3 * 2 * len(TINY['rows'])}" in err  # the bar shows its total before the first result
        from distributed import Client

        with Client(address) as client:
            ran = client.run(lambda dask_worker: len(dask_worker.data) + dask_worker.state.executed_count)
        assert len(ran) == 2 and all(n > 0 for n in ran.values()), ran
        assert (tmp_path / "out" / "results.md").is_file() and (tmp_path / "out" / "results.png").is_file()
        assert len(CellStore(tmp_path / "out" / "cells.json").cells) == 2 * len(TINY["rows"])
    finally:
        for p in procs:
            p.kill()


@pytest.mark.parametrize(
    "flags, names",
    [
        (["--rows", "random real,SRe3L · noise"], "--rows"),
        (["--students", "resnet19"], "--students"),
        (["--ipcs", "0"], "--ipcs"),
        (["--workspace", "nope"], "no workspace 'nope'"),
        (["--scheduler", "tcp://127.0.0.1:9"], "--scheduler tcp://127.0.0.1:9"),
    ],
)
def test_bad_input_fails_before_anything_runs_with_one_line_naming_the_flag(flags, names, tmp_path):
    cli = _cli("benchmark", *flags, "--out", str(tmp_path / "out"))
    _, err = cli.communicate(timeout=120)
    lines = [line for line in err.splitlines() if line.strip()]
    assert cli.returncode == 2 and len(lines) == 1 and names in lines[0] and "Traceback" not in err, err
    assert not (tmp_path / "out").exists()


def test_the_local_cluster_takes_a_worker_per_core_as_memory_allows():
    from prism_core.benchmark.runner import LOCAL_WORKERS, local_workers

    gib = 2**30
    assert local_workers(2, 24 * gib) == 2 and local_workers(16, 8 * gib) == 8 and local_workers(4, gib // 2) == 1
    assert 1 <= LOCAL_WORKERS <= (os.cpu_count() or 1)


def test_a_cell_is_measured_then_completed_without_repeating_work(tmp_path, fmnist):
    from distributed import Client

    bench = Benchmark(
        EMBEDDED_WORKSPACE,
        rows=("SRe2L · noise",),
        ipcs=(1,),
        seeds=1,
        students=("convnet",),
        labels=("hard",),
        epochs=1,
        extra={"iterations": 2},
    )
    store = CellStore(tmp_path / "cells.json")
    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
        tasks = []
        assert run(bench, store, client, tmp_path / "runs", lambda p: tasks.append(p.label)) == 0
        done = store.get("SRe2L · noise", 1, 0)
        assert sorted(tasks) == ["convnet hard", "metrics"] and 0 <= done.top1["convnet hard"] <= 100
        assert set(done.metrics) == set(CELL_METRICS)  # every value the file keeps, each one measured
        assert done.metrics["coverage"] >= 0 and done.metrics["vendi"] == pytest.approx(
            1.0, abs=1e-6
        )  # one image per class
        kept, tasks = dict(done.top1), []
        wider = Benchmark(**{**bench.__dict__, "students": ("convnet", "resnet18")})
        assert run(wider, store, client, tmp_path / "runs", lambda p: tasks.append(p.label)) == 0
    again = CellStore(tmp_path / "cells.json").get("SRe2L · noise", 1, 0)
    assert tasks == ["resnet18 hard"] and again.top1["convnet hard"] == kept["convnet hard"]
    assert sum(again.seconds_on.values()) == pytest.approx(again.seconds)
