"""PRISM Studio core: dataset distillation (SRe2L, PRISM, G-VBSM) as a library and CLI. Never imports Streamlit."""

__version__ = "0.1.0"
