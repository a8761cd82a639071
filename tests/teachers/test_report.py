"""The table `teachers train` ends with: a teacher far below the zoo's best is flagged with what to try."""

from prism_core.events import TeacherSaved
from prism_core.teachers.report import teacher_report


def test_a_teacher_far_below_the_best_is_flagged_and_the_others_are_ok():
    rows = teacher_report(
        [TeacherSaved("resnet18", 97.0, 60.0, 99.0), TeacherSaved("lcnet_050", 70.0, 20.0, 75.0)]
        + [TeacherSaved("ghostnet_050", 95.5, 30.0, 91.0)]
    )
    verdicts = {r.teacher: r.verdict for r in rows}
    assert verdicts["resnet18"] == "ok" and verdicts["ghostnet_050"] == "ok"  # 8 points below: within the margin
    assert verdicts["lcnet_050"].startswith("24 points below the best") and "--min-updates" in verdicts["lcnet_050"]
