"""The prepared device check's parts; `scripts/gpu_check.py` is its entry point and says what it does."""
