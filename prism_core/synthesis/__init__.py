"""Synthesis: SRe2L, PRISM and G-VBSM as configurations of one engine."""
from .config import MAX_IPC, ConfigError, SynthConfig, validate
from .engine import Prepared, SynthesisError, prepare, synthesize
from .plan import BatchSpec, make_plan
from .methods import METHODS, Method, get_method, register
from .recipes import resolve

__all__ = ["SynthConfig", "ConfigError", "MAX_IPC", "validate", "synthesize", "prepare", "Prepared", "SynthesisError",
           "BatchSpec", "make_plan", "METHODS", "Method", "get_method", "register", "resolve"]
