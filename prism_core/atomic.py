"""Atomic file writes: a file holds either its old content or its complete new content, never half of one.

The temporary name, `.<name>.<pid>.tmp` beside the target, is the one the run store's resume sweeps
(`run_health.sweep_temporaries`) when its writer died.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Write to the yielded temporary path; when the block ends it is flushed to disk and moved over `path`,
    and on any error it is removed (the target is untouched)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: bytes) -> None:
    with replacing(path) as tmp:
        tmp.write_bytes(data)


def atomic_json(path: Path, obj: Any) -> None:
    atomic_write(path, (json.dumps(obj, indent=1) + "\n").encode())
