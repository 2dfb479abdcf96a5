"""File-name checks: names that travel across operating systems and say what they hold.

A delivery is opened on macOS, Windows and Linux; a name with ``:`` or ``?`` cannot
be written on Windows, ``drums.wav`` and ``Drums.wav`` overwrite each other on macOS and
Windows, and ``Audio 1.wav`` tells the receiver nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import PurePath

from stemforge.qa.model import Finding, Severity

_UNPORTABLE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_RESERVED = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {f"lpt{i}" for i in range(1, 10)}
_UNDESCRIPTIVE = re.compile(
    r"^(audio|track|stem|bounce|untitled|new|output|export|bus|aux|group|sum)?[\s_\-.]*\d*$", re.IGNORECASE
)


def _label(name: str) -> str:
    """The descriptive part of a stem file name: after the last `` - `` separator, no extension."""
    stem = PurePath(name).stem
    return stem.rsplit(" - ", 1)[-1].strip()


def naming_checks(names: Sequence[str]) -> list[Finding]:
    """SF401 unportable or undescriptive names, SF402 names that collide ignoring case."""
    problems: list[Finding] = []
    for name in names:
        stem = PurePath(name).stem
        reasons = []
        bad = sorted(set(_UNPORTABLE.findall(name)))
        if bad:
            reasons.append("has characters Windows cannot store (" + " ".join(repr(c) for c in bad) + ")")
        if name != name.strip() or stem != stem.rstrip(". "):
            reasons.append("starts or ends with a space or dot")
        if stem.lower() in _RESERVED:
            reasons.append("is a reserved device name on Windows")
        if _UNDESCRIPTIVE.match(_label(name)):
            reasons.append("does not say what the stem holds (name it e.g. 'Song - drums.wav')")
        if len(name) > 120:
            reasons.append(f"is {len(name)} characters long; keep names under 120")
        if reasons:
            problems.append(Finding("SF401", Severity.WARN, "file name " + "; ".join(reasons), name,
                                    {"reasons": reasons}))
    if not problems:
        problems.append(Finding("SF401", Severity.PASS, "file names are portable and descriptive"))

    groups: dict[str, list[str]] = defaultdict(list)
    for name in names:
        groups[PurePath(name).stem.casefold()].append(name)
    collisions = [
        Finding("SF402", Severity.FAIL, f"has the same name as {', '.join(others[1:])} ignoring case or extension",
                others[0], {"collides_with": others[1:]})
        for others in (sorted(g) for g in groups.values() if len(g) > 1)
    ]
    return problems + (collisions or [Finding("SF402", Severity.PASS, "file names are unique")])


__all__ = ["naming_checks"]
