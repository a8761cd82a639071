"""Config fields that carry their command-line help: a config dataclass is the one home of its defaults, and the
CLI makes a flag of each field declared with `opt` (cli.add_config_flags), as nanoGPT's configurator does, and the
app a widget (app/forms.py)."""

from __future__ import annotations

from dataclasses import field
from typing import Any


def opt(
    default: Any,
    help: str,
    choices: tuple[str, ...] | None = None,
    label: str | None = None,
    bounds: tuple[float | None, float | None] = (None, None),
) -> Any:
    """A config field with the help text (and choices) that its CLI flag shows; `label` and `bounds` for the forms
    made from it (the app's Launch form: app/forms.py)."""
    return field(default=default, metadata={"help": help, "choices": choices, "label": label, "bounds": bounds})
