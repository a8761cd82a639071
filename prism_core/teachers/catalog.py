"""The registry joined with the zoo manifest: one row per teacher, for the CLI table and the app."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar

from .manifest import ZOO_DIR, read_manifest
from .registry import TeacherError, bn_layer_count, get_spec, list_teachers


@dataclass(frozen=True)
class TeacherRow:
    """One teacher as `teachers list` and the app show it; the zoo's figures are None outside the zoo."""

    name: str
    family: str
    source: str
    constructor: str
    in_zoo: bool
    bn_layers: int
    params_M: float | None = None
    test_top1: float | None = None
    size_MB: float | None = None

    # what `teachers list` and the Teachers page show, in this order
    COLUMNS: ClassVar[tuple[str, ...]] = (
        "name",
        "family",
        "source",
        "params_M",
        "bn_layers",
        "test_top1",
        "size_MB",
        "roles",
    )

    @property
    def roles(self) -> str:
        """A teacher without BN layers has no statistics to align, so it can only supervise the logits."""
        return "primary, BN" if self.bn_layers else "primary only (no BN)"

    def to_json(self) -> dict:
        return {**asdict(self), "roles": self.roles}


def teacher_rows(zoo_dir: Path | None = ZOO_DIR) -> list[TeacherRow]:
    """Every registered teacher, those of the zoo in `zoo_dir` (none with None) first, with their zoo figures."""
    try:
        zoo = read_manifest(zoo_dir).teachers if zoo_dir is not None else {}
    except TeacherError:
        zoo = {}
    rows = []
    for name in sorted(list_teachers(), key=lambda n: (n not in zoo, n)):
        spec, entry = get_spec(name), zoo.get(name)
        common = dict(name=name, family=spec.family, source=spec.source, constructor=spec.constructor)
        if entry is None:
            rows.append(TeacherRow(**common, in_zoo=False, bn_layers=bn_layer_count(name)))
        else:
            rows.append(
                TeacherRow(
                    **common,
                    in_zoo=True,
                    bn_layers=entry.bn_layers,
                    params_M=round(entry.params / 1e6, 2),
                    test_top1=entry.test_top1,
                    size_MB=round(entry.bytes / 1e6, 1),
                )
            )
    return rows
