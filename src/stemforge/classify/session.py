"""Session-level classification (placeholder while the audio part is written)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from stemforge.classify.names import classify_name
from stemforge.classify.roles import Classification


class NamedTrack(Protocol):
    @property
    def name(self) -> str: ...


def classify_tracks(tracks: Sequence[NamedTrack]) -> list[Classification]:
    """Propose a role for each track of a session (one result per track, same order)."""
    return [classify_name(track.name) for track in tracks]


__all__ = ["classify_tracks"]
