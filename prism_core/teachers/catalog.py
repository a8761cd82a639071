"""The registry joined with the zoo manifest: one row per teacher, for the CLI table and the app."""

from __future__ import annotations

from pathlib import Path

from .manifest import ZOO_DIR, read_manifest
from .registry import TeacherError, bn_layer_count, get_spec, list_teachers


def teacher_rows(zoo_dir: Path | None = ZOO_DIR) -> list[dict]:
    """Every registered teacher, those of the zoo in `zoo_dir` (none with None) first, with their zoo figures."""
    try:
        zoo = read_manifest(zoo_dir).teachers if zoo_dir is not None else {}
    except TeacherError:
        zoo = {}
    rows = []
    for name in sorted(list_teachers(), key=lambda n: (n not in zoo, n)):
        spec, entry = get_spec(name), zoo.get(name)
        bn = entry.bn_layers if entry else bn_layer_count(name)
        rows.append(
            {
                "name": name,
                "family": spec.family,
                "source": spec.source,
                "constructor": spec.constructor,
                "in_zoo": entry is not None,
                "params_M": round(entry.params / 1e6, 2) if entry else "",
                "bn_layers": bn,
                "test_top1": entry.test_top1 if entry else "",
                "size_MB": round(entry.bytes / 1e6, 1) if entry else "",
                "roles": "primary, BN" if bn else "primary only (no BN)",
            }
        )
    return rows
