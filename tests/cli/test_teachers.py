"""`teachers`: the registry as a table, a clear error for an unknown dataset, and quiet when its reader stops early."""

import json
import os
import subprocess
import sys

from prism_core.cli import main


def test_teachers_list_matches_the_manifest(capsys):
    from prism_core.teachers import read_manifest

    assert main(["teachers", "list", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    for name, entry in read_manifest().teachers.items():
        assert rows[name]["test_top1"] == entry.test_top1 and rows[name]["in_zoo"]
    assert rows["convnext_atto"]["roles"] == "primary only (no BN)"
    assert main(["teachers", "list"]) == 0
    assert "resnet18" in capsys.readouterr().out


def test_unknown_dataset_is_a_clear_error(capsys):
    assert main(["teachers", "train", "--dataset", "cifar-11", "--only", "resnet18"]) == 2
    assert "unknown dataset 'cifar-11'" in capsys.readouterr().err


def test_a_reader_that_closes_early_gets_no_error_message():
    """`teachers list | head -3` used to end with 'error: [Errno 32] Broken pipe' on stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "prism_core", "teachers", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    proc.stdout.close()  # closed before the child prints anything: its first write meets a broken pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert "Broken pipe" not in err and "Traceback" not in err, err
