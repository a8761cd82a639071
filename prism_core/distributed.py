"""torchrun support: each rank takes every WORLD_SIZE-th batch of the plan; no per-step communication."""

from __future__ import annotations

import os

import torch


def shard_from_env() -> tuple[int, int]:
    """(rank, world size) from torchrun's environment; (0, 1) for a plain process. Global RANK, not LOCAL_RANK."""
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    if not 0 <= rank < world:
        raise ValueError(f"RANK={rank} is outside WORLD_SIZE={world}")
    return rank, world


def local_device(name: str) -> torch.device:
    """A bare "cuda" means this process's GPU: cuda:LOCAL_RANK under torchrun (the stored config keeps "cuda",
    so every rank's configuration is the same)."""
    if name == "cuda" and "LOCAL_RANK" in os.environ:
        return torch.device("cuda", int(os.environ["LOCAL_RANK"]))
    return torch.device(name)
