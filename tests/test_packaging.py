"""The declared Python floor (pyproject's requires-python) is the one the code needs."""

import ast
import os
import re
import sys
import tomllib

import pytest

from tests.conftest import ROOT


def floor() -> tuple[int, int]:
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    major, minor = re.fullmatch(r">=\s*(\d+)\.(\d+)", spec).groups()
    return int(major), int(minor)


def test_every_source_file_parses_with_the_lowest_declared_python():
    files = [p for d in ("prism_core", "app", "scripts", "benchmarks") for p in (ROOT / d).rglob("*.py")]
    for path in files:
        ast.parse(path.read_text(), filename=str(path), feature_version=floor())


@pytest.mark.skipif(not os.environ.get("CI"), reason="CI's machine pins the floor; a developer's Python may be newer")
def test_ci_runs_the_lowest_declared_python_so_every_import_is_checked_there():
    """Syntax is not all: a module new in a later Python (tomllib is 3.11) only fails where it is imported. The
    whole suite imports every module, so running it on the floor is the check."""
    assert sys.version_info[:2] == floor(), f"CI runs {sys.version_info[:2]}, but requires-python says {floor()}"
