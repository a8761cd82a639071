"""Synthesis: SRe2L, PRISM and G-VBSM as configurations of one engine."""

from .config import MAX_IPC, ConfigError, SynthConfig, validate
from .engine import synthesize
from .loop import SynthesisError
from .methods import METHODS, get_method, register
from .plan import make_plan
from .preparation import check, prepare
from .recipes import resolve
from .types import BatchSpec, Method, Prepared

__all__ = [
    "SynthConfig",
    "ConfigError",
    "MAX_IPC",
    "validate",
    "synthesize",
    "prepare",
    "check",
    "Prepared",
    "SynthesisError",
    "BatchSpec",
    "make_plan",
    "METHODS",
    "Method",
    "get_method",
    "register",
    "resolve",
]
