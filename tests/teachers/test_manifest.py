"""The zoo manifest as typed records: the shipped file reads and writes back unchanged, and a damaged one is named."""

import json

import pytest

from prism_core.teachers import ZOO_DIR, TeacherError, read_manifest
from prism_core.teachers.manifest import MANIFEST, write_manifest


def test_the_shipped_manifest_writes_back_byte_for_byte(tmp_path):
    write_manifest(tmp_path, read_manifest(ZOO_DIR))
    assert (tmp_path / MANIFEST).read_text() == (ZOO_DIR / MANIFEST).read_text()


@pytest.mark.faults
@pytest.mark.parametrize(
    "damage, named",
    [
        (lambda d: d["teachers"]["resnet18"].pop("sha256"), "sha256"),
        (lambda d: d["teachers"]["resnet18"]["input"].pop("mean"), "mean"),
        (lambda d: d.pop("teachers"), "teachers"),
    ],
)
def test_a_manifest_missing_a_field_is_refused_naming_it(tmp_path, damage, named):
    d = json.loads((ZOO_DIR / MANIFEST).read_text())
    damage(d)
    (tmp_path / MANIFEST).write_text(json.dumps(d))
    with pytest.raises(TeacherError, match=f"not a valid zoo manifest.*{named}.*restore it from git or retrain"):
        read_manifest(tmp_path)
