"""What a benchmark checks before it submits a task: every row's config, every model a task will load (present in
the zoo, loadable, all tensors finite) and the device. A problem found here costs a second and names its row; found
by a task, it cost the rows measured before it and left a cell marked failed."""

from __future__ import annotations

import torch

from ..data import DataError, get_dataset
from ..synthesis import SynthesisError
from ..synthesis.config import ConfigError
from ..synthesis.preparation import check, models_loaded
from ..teachers import TeacherError, create_teacher
from .measure import extractor_name
from .protocol import REAL_ROWS, Benchmark, BenchmarkError

SOFT_LABEL_TEACHER = "resnet18"  # the workspace's model whose logits are the soft labels (protocol.eval_config)


def models_needed(bench: Benchmark) -> tuple[dict[str, set[str]], dict[str, str]]:
    """The rows that load each model (teachers, the selector where a row's rule scores images), and why each row
    whose config is refused is refused."""
    needed: dict[str, set[str]] = {}
    refused: dict[str, str] = {}
    for row in bench.rows:
        if row in REAL_ROWS:
            continue
        for ipc in bench.ipcs:
            try:
                cfg, _, method = check(bench.synth_config(row, ipc, 0))
            except (ConfigError, DataError, TeacherError, SynthesisError, ValueError) as err:
                refused.setdefault(row, f"at IPC {ipc}: {err}")
                continue
            for name in models_loaded(cfg, method):
                needed.setdefault(name, set()).add(row)
    if "soft" in bench.labels:
        needed.setdefault(SOFT_LABEL_TEACHER, set()).add("soft labels")
    return needed, refused


def preflight(bench: Benchmark) -> None:
    """Raise BenchmarkError listing every problem (one line each) that would make a task fail; return when none."""
    needed, refused = models_needed(bench)
    problems = [f"row {row!r} {why}" for row, why in refused.items()]
    if bench.device.startswith("cuda") and not torch.cuda.is_available():
        problems.append("--device cuda: this machine has no CUDA GPU (torch.cuda.is_available() is False)")
    try:
        needed.setdefault(extractor_name(bench), set()).add("diversity and fidelity")
    except BenchmarkError as err:
        problems.append(str(err))
    try:
        info = get_dataset(bench.workspace.dataset).info
    except DataError as err:
        raise BenchmarkError(f"--workspace {bench.workspace.name}: {err}") from None
    weights = bench.workspace.weights
    for name, users in sorted(needed.items()):
        try:
            create_teacher(name, info, weights=bench.workspace.checkpoints.get(name, weights))
        except (TeacherError, ValueError) as err:
            problems.append(f"for {', '.join(sorted(users))}: {err}")
    if problems:
        raise BenchmarkError(
            f"nothing was submitted: {len(problems)} problem(s) on workspace {bench.workspace.name}:\n- "
            + "\n- ".join(problems)
        )
