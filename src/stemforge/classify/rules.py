"""A simple name rule set: the first keyword found in a track's name decides its role."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from stemforge.classify.roles import Classification

_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("exclude", ("click", "guide", "scratch", "rough", "reference", "ref", "bounce", "print")),
    ("backing_vocals", ("bgv", "bv", "backing", "harmony", "harm", "choir", "dbl", "double")),
    ("lead_vocals", ("vox", "vocal", "vocals", "voc", "lead vox", "leadvox", "vox lead")),
    ("drums", ("kick", "kik", "bd", "snare", "snr", "sn", "hat", "hats", "hh", "tom", "oh", "overhead", "overheads", "room", "ride", "crash", "cymbal", "drum", "drums")),
    ("percussion", ("perc", "shaker", "tamb", "tambourine", "conga", "bongo", "clap")),
    ("bass", ("bass", "sub", "808")),
    ("guitars", ("gtr", "guitar", "guit", "acgtr")),
    ("keys", ("keys", "piano", "pno", "rhodes", "wurli", "organ", "chords")),
    ("synths", ("synth", "pad", "lead", "arp", "pluck")),
    ("strings", ("strings", "violin", "viola", "cello", "str")),
    ("horns", ("horn", "horns", "tpt", "trumpet", "sax", "trombone", "tbn", "brass")),
    ("fx", ("fx", "riser", "sweep", "impact", "noise")),
)


def _words(name: str) -> list[str]:
    stem = Path(name).stem if Path(name).suffix.lower() in {".wav", ".aif", ".aiff", ".flac", ".mp3"} else name
    stem = re.sub(r"([a-z])([A-Z])", r"\1 \2", stem)  # camelCase -> camel Case
    return [w for w in re.split(r"[^a-z0-9]+", stem.lower()) if w and not w.isdigit()]


def classify_name(name: str) -> Classification:
    """Propose a role from a track or file name."""
    words = _words(name)
    for role, keywords in _RULES:
        for word in words:
            if word in keywords:
                return Classification(role, 0.8, f'name says "{word}"')
    return Classification("other", 0.1, "name matches no rule")


class _Named(Protocol):
    @property
    def name(self) -> str: ...


def classify_tracks(tracks: Sequence[_Named]) -> list[Classification]:
    """Propose a role for each track of a session (one result per track, same order)."""
    return [classify_name(track.name) for track in tracks]


__all__ = ["classify_name", "classify_tracks"]
