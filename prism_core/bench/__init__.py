"""`python -m prism_core bench`: the engine beside a reference-style loop, in one process on one device.

The reference-style loop has the public recover loops' structure (gpu-anchors.md): one model instance per
teacher role (the logit teacher and every BN teacher, even when they share an architecture), fp32 eager,
BN hooks computing the mean and then the variance of a reshaped copy, one batch per IPC index, a per-channel
clip loop and a host sync (`loss.item()`) every step. Both loops optimise the same pixels under the same
loss (methods.md section 0; `tests/bench/test_bench.py` checks the first step's loss agrees); only the execution
differs.
"""

from .cases import Case, cases, variant_config
from .measure import CaseResult, Failed, Figures, run_case
from .reference import reference_loop, reference_models
from .table import ANCHOR_OF, device_label, markdown
from .timing import flops_per_image, matmul_tflops, run_steps

__all__ = [
    "ANCHOR_OF",
    "Case",
    "CaseResult",
    "Failed",
    "Figures",
    "cases",
    "device_label",
    "flops_per_image",
    "markdown",
    "matmul_tflops",
    "reference_loop",
    "reference_models",
    "run_case",
    "run_steps",
    "variant_config",
]
