"""What a run stores about each finished batch, as a typed record that reads files written by any version.

batches/NNNNN.json is written last, atomically: batch NNNNN is finished iff its record exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BnSet = tuple[str, ...]  # the teachers whose statistics served a group


@dataclass(frozen=True)
class BatchRecord:
    index: int
    classes: tuple[int, ...]  # per image
    ipc_indices: tuple[int, ...]  # per image
    seeds: tuple[int, ...]  # per group: its init draw and augmentation
    iterations: int
    bn_sets_drawn: tuple[BnSet, ...] = ()  # per group: the set it was planned with (G-VBSM: the backbones)
    bn_sets_used: tuple[dict[BnSet, int], ...] = ()  # per group: each set that served it, with its step count
    final_losses: dict[str, float] = field(default_factory=dict)
    sources: tuple[tuple[int, ...], ...] = ()  # per image, for a selection's picks: the training images it shows
    pid: int | None = None  # the writer (torchrun: which rank)

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """(class, IPC index) of each image, in batch order."""
        return list(zip(self.classes, self.ipc_indices))

    def group_of(self, position: int) -> int:
        return position // (len(self.classes) // len(self.seeds))

    def to_json(self) -> dict[str, Any]:
        out = {
            "index": self.index,
            "pid": self.pid,
            "classes": list(self.classes),
            "ipc_indices": list(self.ipc_indices),
            "seeds": list(self.seeds),
            "iterations": self.iterations,
            "bn_sets_drawn": [list(s) for s in self.bn_sets_drawn],
            "bn_sets_used": [[[list(s), n] for s, n in used.items()] for used in self.bn_sets_used],
            "final_losses": self.final_losses,
        }
        if self.sources:
            out["sources"] = [list(s) for s in self.sources]
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> BatchRecord:
        """Also reads the earlier layout: BN sets used as {"a+b": steps} per group."""

        def used(group: Any) -> dict[BnSet, int]:
            if isinstance(group, dict):
                return {tuple(key.split("+")): int(n) for key, n in group.items()}
            return {tuple(names): int(n) for names, n in group}

        return cls(
            index=int(d["index"]),
            classes=tuple(d["classes"]),
            ipc_indices=tuple(d["ipc_indices"]),
            seeds=tuple(d.get("seeds", ())),
            iterations=int(d.get("iterations", 0)),
            bn_sets_drawn=tuple(tuple(s) for s in d.get("bn_sets_drawn", ())),
            bn_sets_used=tuple(used(g) for g in d.get("bn_sets_used", ())),
            final_losses=dict(d.get("final_losses", {})),
            sources=tuple(tuple(s) for s in d.get("sources") or ()),
            pid=d.get("pid"),
        )
