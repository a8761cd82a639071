"""The table `teachers train` ends with: each teacher's validation and test top-1 and time, the weak ones flagged.

A teacher far below the best of its zoo gives synthesis a wrong target (its logits) or wrong statistics (its BN), so
it is named with what to try, instead of being found later through a benchmark row at chance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import ClassVar

from ..events import TeacherSaved

FAR_BELOW = 10.0  # points of validation top-1 under the zoo's best that flag a teacher
REMEDY = "train longer (--min-updates), lower --lr, or leave it out of the zoo"


def far_below(scores: dict[str, float]) -> dict[str, float]:
    """The teachers more than FAR_BELOW points under the best of `scores`, with how far."""
    best = max(scores.values(), default=0.0)
    return {name: best - score for name, score in scores.items() if best - score > FAR_BELOW}


@dataclass(frozen=True)
class TeacherReportRow:
    teacher: str
    val_top1: float | None
    test_top1: float
    seconds: float
    verdict: str

    COLUMNS: ClassVar[tuple[str, ...]] = ("teacher", "val_top1", "test_top1", "seconds", "verdict")

    def to_json(self) -> dict:
        return asdict(self)


def teacher_report(saved: Sequence[TeacherSaved]) -> list[TeacherReportRow]:
    """One row per teacher trained; the score compared is validation top-1 (test top-1 where there is none)."""
    weak = far_below({e.teacher: e.val_top1 if e.val_top1 is not None else e.test_top1 for e in saved})
    rows = []
    for e in saved:
        verdict = f"{weak[e.teacher]:.0f} points below the best: {REMEDY}" if e.teacher in weak else "ok"
        val = round(e.val_top1, 2) if e.val_top1 is not None else None
        rows.append(TeacherReportRow(e.teacher, val, round(e.test_top1, 2), round(e.seconds, 1), verdict))
    return rows
