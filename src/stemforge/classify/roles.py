"""The stem roles classification proposes (ARCHITECTURE.md's vocabulary)."""

from __future__ import annotations

from dataclasses import dataclass

#: Roles in the order stems are listed in a new session.
ROLES: tuple[str, ...] = (
    "drums",
    "percussion",
    "bass",
    "guitars",
    "keys",
    "synths",
    "strings",
    "horns",
    "lead_vocals",
    "backing_vocals",
    "fx",
    "other",
    "exclude",
)


@dataclass(frozen=True)
class Classification:
    """A proposed stem role for one track.

    Attributes
    ----------
    role : str
        One of :data:`ROLES`.
    confidence : float
        0 (a guess) to 1 (certain).
    reason : str
        A short sentence a user understands (``name says "kick"``).
    """

    role: str
    confidence: float
    reason: str


__all__ = ["ROLES", "Classification"]
