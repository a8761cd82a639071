"""Reading what layers receive during a forward, with hooks that never outlive the block."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import torch
import torch.nn as nn


@contextmanager
def layer_inputs(layers: Sequence[nn.Module], fn: Callable[[int, nn.Module, torch.Tensor], None]) -> Iterator[None]:
    """While the block runs, every forward of `layers[i]` calls fn(i, layer, its input); hooks removed on any exit."""
    handles = [
        m.register_forward_hook(lambda mod, inputs, output, i=i: fn(i, mod, inputs[0])) for i, m in enumerate(layers)
    ]
    try:
        yield
    finally:
        for h in handles:
            h.remove()
