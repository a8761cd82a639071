"""File stamps (size, mtime) that tell a cached read from a stale one, and a cache of bounded size to keep them in.

A stamp changed within the last RACY_S seconds is not trusted: an mtime has a coarse clock tick, so two writes in
one tick leave one mtime. Such a file is read again, as git does for racily clean files.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from pathlib import Path
from typing import Generic, TypeVar

RACY_S = 2.0
Stamp = tuple[int, int]
K, V = TypeVar("K"), TypeVar("V")


def stamp(path: Path) -> Stamp:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def stamp_or_none(path: Path) -> Stamp | None:
    try:
        return stamp(path)
    except FileNotFoundError:
        return None


def settled(stamps: tuple[Stamp | None, ...]) -> bool:
    """Every stamp older than RACY_S: a later change will show as another mtime."""
    now = time.time_ns()
    return all(s is not None and now - s[1] > RACY_S * 1e9 for s in stamps)


class Bounded(OrderedDict, Generic[K, V]):
    """A dict that forgets its least recently used entries beyond `size`: caches a long-lived app process keeps."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def get(self, key, default=None):
        if key in self:
            self.move_to_end(key)
        return super().get(key, default)

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
