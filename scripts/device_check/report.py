"""Runs named steps under a wall-clock budget and keeps the report on disk current after each one, so a check cut
short still tells what it did."""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import torch

from prism_core import bench


class Check:
    def __init__(self, out: Path, budget_s: float, only: list[str] | None = None):
        self.out, self.deadline, self.t0, self.only = out, time.time() + budget_s, time.time(), only
        self.steps: list[dict] = []
        self.facts: dict = {}
        self.bench: list[bench.CaseResult] = []

    def left(self) -> float:
        return self.deadline - time.time()

    def elapsed(self) -> float:
        return time.time() - self.t0

    def step(self, name: str, fn: Callable[[], str], need_s: float = 0.0) -> None:
        """Run `fn` unless `--only` leaves it out or fewer than `need_s` seconds are left; its note (or its error)
        goes into the report."""
        if self.only and not any(word in name for word in self.only):
            return
        if self.left() < need_s:
            self.steps.append(
                {
                    "step": name,
                    "status": "skipped",
                    "note": f"budget: {self.left():.0f} s left, needs about {need_s:.0f} s",
                }
            )
        else:
            start = time.time()
            print(f"== {name}", flush=True)
            try:
                note = fn() or ""
                status = "ok"
            except Exception as err:
                traceback.print_exc()
                status, note = (
                    "FAILED",
                    f"{type(err).__name__}: {str(err).strip().splitlines()[-1][:300] if str(err).strip() else ''}",
                )
            self.steps.append({"step": name, "status": status, "seconds": round(time.time() - start, 1), "note": note})
            print(f"   {status} in {time.time() - start:.1f} s: {note}", flush=True)
        self.write()

    @property
    def failed(self) -> bool:
        return any(s["status"] == "FAILED" for s in self.steps)

    def write(self) -> None:
        """OUT/gpu_check.json, and OUT/gpu_check.md: tables ready for docs/performance.md."""
        (self.out / "gpu_check.json").write_text(
            json.dumps(
                {"facts": self.facts, "steps": self.steps, "bench": [r.to_json() for r in self.bench]},
                indent=1,
                default=str,
            )
        )
        lines = (
            ["| fact | value |", "|---|---|"]
            + [f"| {k} | {v} |" for k, v in self.facts.items()]
            + ["", "| step | status | seconds | what it found |", "|---|---|---|---|"]
        )
        lines += [f"| {s['step']} | {s['status']} | {s.get('seconds', '')} | {s['note']} |" for s in self.steps]
        if self.bench:
            device = torch.device(self.facts.get("device_type", "cpu"))
            lines += [
                "",
                bench.markdown(
                    self.bench,
                    device,
                    self.facts.get("matmul_tflops", 1.0),
                    self.facts.get("bench_steps", 0),
                    self.facts.get("anchor"),
                ),
            ]
        (self.out / "gpu_check.md").write_text("\n".join(lines) + "\n")
