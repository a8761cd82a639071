"""The allocator setting that Dask workers need: a step's freed tensors are reused, not faulted in again."""

import os
import platform
import subprocess
import sys

import pytest

FAULTS = """
import resource, torch
from prism_core.allocator import keep_freed_memory

def faults():  # minor page faults while 50 tensors of 4 MB are made, touched and freed
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(50):
        torch.ones(2**20).sum()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

faults()
dask_default = faults()
assert keep_freed_memory()
faults()
print(dask_default, faults())
"""


@pytest.mark.integration
@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_a_dask_worker_environment_stops_faulting_freed_tensors_back_in():
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}  # what Dask's nanny gives every worker
    out = subprocess.run([sys.executable, "-c", FAULTS], env=env, capture_output=True, text=True, check=True)
    dask_default, kept = map(int, out.stdout.split())
    assert dask_default > 50 * 1000  # every 4 MB tensor (1,024 pages) faulted in again
    assert kept < 1000  # the first one's pages are reused by the other 49
