"""Relabel and student evaluation: online soft labels on exactly the student's crops, students from scratch."""

from .relabel import MixConfig, SoftLabeler, cutmix, random_resized_crops, student_view
from .run_eval import check_complete, evaluate_images, evaluate_run, stored_evaluations
from .train_loop import EvalConfig, lr_factor, train_student

__all__ = [
    "MixConfig",
    "SoftLabeler",
    "cutmix",
    "random_resized_crops",
    "student_view",
    "EvalConfig",
    "lr_factor",
    "train_student",
    "check_complete",
    "evaluate_images",
    "evaluate_run",
    "stored_evaluations",
]
