"""`teachers`: the registry as a table, and a clear error for an unknown dataset."""

import json

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
