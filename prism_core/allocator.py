"""Keep freed memory in the process, so that a training step's tensors do not page-fault back in.

Dask's nanny starts every worker with MALLOC_TRIM_THRESHOLD_=65536 (its `distributed.nanny.pre-spawn-environ`), and
setting that fixes glibc's thresholds: every tensor over 128 KB is then mapped and unmapped on each allocation, and
each step faults its activations in again. Measured on one ResNet-18 student step at IPC 50 (2 cores): about 85,000
page faults and about 45% more CPU time than the same step in a plain process (docs/performance.md). Any worker, however
it was started, gets glibc's own ceilings back by calling `keep_freed_memory` before it computes.
"""

from __future__ import annotations

import ctypes
import platform

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD = 32 * 2**20  # glibc's largest: blocks up to this come from the heap, and are reused
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD  # where glibc's dynamic threshold settles after such a block is freed


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds for this process; False where the C library is not glibc."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    mallopt = ctypes.CDLL(None).mallopt
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
