"""Cells made by hand: a grid whose figures a test chooses, so a statistic or a sentence can be checked exactly."""

from prism_core import benchmark as bm

EVALS = list(bm.EVALS)


def cell(row, seed, top1, vendi=2.0, coverage=0.3, ipc=10):
    metrics = {"vendi": vendi, "coverage": coverage, "cosine": 0.8, "density": 1.0}
    return bm.Cell(row, ipc, seed, top1=dict(zip(EVALS, top1)), metrics=metrics, seconds=1.0)


def cells_of(*cs):
    return {c.key: c for c in cs}
