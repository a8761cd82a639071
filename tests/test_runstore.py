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
