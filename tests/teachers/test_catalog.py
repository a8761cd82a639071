"""The teacher catalog: zoo teachers first with their figures, roles from BN layers."""

from prism_core.teachers import read_manifest
from prism_core.teachers.catalog import teacher_rows


def test_zoo_teachers_come_first_with_their_figures():
    zoo = read_manifest().teachers
    rows = teacher_rows()
    first = rows[: len(zoo)]
    assert {r.name for r in first} == set(zoo) and all(r.in_zoo for r in first)
    for r in first:
        entry = zoo[r.name]
        assert r.test_top1 == entry.test_top1 and r.bn_layers == entry.bn_layers
        assert abs(r.params_M * 1e6 - entry.params) <= 5e3
    outside = rows[len(zoo) :]
    assert outside and all(not r.in_zoo and r.test_top1 is None and r.size_MB is None for r in outside)


def test_roles_follow_bn_layers():
    rows = {r.name: r for r in teacher_rows(None)}
    assert not any(r.in_zoo for r in rows.values())
    assert rows["resnet18"].roles == "primary, BN" and rows["resnet18"].bn_layers > 0
    assert rows["convnext_atto"].roles == "primary only (no BN)" and rows["convnext_atto"].bn_layers == 0
    assert rows["convnext_atto"].to_json()["roles"] == "primary only (no BN)"
