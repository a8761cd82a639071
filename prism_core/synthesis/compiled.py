"""The compiled path: `torch.compile` of one teacher forward with its statistics (hooks.forward_with_stats).

Dynamo traces the statistics hooks into the graph, so a compiled teacher step computes its BN (and G-VBSM
conv/patch) statistics inside the graph and returns their loss. Graphs are cached by Dynamo per teacher and
input shape (and per statistics on/off and group count), so they compile on the first batch of a process
and are reused by later batches and later runs on the same teachers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import torch

from .hooks import forward_with_stats

# graphs per process: each teacher x {group counts of a packed batch} x {statistics on, off}
RECOMPILE_LIMIT = 64


@cache
def teacher_forward(mode: str = "off") -> Callable:
    """`forward_with_stats`, compiled with torch.compile's `mode` unless mode is "off"."""
    if mode == "off":
        return forward_with_stats
    config = torch._dynamo.config
    name = "recompile_limit" if hasattr(config, "recompile_limit") else "cache_size_limit"
    setattr(config, name, max(getattr(config, name), RECOMPILE_LIMIT))
    return torch.compile(forward_with_stats, mode=None if mode == "default" else mode, dynamic=False)
