"""The mixer's part of a session file: insert chains, sends, FX returns and clips.

Parsed here (and not in :mod:`stemforge.session.toml`) so the file format's mixer tables
live in one place::

    [[tracks]]
    name = "Lead Vox"
    stem = "lead_vocals"

      [[tracks.clips]]
      file = "tracks/18_LeadVox.wav"
      position_s = 12.0
      source_offset_s = 1.5
      length_s = 8.0
      fade_in_s = 0.01
      fade_out_s = 0.5
      fade_shape = "equal_power"

      [[tracks.inserts]]
      type = "compressor"
      threshold_db = -18
      ratio = 4

      [[tracks.sends]]
      to = "plate"
      level_db = -12

    [[returns]]
    name = "plate"

      [[returns.inserts]]
      type = "reverb"
      room_size = 0.7

Routing is checked at load: every send names a return, and return-to-return sends
form no loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from stemforge.dsp import parse_effect
from stemforge.errors import SessionError
from stemforge.session.model import Clip, Return, Send, Track
from stemforge.session.schema import REQUIRED, Field, check_table, suggest

SEND_FIELDS: dict[str, Field] = {
    "to": Field(str, REQUIRED),
    "level_db": Field(float, 0.0, -120, 24),
    "pre_fader": Field(bool, False),
}
CLIP_FIELDS: dict[str, Field] = {
    "file": Field(object, REQUIRED),
    "position_s": Field(float, 0.0, 0, 86400),
    "source_offset_s": Field(float, 0.0, 0, 86400),
    "length_s": Field(float, None, 0, 86400),
    "gain_db": Field(float, 0.0, -120, 24),
    "fade_in_s": Field(float, 0.0, 0, 3600),
    "fade_out_s": Field(float, 0.0, 0, 3600),
    "fade_shape": Field(str, "linear", choices=("linear", "equal_power", "exponential", "s_curve")),
}
RETURN_FIELDS: dict[str, Field] = {
    "name": Field(str, REQUIRED),
    "gain_db": Field(float, 0.0, -120, 24),
    "inserts": Field(list, []),
    "sends": Field(list, []),
}


def parse_inserts(value: Sequence[Any], *, where: str, source: Path) -> tuple[Any, ...]:
    """The effect specs of an ``inserts`` array (``where`` names its owner)."""
    return tuple(parse_effect(table, where=f"{where}.inserts[{i}]", source=source) for i, table in enumerate(value, start=1))


def parse_sends(value: Sequence[Any], *, where: str, source: Path) -> tuple[Send, ...]:
    """The sends of a ``sends`` array."""
    sends = []
    for i, table in enumerate(value, start=1):
        label = f"{where}.sends[{i}]"
        if not isinstance(table, Mapping):
            raise SessionError(f"{label} must be a table ({source.name})")
        sends.append(Send(**check_table(table, SEND_FIELDS, where=label, source=source)))
    return tuple(sends)


def parse_clips(
    value: Sequence[Any], *, where: str, source: Path, resolve: Callable[[Any, str], tuple[Path, ...]]
) -> tuple[Clip, ...]:
    """The clips of a ``clips`` array; ``resolve(file_value, label)`` turns a ``file`` into paths."""
    clips = []
    for i, table in enumerate(value, start=1):
        label = f"{where}.clips[{i}]"
        if not isinstance(table, Mapping):
            raise SessionError(f"{label} must be a table ({source.name})")
        values = check_table(table, CLIP_FIELDS, where=label, source=source)
        if values["length_s"] is not None and values["length_s"] <= 0:
            raise SessionError(f"{label}.length_s={values['length_s']:g} must be greater than 0 ({source.name})")
        length = values["length_s"]
        if length is not None and values["fade_in_s"] + values["fade_out_s"] > length:
            raise SessionError(
                f"{label}: fade_in_s={values['fade_in_s']:g} + fade_out_s={values['fade_out_s']:g} "
                f"is longer than length_s={length:g} ({source.name})"
            )
        files = resolve(values.pop("file"), label)
        clips.append(Clip(files=files, **values))
    return tuple(clips)


def parse_returns(value: Sequence[Any], *, source: Path) -> tuple[Return, ...]:
    """The ``[[returns]]`` of a session."""
    returns: list[Return] = []
    for i, table in enumerate(value, start=1):
        label = f"returns[{i}]"
        if isinstance(table, Mapping) and isinstance(table.get("name"), str):
            label += f' ("{table["name"]}")'
        if not isinstance(table, Mapping):
            raise SessionError(f"{label} must be a table ({source.name})")
        values = check_table(table, RETURN_FIELDS, where=label, source=source)
        if any(r.name == values["name"] for r in returns):
            raise SessionError(f'{label}.name="{values["name"]}" is defined twice ({source.name})')
        returns.append(
            Return(
                name=values["name"],
                gain_db=values["gain_db"],
                inserts=parse_inserts(values["inserts"], where=label, source=source),
                sends=parse_sends(values["sends"], where=label, source=source),
            )
        )
    return tuple(returns)


def check_routing(tracks: Sequence[Track], returns: Sequence[Return], *, source: Path) -> None:
    """Every send names a return, and no chain of return sends comes back to where it started.

    Raises
    ------
    SessionError
        ``tracks[2] ("Vox").sends[1].to="plat" names no return in [[returns]]; did you mean "plate"?``
        or ``returns[1] ("plate").sends[1].to="slap": feedback loop plate → slap → plate``.
    """
    names = [r.name for r in returns]
    tip = f"returns defined: {', '.join(names) or 'none'}"

    def check(label: str, send: Send) -> None:
        if send.to not in names:
            raise SessionError(f'{label}.to="{send.to}" names no return in [[returns]]{suggest(send.to, names)} ({source.name})', tip=tip)

    for i, track in enumerate(tracks, start=1):
        for j, send in enumerate(track.sends, start=1):
            check(f'tracks[{i}] ("{track.name}").sends[{j}]', send)
    for i, ret in enumerate(returns, start=1):
        for j, send in enumerate(ret.sends, start=1):
            check(f'returns[{i}] ("{ret.name}").sends[{j}]', send)
    by_name = {r.name: r for r in returns}
    for i, ret in enumerate(returns, start=1):
        for j, send in enumerate(ret.sends, start=1):
            path = _path_back(send.to, ret.name, by_name, [ret.name, send.to])
            if path is not None:
                raise SessionError(
                    f'returns[{i}] ("{ret.name}").sends[{j}].to="{send.to}": feedback loop {" → ".join(path)} ({source.name})',
                    tip="a return may send to other returns only when no chain of sends leads back to it",
                )


def _path_back(start: str, target: str, returns: Mapping[str, Return], path: list[str]) -> list[str] | None:
    """The chain of sends from ``start`` that reaches ``target``, or None."""
    if start == target:
        return path
    for send in returns[start].sends:
        if send.to in path[1:-1]:
            continue
        found = _path_back(send.to, target, returns, [*path, send.to])
        if found is not None:
            return found
    return None


def return_order(returns: Sequence[Return]) -> tuple[str, ...]:
    """Return names in processing order: each after every return that sends to it."""
    by_name = {r.name: r for r in returns}
    feeds: dict[str, set[str]] = {r.name: set() for r in returns}
    for r in returns:
        for s in r.sends:
            feeds[s.to].add(r.name)
    order: list[str] = []
    while len(order) < len(returns):
        for r in returns:
            if r.name not in order and feeds[r.name] <= set(order):
                order.append(r.name)
                break
        else:  # a loop: check_routing rejects these at load
            raise SessionError(f"returns {', '.join(n for n in by_name if n not in order)} send to each other in a loop")
    return tuple(order)


# --------------------------------------------------------------------------------------
# Saving


def send_table(send: Send) -> dict[str, Any]:
    """The session-file table of a send."""
    return {"to": send.to, "level_db": send.level_db, "pre_fader": send.pre_fader}


def clip_table(clip: Clip, relative: Callable[[Path], str]) -> dict[str, Any]:
    """The session-file table of a clip (keys left at their defaults omitted)."""
    files = [relative(f) for f in clip.files]
    table: dict[str, Any] = {"file": files[0] if len(files) == 1 else files, "position_s": clip.position_s}
    for key in ("source_offset_s", "length_s", "gain_db", "fade_in_s", "fade_out_s", "fade_shape"):
        value = getattr(clip, key)
        if value != CLIP_FIELDS[key].default:
            table[key] = value
    return table


__all__ = [
    "CLIP_FIELDS",
    "RETURN_FIELDS",
    "SEND_FIELDS",
    "check_routing",
    "clip_table",
    "parse_clips",
    "parse_inserts",
    "parse_returns",
    "parse_sends",
    "return_order",
    "send_table",
]
