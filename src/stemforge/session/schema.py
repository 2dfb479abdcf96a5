"""Checking one TOML table against a declared set of fields.

Each field says its type, default and allowed range; unknown keys are errors with a
did-you-mean suggestion. Messages follow one form::

    tracks[3] ("Lead Vox").pan=1.7 must be between -1 and 1 (session.toml)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stemforge.errors import SessionError
from stemforge.errors import did_you_mean as suggest


@dataclass(frozen=True)
class Field:
    """One key a table may hold.

    Attributes
    ----------
    kind : type
        ``str``, ``float``, ``int``, ``bool`` or ``list`` (``float`` accepts ints).
    default : Any
        Value when absent; ``REQUIRED`` when the key must be present.
    low, high : float, optional
        Inclusive numeric range.
    choices : tuple of str, optional
        Allowed string values.
    """

    kind: type
    default: Any = None
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None


REQUIRED = object()


def _fmt(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_table(table: Mapping[str, Any], fields: Mapping[str, Field], *, where: str, source: Path) -> dict[str, Any]:
    """Validate ``table`` against ``fields``; return plain values with defaults filled in.

    Parameters
    ----------
    table : mapping
        The parsed TOML table.
    fields : mapping of str to Field
    where : str
        The table's name in messages (``tracks[3] ("Lead Vox")``).
    source : Path
        The session file, named in messages.

    Raises
    ------
    SessionError
        On an unknown key, a missing required key, a wrong type or a value out of range.
    """
    name = source.name
    for key in table:
        if key not in fields:
            known = ", ".join(fields)
            raise SessionError(
                f"{where}: unknown key {key!r}{suggest(key, tuple(fields))} ({name})",
                tip=f"keys allowed here: {known}",
            )
    values: dict[str, Any] = {}
    for key, field in fields.items():
        if key not in table:
            if field.default is REQUIRED:
                raise SessionError(f"{where}: missing required key {key!r} ({name})")
            values[key] = field.default
            continue
        values[key] = _check_value(_plain(table[key]), field, label=f"{where}.{key}", name=name)
    return values


def _plain(value: Any) -> Any:
    """tomlkit items → plain Python values."""
    unwrap = getattr(value, "unwrap", None)
    return unwrap() if unwrap is not None else value


def _check_value(value: Any, field: Field, *, label: str, name: str) -> Any:
    kind = field.kind
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SessionError(f"{label}={_fmt(value)} must be a number ({name})")
        value = float(value)
        if not math.isfinite(value):
            raise SessionError(f"{label}={value} must be a finite number ({name})")
    elif kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SessionError(f"{label}={_fmt(value)} must be a whole number ({name})")
    elif kind is bool:
        if not isinstance(value, bool):
            raise SessionError(f"{label}={_fmt(value)} must be true or false ({name})")
    elif kind is str:
        if not isinstance(value, str):
            raise SessionError(f"{label}={_fmt(value)} must be a string ({name})")
        if field.choices is not None and value not in field.choices:
            allowed = ", ".join(field.choices)
            raise SessionError(
                f"{label}={_fmt(value)} is not one of: {allowed}{suggest(value, field.choices)} ({name})"
            )
    elif kind is list and not isinstance(value, list):
        raise SessionError(f"{label}={_fmt(value)} must be a list ({name})")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = field.low, field.high
        if (low is not None and value < low) or (high is not None and value > high):
            if low is not None and high is not None:
                rule = f"must be between {low:g} and {high:g}"
            elif low is not None:
                rule = f"must be at least {low:g}"
            else:
                rule = f"must be at most {high:g}"
            raise SessionError(f"{label}={_fmt(value)} {rule} ({name})")
    return value


__all__ = ["REQUIRED", "Field", "check_table", "suggest"]
