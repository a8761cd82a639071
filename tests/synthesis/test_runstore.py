import json

import pytest
import torch

from prism_core.records import BatchRecord
from prism_core.states import State
from prism_core.synthesis import SynthConfig
from prism_core.synthesis.run_export import contents, export_zip, read_images
from prism_core.synthesis.run_health import run_problems, run_status
from prism_core.synthesis.runstore import Run, RunError, RunRecord, check_run_name, list_runs


@pytest.mark.faults
@pytest.mark.parametrize("bad", ["../x", "a/b", "..", "", "x" * 200, "/etc", ".hidden"])
def test_run_names_cannot_escape_the_store(bad):
    with pytest.raises(RunError, match="invalid run name"):
        check_run_name(bad)


def test_write_batch_then_finished_and_export(tmp_path):
    run = Run(tmp_path / "r")
    run.create(RunRecord(SynthConfig(), ("a", "b")))
    x = torch.rand(2, 1, 4, 4)
    run.write_batch(BatchRecord(0, (0, 1), (0, 0), (0,), 1), x, x)
    assert list(run.finished()) == [0]
    assert run.image_path(1, 0).name == "000.png" and run.image_path(1, 0).parent.name == "001_b"
    pixels, classes, ks = run.pixels()
    assert torch.equal(pixels, x) and list(classes) == [0, 1]
    import io
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(export_zip(run))).namelist()
    assert sorted(names) == ["r/000_a/000.png", "r/001_b/000.png"]
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.faults
def test_damaged_batch_record_is_not_finished_and_damaged_status_is_reported(tmp_path):
    run = Run(tmp_path / "r")
    run.create(RunRecord(SynthConfig(), ("a",)))
    (run.path / "batches" / "00000.json").write_text("{trunc")
    assert run.finished() == {}
    (run.path / "status.json").write_text("{nope")
    assert run_status(run).state == "damaged"


@pytest.mark.faults
def test_dead_writer_reads_as_interrupted(tmp_path):
    run = Run(tmp_path / "r")
    run.create(RunRecord(SynthConfig(), ("a",)))
    run.set_status(State.RUNNING)
    status = json.loads((run.path / "status.json").read_text())
    status["pid"] = 2**22 + 12345  # no such process
    (run.path / "status.json").write_text(json.dumps(status))
    assert run_status(run).state == "interrupted"
    assert [r.name for r in list_runs(tmp_path)] == ["r"]


def test_a_status_written_by_any_version_reads_as_its_state_and_a_foreign_one_as_damaged(tmp_path):
    run = _two_image_run(tmp_path / "r")
    (run.path / "status.json").write_text(json.dumps({"state": "cancelled", "batches_total": 1}))  # a plain string
    status = run_status(run)
    assert status.state is State.CANCELLED and status.state.resumable and not status.state.active
    assert json.dumps(status.state) == '"cancelled"'  # and it writes back as the same string
    (run.path / "status.json").write_text(json.dumps({"state": "paused"}))
    status = run_status(run)
    assert status.state is State.DAMAGED and "'paused'" in status.error


def _two_image_run(path):
    run = Run(path)
    run.create(RunRecord(SynthConfig(), ("a", "b")))
    x = torch.rand(2, 1, 4, 4)
    run.write_batch(BatchRecord(0, (0, 1), (0, 0), (0,), 1), x, x)
    run.set_status(State.FINISHED, batches_total=1)
    return run


def test_status_reads_each_png_once_and_still_sees_a_damaged_one(tmp_path, monkeypatch):
    """The app polls status(); a healthy image is verified once (or not at all: this process wrote it), and an
    image rewritten or truncated afterwards is read again and reported."""
    import PIL.Image

    from prism_core.synthesis import run_health, runstore

    run = _two_image_run(tmp_path / "r")
    opened = []
    real_open = PIL.Image.open
    monkeypatch.setattr(run_health.Image, "open", lambda *a, **k: opened.append(a[0]) or real_open(*a, **k))
    assert run_status(run).state == "finished" and opened == []  # written by this process: known good
    runstore.WRITTEN_PNGS.clear()  # as another process (the app) finds them
    assert run_status(run).state == "finished" and len(opened) == 2
    assert run_status(run).state == "finished" and len(opened) == 2  # cached by size and mtime
    victim = run.image_path(1, 0)
    victim.write_bytes(victim.read_bytes()[:40])
    status = run_status(run)
    assert status.state == "damaged" and "001_b/000.png is unreadable" in status.error


def test_export_zip_streams_into_a_file(tmp_path):
    import io
    import zipfile

    run = _two_image_run(tmp_path / "r")
    with open(tmp_path / "out.zip", "wb") as f:
        assert export_zip(run, f) is None
    assert zipfile.ZipFile(tmp_path / "out.zip").namelist() == zipfile.ZipFile(io.BytesIO(export_zip(run))).namelist()


def _ipc_run(path, classes=3, ipc=4):
    """A cross-class run: batch k holds IPC index k of every class; pixel value = class + k / 10."""
    run = Run(path)
    run.create(RunRecord(SynthConfig(), tuple(f"c{i}" for i in range(classes))))
    for k in range(ipc):
        x = torch.stack([torch.full((1, 4, 4), (c + k / 10) / 10) for c in range(classes)])
        run.write_batch(BatchRecord(k, tuple(range(classes)), (k,) * classes, (k,), 1), x, x)
    run.set_status(State.FINISHED, batches_total=ipc)
    return run


def test_a_page_reads_what_it_shows_from_a_run(tmp_path, monkeypatch):
    """contents() comes from the records; read_images() opens only the PNGs asked for; pixels(max_ipc) loads only
    the batches that hold the sample."""
    from prism_core.synthesis import runstore

    run = _ipc_run(tmp_path / "r")
    classes, ks = contents(run)
    assert list(classes) == [0] * 4 + [1] * 4 + [2] * 4 and list(ks) == [0, 1, 2, 3] * 3
    imgs = read_images(run, [2, 0], [3, 1])
    assert imgs.shape == (2, 1, 4, 4) and imgs.dtype.name == "uint8"
    assert abs(imgs[0].mean() - (2 + 0.3) / 10 * 255) < 1 and abs(imgs[1].mean() - 0.1 / 10 * 255) < 1
    loaded = []
    real_load = runstore.load_file
    monkeypatch.setattr(runstore, "load_file", lambda p: loaded.append(p) or real_load(p))
    x, c, k = run.pixels(max_ipc=2)
    assert len(loaded) == 2 and list(k) == [0, 1] * 3 and list(c) == [0, 0, 1, 1, 2, 2]
    assert torch.allclose(x[3], torch.full((1, 4, 4), 0.11))


def test_status_of_a_large_run_costs_a_folder_scan_and_still_sees_a_removed_image(tmp_path, monkeypatch):
    from prism_core import stamps
    from prism_core.synthesis import run_health, runstore

    monkeypatch.setattr(run_health, "FULL_CHECK_LIMIT", 5)  # this 12-image run counts as large
    monkeypatch.setattr(stamps, "RACY_S", 0.0)
    run = _ipc_run(tmp_path / "r")
    runstore.WRITTEN_PNGS.clear()
    checked = []
    real_check = run_health.png_problem
    monkeypatch.setattr(run_health, "png_problem", lambda *a: checked.append(a) or real_check(*a))
    assert run_status(run).state == "finished" and len(checked) == 12  # present and non-empty; not decoded
    assert all(verify is False for _, verify in checked)
    assert run_status(run).state == "finished" and len(checked) == 12  # nothing changed: nothing checked
    run.image_path(1, 2).unlink()
    status = run_status(run)
    assert status.state == "damaged" and "001_c1/002.png is missing" in status.error
    assert any("001_c1/002.png is missing" in p for p in run_problems(run))  # the full check (resume, evaluation)


def test_finished_records_are_reread_only_when_a_batch_lands(tmp_path, monkeypatch):
    import pathlib

    from prism_core import stamps

    monkeypatch.setattr(stamps, "RACY_S", 0.0)
    run = _ipc_run(tmp_path / "r", ipc=2)
    assert list(run.finished()) == [0, 1]
    reads = []
    real_read = pathlib.Path.read_text
    monkeypatch.setattr(pathlib.Path, "read_text", lambda self, *a, **k: reads.append(self) or real_read(self, *a, **k))
    assert list(run.finished()) == [0, 1] and reads == []  # polled again: no record re-read
    (run.path / "batches" / "00001.json").unlink()  # the folder changed
    assert list(run.finished()) == [0] and len(reads) == 1


def test_the_stores_caches_forget_the_least_recently_used_beyond_their_bound():
    from prism_core.stamps import Bounded

    cache = Bounded(2)
    cache["a"], cache["b"] = 1, 2
    assert cache.get("a") == 1  # a is now the most recently used
    cache["c"] = 3
    assert list(cache) == ["a", "c"] and cache.get("b") is None


def test_a_poller_reads_only_the_events_appended_since_its_last_read(tmp_path):
    run = Run(tmp_path)
    run.append_events([{"step": 1}, {"step": 2}])
    offset, first = run.read_events()
    with open(tmp_path / "events.jsonl", "a") as f:
        f.write('{"step": 3}\n{"step": 4')  # the writer is in the middle of its second line
    offset, more = run.read_events(offset)
    assert [e["step"] for e in first] == [1, 2] and [e["step"] for e in more] == [3]
    with open(tmp_path / "events.jsonl", "a") as f:
        f.write("}\n")
    assert [e["step"] for e in run.read_events(offset)[1]] == [4]
