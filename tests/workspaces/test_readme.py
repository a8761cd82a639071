"""The README's own-data block, run as a user would paste it: only its first line (where the data is, how big a
run) is set by the test, on a generated folder (data/shapes.py: 3 classes of 32 px textures)."""

import os
import re
import subprocess
import sys

import pytest

from prism_core.data.shapes import write_shapes
from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def own_data_block() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Your data on a GPU") :]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1).splitlines()


def test_the_readme_own_data_block_runs_verbatim_on_a_new_folder(tmp_path):
    lines = own_data_block()
    assert lines[0].startswith("DATA=") and "DEVICE=cuda on a GPU" in lines[0]
    data = write_shapes(tmp_path / "shapes")
    first = f"DATA={data} ZOO={tmp_path / 'zoo'} NAME=shapes DEVICE=cpu IPC=1 UPDATES=60 EPOCHS=5"
    script = "\n".join(["set -euo pipefail", first, *lines[1:]])
    env = dict(
        os.environ,
        HOME=str(tmp_path),
        PATH=f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}",
        PYTHONPATH=str(ROOT),
        HF_HUB_OFFLINE="1",
    )
    env.pop("PRISM_WORKSPACES", None)
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    assert "32 px (the images' own size" in out  # the size followed the images
    assert re.search(r"teacher\s+val_top1\s+test_top1", out)  # the table at the end of training
    assert "FAIL" not in out and "rows that can run" in out  # the workspace checks out
    assert (tmp_path / "runs" / "shapes" / "status.json").is_file()
    assert re.search(r"top-1", out[out.rindex("rows that can run") :])  # evaluate scored the student
