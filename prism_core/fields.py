"""Config fields that carry their command-line help: a config dataclass is the one home of its defaults, and the
CLI makes a flag of each field declared with `opt` (cli.add_config_flags), as nanoGPT's configurator does."""
from __future__ import annotations

from dataclasses import field
from typing import Any


def opt(default: Any, help: str, choices: tuple[str, ...] | None = None) -> Any:
    """A config field with the help text (and choices) that its CLI flag shows."""
    return field(default=default, metadata={"help": help, "choices": choices})
