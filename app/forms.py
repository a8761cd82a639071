"""Widgets made from SynthConfig's fields: label, help (the CLI's words), bounds and the kind of widget come from the
field, so a new field is a new form row without a hand-written widget, and a preset fills the form by field name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any

import streamlit as st

from prism_core.synthesis import SynthConfig

FIELDS = {f.name: f for f in fields(SynthConfig)}
# fields whose default is the method's recipe: one widget per method, so switching methods shows its own recipe
RECIPE_FIELDS = ("iterations", "lr", "r_bn", "init", "batch_formation")


def field_key(name: str, method: str) -> str:
    return f"w_{name}_{method}" if name in RECIPE_FIELDS else f"w_{name}"


def field_input(
    name: str,
    method: str,
    value: Any,
    *,
    options: Sequence[str] | None = None,
    select: bool = False,
    disabled: bool = False,
    format_func: Callable[[Any], str] = str,
    container: Any = st,
    **extra: Any,
) -> Any:
    """The widget of config field `name` showing `value` (a number input, a checkbox, or a choice among `options`,
    the field's own choices unless given: a drop-down with `select`, else radio buttons); `extra` goes to the widget
    (a radio's captions)."""
    meta = FIELDS[name].metadata
    common = dict(
        label=meta["label"] or name, key=field_key(name, method), help=meta["help"], disabled=disabled, **extra
    )
    choices = list(options if options is not None else meta["choices"] or ())
    kind = str(FIELDS[name].type)
    if choices:
        index = choices.index(value) if value in choices else 0
        if select:
            return container.selectbox(options=choices, index=index, format_func=format_func, **common)
        return container.radio(options=choices, index=index, horizontal=True, format_func=format_func, **common)
    if kind.startswith("bool"):
        return container.checkbox(value=bool(value), **common)
    low, high = meta["bounds"]
    if "float" in kind:
        return container.number_input(min_value=low, max_value=high, value=float(value), format="%.4f", **common)
    return int(container.number_input(min_value=low, max_value=high, value=int(value), **common))


def fill(settings: dict[str, Any], method: str) -> None:
    """Set the form's widgets to config `settings` (field name -> value), as a preset or the Tour does."""
    st.session_state.update({field_key(name, method): value for name, value in settings.items()})
