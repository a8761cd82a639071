"""A small classroom on one server: three Chromium sessions press the Tour's Try-it and Launch within a second of
each other (benchmarks/classroom.py); every one launches under its own run names and every run finishes. No timing
is asserted: the benchmark prints the waits."""

import asyncio
from pathlib import Path

import pytest

from benchmarks.classroom import room
from tests.conftest import ROOT
from tests.serving import CHROMIUM

pytestmark = pytest.mark.browser


def test_three_students_launch_the_quick_demo_at_once_and_every_run_finishes():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make test installs it)")
    result = asyncio.run(room(3, timeout=600, flags=[], app_root=ROOT))
    assert [(s.refused, s.stuck) for s in result.sessions] == [("", "")] * 3
    names = [name for s in result.sessions for name in s.runs]
    assert len(names) == 6 and len(set(names)) == 6  # a Quick demo is a run and its SRe2L baseline
    assert all(s.finished for s in result.sessions)
    assert result.image_iterations > 0 and result.server_mb > 0
