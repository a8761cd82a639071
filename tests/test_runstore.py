import json

import pytest
import torch

from prism_core.runstore import Run, RunError, check_run_name, list_runs


@pytest.mark.faults
@pytest.mark.parametrize("bad", ["../x", "a/b", "..", "", "x" * 200, "/etc", ".hidden"])
def test_run_names_cannot_escape_the_store(bad):
    with pytest.raises(RunError, match="invalid run name"):
        check_run_name(bad)


def test_write_batch_then_finished_and_export(tmp_path):
    run = Run(tmp_path / "r")
    run.create({"config": {}, "class_names": ["a", "b"]})
    x = torch.rand(2, 1, 4, 4)
    run.write_batch(0, x, x, [0, 1], [0, 0], {"classes": [0, 1], "ipc_indices": [0, 0]})
    assert list(run.finished()) == [0]
    assert run.image_path(1, 0).name == "000.png" and run.image_path(1, 0).parent.name == "001_b"
    pixels, classes, ks = run.pixels()
    assert torch.equal(pixels, x) and list(classes) == [0, 1]
    import io
    import zipfile
    names = zipfile.ZipFile(io.BytesIO(run.export_zip())).namelist()
    assert sorted(names) == ["r/000_a/000.png", "r/001_b/000.png"]
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.faults
def test_damaged_batch_record_is_not_finished_and_damaged_status_is_reported(tmp_path):
    run = Run(tmp_path / "r")
    run.create({"config": {}, "class_names": ["a"]})
    (run.path / "batches" / "00000.json").write_text("{trunc")
    assert run.finished() == {}
    (run.path / "status.json").write_text("{nope")
    assert run.status()["state"] == "damaged"


@pytest.mark.faults
def test_dead_writer_reads_as_interrupted(tmp_path):
    run = Run(tmp_path / "r")
    run.create({"config": {}, "class_names": ["a"]})
    run.set_status("running")
    status = json.loads((run.path / "status.json").read_text())
    status["pid"] = 2**22 + 12345  # no such process
    (run.path / "status.json").write_text(json.dumps(status))
    assert run.status()["state"] == "interrupted"
    assert [r.name for r in list_runs(tmp_path)] == ["r"]



def _two_image_run(path):
    run = Run(path)
    run.create({"config": {}, "class_names": ["a", "b"]})
    x = torch.rand(2, 1, 4, 4)
    run.write_batch(0, x, x, [0, 1], [0, 0], {"classes": [0, 1], "ipc_indices": [0, 0]})
    run.set_status("finished", batches_total=1)
    return run


def test_status_reads_each_png_once_and_still_sees_a_damaged_one(tmp_path, monkeypatch):
    """The app polls status(); a healthy image is verified once (or not at all: this process wrote it), and an
    image rewritten or truncated afterwards is read again and reported."""
    import PIL.Image

    from prism_core import runstore
    run = _two_image_run(tmp_path / "r")
    opened = []
    real_open = PIL.Image.open
    monkeypatch.setattr(runstore.Image, "open", lambda *a, **k: opened.append(a[0]) or real_open(*a, **k))
    assert run.status()["state"] == "finished" and opened == []  # written by this process: known good
    runstore._GOOD_PNGS.clear()  # as another process (the app) finds them
    assert run.status()["state"] == "finished" and len(opened) == 2
    assert run.status()["state"] == "finished" and len(opened) == 2  # cached by size and mtime
    victim = run.image_path(1, 0)
    victim.write_bytes(victim.read_bytes()[:40])
    status = run.status()
    assert status["state"] == "damaged" and "001_b/000.png is unreadable" in status["error"]


def test_export_zip_streams_into_a_file(tmp_path):
    import io
    import zipfile
    run = _two_image_run(tmp_path / "r")
    with open(tmp_path / "out.zip", "wb") as f:
        assert run.export_zip(f) is None
    assert zipfile.ZipFile(tmp_path / "out.zip").namelist() == zipfile.ZipFile(io.BytesIO(run.export_zip())).namelist()
