"""`workspaces check`: everything a workspace will be asked for, tried before a user waits on it.

The dataset (classes, images per split, size), every teacher (it loads, all its tensors are finite, and its top-1
on a sample of its held-out images), the extractor and selector (present, or the zoo model chosen in their place),
then which methods and inits, and which benchmark rows, can run here and why the others cannot. The CLI prints
this report and the app's sidebar shows it; both call `examine`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .benchmark import ALL_ROWS, Benchmark
from .benchmark.measure import extractor_name
from .benchmark.preflight import models_needed
from .benchmark.protocol import BenchmarkError
from .data import DataError, get_dataset
from .data.summary import DatasetSummary, summarize
from .synthesis import SynthConfig, SynthesisError, get_method
from .synthesis.config import ConfigError
from .synthesis.methods import METHODS
from .synthesis.preparation import check, models_loaded
from .synthesis.recipes import fit_to_zoo
from .teachers import TeacherError, create_teacher, read_manifest
from .teachers.report import REMEDY, far_below
from .teachers.weights import without_weights
from .training import hold_out, top1
from .workspaces import Workspace

SAMPLE = 200  # held-out images each teacher is scored on
CAN_RUN = "can run"


@dataclass(frozen=True)
class Finding:
    """One thing checked: what (`subject`), whether it can be used, and the figure or the reason. `applies` False:
    the workspace's kind rules it out (real-image init on a dataset without images), which is no failure."""

    subject: str
    ok: bool
    detail: str
    applies: bool = True

    @property
    def mark(self) -> str:
        return "ok" if self.ok else "FAIL" if self.applies else "n/a"


@dataclass(frozen=True)
class WorkspaceReport:
    workspace: str
    dataset: DatasetSummary | None
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return self.dataset is not None and all(f.ok or not f.applies for f in self.findings)

    def failures_by_reason(self) -> dict[str, list[str]]:
        """What cannot run, grouped by why: one broken teacher takes down many methods and rows with one reason."""
        out: dict[str, list[str]] = {}
        for f in self.findings:
            if not f.ok and f.applies:
                out.setdefault(f.detail, []).append(f.subject)
        return out

    def lines(self) -> list[str]:
        """The report as text: what can run grouped in one line per kind (methods, rows), the rest one per line."""
        out = [f"workspace {self.workspace}: " + (self.dataset.line() if self.dataset else "no usable dataset")]
        runnable: dict[str, list[str]] = {}
        for f in self.findings:
            kind, _, what = f.subject.partition(" ")
            if f.ok and f.detail == CAN_RUN:
                runnable.setdefault(kind, []).append(what)
            else:
                out.append(f"{f.mark:<4}  {f.subject}: {f.detail}")
        return out + [f"ok    {kind}s that can run: {', '.join(names)}" for kind, names in runnable.items()]


def _teacher_findings(ws: Workspace, dataset) -> tuple[list[Finding], set[str]]:
    """Each teacher loaded and scored on SAMPLE held-out images (its validation part where its zoo entry has one,
    else the test split), and the teachers that load (a weak one still loads: it fails its finding, not the runs)."""
    info = dataset.info
    if ws.zoo_dir is None:  # pretrained: what Launch offers, ImageNet's classes (nothing to score on this dataset)
        missing = set(without_weights(tuple(ws.teachers()), tuple(ws.checkpoints)))
        offered = [n for n in ws.teachers() if n not in missing]
        found = [Finding(f"teacher {n}", True, "weights on this machine") for n in offered]
        return found + [Finding(f"{len(missing)} more teachers", False, "no weights on this machine", False)], set(
            offered
        )
    train, entries = dataset.split("train"), read_manifest(ws.zoo_dir).teachers
    scores, findings = {}, {}
    for name in ws.teachers():
        try:
            model = create_teacher(name, info, weights=ws.checkpoints.get(name, ws.weights)).model
        except (TeacherError, ValueError) as err:
            findings[name] = Finding(f"teacher {name}", False, str(err))
            continue
        cfg = entries[name].train_config
        if cfg.val_fraction > 0:
            split, idx, where = train, hold_out(train.labels, cfg.val_fraction, cfg.seed)[1], "validation"
        else:
            split = dataset.split("test")
            idx, where = np.arange(len(split)), "test"
        idx = idx[np.linspace(0, len(idx) - 1, min(SAMPLE, len(idx))).astype(int)]
        scores[name] = top1(model, split, info, indices=idx)
        findings[name] = Finding(f"teacher {name}", True, f"{scores[name]:.1f} % top-1 on {len(idx)} {where} images")
    for name, gap in far_below(scores).items():
        detail = f"{scores[name]:.1f} % top-1, {gap:.0f} points below the best: {REMEDY}"
        findings[name] = Finding(f"teacher {name}", False, detail)
    return list(findings.values()), set(scores)


def _role_findings(ws: Workspace, usable: set[str]) -> list[Finding]:
    out = []
    try:
        name = extractor_name(Benchmark(ws, rows=("random real",), ipcs=(1,), seeds=1))
        chosen = "declared" if ws.extractor else "chosen: the first of the zoo's held-out models"
        out.append(Finding("extractor", name in usable, f"{name} ({chosen})"))
    except BenchmarkError as err:
        out.append(Finding("extractor", False, str(err)))
    cfg, notes = fit_to_zoo(SynthConfig(**ws.run_fields()), get_method("herding"), ws.teachers())
    present = cfg.selector in usable
    detail = notes[-1].removeprefix("selector: ") if notes else cfg.selector
    out.append(Finding("selector", present, detail + ("" if present else " cannot be used here: name another")))
    return out + [_recipes_finding(ws)]


def _recipes_finding(ws: Workspace) -> Finding:
    """Which optimiser settings runs here take: the workspace's calibrated ones, or the built-in small-image ones."""
    try:
        calibrated = ws.calibrated
    except ValueError as err:
        return Finding("recipes", False, str(err))
    if calibrated is None:
        hint = f"; `python -m prism_core calibrate --workspace {ws.name}` fits them to this zoo" if ws.zoo_dir else ""
        return Finding("recipes", True, "the built-in ones, tuned on Fashion-MNIST" + hint)
    said = "; ".join(f"{kind}: {r.said()}" for kind, r in calibrated.recipes.items())
    return Finding("recipes", True, f"calibrated on {calibrated.date} ({said})")


def _method_findings(ws: Workspace, usable: set[str]) -> list[Finding]:
    """Each method from noise and from real images (a selection once), with the workspace's defaults fitted to its
    usable teachers: its config checked, and every model it would load among those teachers."""
    out = []
    for name, method in METHODS.items():
        for init in ("noise", "real") if method.optimises else ("",):
            cfg = SynthConfig(method=name, ipc=1, **ws.run_fields(), **({"init": "first"} if init == "real" else {}))
            subject = f"method {name}" + (f" from {init}" if init else "")
            try:
                cfg, _, method = check(fit_to_zoo(cfg, method, ws.teachers())[0])
            except (ConfigError, DataError, TeacherError, SynthesisError, ValueError) as err:
                out.append(Finding(subject, False, str(err), applies=ws.has_images or init == "noise"))
                continue
            missing = sorted(set(models_loaded(cfg, method)) - usable)
            detail = f"needs {', '.join(missing)}, which cannot be used here" if missing else CAN_RUN
            out.append(Finding(subject, not missing, detail))
    return out


def _row_findings(ws: Workspace, teachers_ok: set[str]) -> list[Finding]:
    bench = Benchmark(ws, rows=ALL_ROWS, ipcs=(1,), seeds=1)
    needed, refused = models_needed(bench)
    out = []
    for row in ALL_ROWS:
        missing = sorted(n for n, rows in needed.items() if row in rows and n not in teachers_ok)
        if row in refused:
            out.append(Finding(f"row {row}", False, refused[row], applies=ws.has_images))
        elif missing:
            out.append(Finding(f"row {row}", False, f"needs {', '.join(missing)}, which cannot be used here"))
        else:
            out.append(Finding(f"row {row}", True, CAN_RUN))
    return out


def examine(ws: Workspace) -> WorkspaceReport:
    try:
        dataset = get_dataset(ws.dataset)
        summary = summarize(ws.dataset, dataset)
    except DataError as err:
        return WorkspaceReport(ws.name, None, (Finding("dataset", False, str(err)),))
    teachers, usable = _teacher_findings(ws, dataset)
    findings = teachers + _role_findings(ws, usable) + _method_findings(ws, usable) + _row_findings(ws, usable)
    return WorkspaceReport(ws.name, summary, tuple(findings))
