"""Effect specs: what the session file declares, validated, and how it becomes plugins.

An effect spec is a frozen dataclass whose fields are its parameters, each named with its
unit (``threshold_db``, ``attack_ms``, ``cutoff_hz``) and declared with :func:`param`
(type, default, allowed range). Specs are pure data; :meth:`EffectSpec.plugins` builds
fresh pedalboard plugins for one processing instance, so one spec may run in many places
(a return runs once per stem) without sharing state.

Every effect type registers itself in :data:`EFFECTS` under its session name; the session
loader calls :func:`parse_effect` on each ``[[...inserts]]`` table.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

import pedalboard

from stemforge.audio.buffer import Samples
from stemforge.errors import SessionError
from stemforge.errors import did_you_mean as suggest


@dataclass(frozen=True)
class Param:
    """How one effect parameter is checked.

    Attributes
    ----------
    kind : type
        ``float``, ``int``, ``bool`` or ``str``.
    low, high : float or None
        Inclusive range.
    choices : tuple or None
        Allowed values (strings, or numbers for stepped parameters).
    """

    kind: type
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] | None = None


def param(default: Any, *, kind: type = float, low: float | None = None, high: float | None = None, choices: tuple[Any, ...] | None = None) -> Any:
    """Declare an effect parameter (a dataclass field carrying its :class:`Param`)."""
    return dataclasses.field(default=default, metadata={"param": Param(kind, low, high, choices)})


class Stage(Protocol):
    """A running processor of ``(channels, frames)`` float32 audio with state."""

    def process(self, block: Samples) -> Samples: ...


class EffectSpec:
    """Base of every effect spec (subclasses are frozen dataclasses).

    Class attributes
    ----------------
    type_name : str
        The ``type = "..."`` of the session file.
    linear : bool
        True when the effect is linear and time-invariant (a sum of inputs gives the sum
        of outputs), so running it per stem and summing equals running it once.
    """

    type_name: ClassVar[str] = ""
    linear: ClassVar[bool] = True

    def plugins(self, sample_rate: int) -> list[pedalboard.Plugin]:
        """Fresh pedalboard plugins for one instance of this effect."""
        raise NotImplementedError

    def stage(self, sample_rate: int, *, channels: int) -> Stage | None:
        """A processor computing what :meth:`plugins` compute, sample for sample (within
        the precision the effect documents), at less cost — or None (the chain then runs
        the plugins). Fed blocks of any size, state carried; its samples must not depend on
        where the blocks begin and end."""
        return None

    def latency_frames(self, sample_rate: int) -> int:
        """Frames by which the effect delays its input (compensated by the engine)."""
        return 0

    def tail_gap_s(self) -> float | None:
        """None when the effect has no tail; else the longest silent stretch its tail may
        hold before sound reappears (a delay's echo spacing), in seconds."""
        return None

    @classmethod
    def params(cls) -> dict[str, Param]:
        """The parameters, in declaration order."""
        return {f.name: f.metadata["param"] for f in dataclasses.fields(cls) if "param" in f.metadata}  # type: ignore[arg-type]

    @classmethod
    def from_table(cls, table: Mapping[str, Any], *, where: str, source: Path) -> EffectSpec:
        """Validate a session table (without its ``type`` key) and build the spec."""
        values = check_params(table, cls.params(), where=where, source=source)
        return cls(**values)

    def to_table(self) -> dict[str, Any]:
        """The session-file table of this spec (``type`` first, then every parameter)."""
        return {"type": self.type_name} | {name: getattr(self, name) for name in self.params()}


#: Every effect type, by its session name.
EFFECTS: dict[str, type[EffectSpec]] = {}


def register_effect(cls: type[EffectSpec]) -> type[EffectSpec]:
    """Class decorator adding an effect type to :data:`EFFECTS`."""
    if not cls.type_name:
        raise ValueError(f"{cls.__name__} has no type_name")
    EFFECTS[cls.type_name] = cls
    return cls


def _fmt(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


#: Keys of the tables that hold inserts, which land in an effect when written below its header.
_OWNER_KEYS = frozenset({"name", "file", "stem", "pan", "mute", "solo", "invert", "offset_s", "role", "target", "lufs", "ceiling_dbtp"})


def check_params(table: Mapping[str, Any], params: Mapping[str, Param], *, where: str, source: Path) -> dict[str, Any]:
    """Check ``table`` against ``params``; return the values present (defaults come from the dataclass).

    Raises
    ------
    SessionError
        ``tracks[2] ("Vox").inserts[1] (compressor).ratio=0.5 must be between 1 and 100 (session.toml)``.
    """
    name = source.name
    values: dict[str, Any] = {}
    for key, raw in table.items():
        value = raw.unwrap() if hasattr(raw, "unwrap") else raw
        if key not in params:
            tip = f"parameters allowed here: {', '.join(params) or 'none'}"
            if key in _OWNER_KEYS:
                # In TOML every key after a [[x.inserts]] header belongs to that effect.
                tip += f"; if {key!r} belongs to the track, stem or [master], write it above its [[...inserts]] tables"
            raise SessionError(f"{where}: unknown parameter {key!r}{suggest(key, tuple(params))} ({name})", tip=tip)
        p = params[key]
        label = f"{where}.{key}"
        if p.kind in (float, int):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SessionError(f"{label}={_fmt(value)} must be a number ({name})")
            if p.kind is int and not float(value).is_integer():
                raise SessionError(f"{label}={_fmt(value)} must be a whole number ({name})")
            value = p.kind(value)
            if not math.isfinite(value):
                raise SessionError(f"{label}={value} must be a finite number ({name})")
        elif p.kind is bool and not isinstance(value, bool):
            raise SessionError(f"{label}={_fmt(value)} must be true or false ({name})")
        elif p.kind is str and not isinstance(value, str):
            raise SessionError(f"{label}={_fmt(value)} must be a string ({name})")
        if p.choices is not None and value not in p.choices:
            allowed = ", ".join(_fmt(c) for c in p.choices)
            hint = suggest(value, [str(c) for c in p.choices]) if isinstance(value, str) else ""
            raise SessionError(f"{label}={_fmt(value)} is not one of: {allowed}{hint} ({name})")
        if p.kind in (float, int) and ((p.low is not None and value < p.low) or (p.high is not None and value > p.high)):
            if p.low is not None and p.high is not None:
                rule = f"must be between {p.low:g} and {p.high:g}"
            elif p.low is not None:
                rule = f"must be at least {p.low:g}"
            else:
                rule = f"must be at most {p.high:g}"
            raise SessionError(f"{label}={_fmt(value)} {rule} ({name})")
        values[key] = value
    return values


def parse_effect(table: Any, *, where: str, source: Path) -> EffectSpec:
    """Build the effect spec declared by one ``[[...inserts]]`` table.

    Parameters
    ----------
    table : mapping
        Holds ``type`` and the effect's parameters.
    where : str
        The table's name in messages, e.g. ``tracks[2] ("Vox").inserts[1]``.
    source : Path
        The session file.

    Raises
    ------
    SessionError
        On a missing or unknown ``type`` (listing the known ones) or an invalid parameter.
    """
    name = source.name
    if not isinstance(table, Mapping):
        raise SessionError(f"{where} must be a table, e.g. {{ type = \"gain\", gain_db = -3 }} ({name})")
    known = ", ".join(sorted(EFFECTS))
    kind: Any = table.get("type")
    kind = kind.unwrap() if hasattr(kind, "unwrap") else kind
    if kind is None:
        raise SessionError(f"{where}: missing required key 'type' ({name})", tip=f"effect types: {known}")
    if not isinstance(kind, str) or kind not in EFFECTS:
        hint = suggest(kind, sorted(EFFECTS)) if isinstance(kind, str) else ""
        raise SessionError(f"{where}.type={_fmt(kind)} is not one of: {known}{hint} ({name})")
    rest = {k: v for k, v in table.items() if k != "type"}
    return EFFECTS[kind].from_table(rest, where=f"{where} ({kind})", source=source)


__all__ = ["EFFECTS", "EffectSpec", "Param", "Stage", "check_params", "param", "parse_effect", "register_effect", "suggest"]
