"""The session: tracks, the stems they sum into, and the master's delivery target.

A session is immutable; editing returns a new one (``dataclasses.replace``). Paths are
absolute inside the model and written relative to the session file on save.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The stem value that keeps a track out of every stem and the mix.
EXCLUDE = "exclude"

#: Delivery targets: name → (integrated loudness in LUFS, true-peak ceiling in dBTP).
TARGETS: dict[str, tuple[float, float]] = {
    "streaming": (-14.0, -1.0),
    "apple": (-16.0, -1.0),
    "youtube": (-14.0, -1.0),
    "broadcast": (-23.0, -1.0),
    "podcast": (-16.0, -1.0),
    "club": (-8.0, -0.5),
    "cd": (-9.0, -0.3),
}


@dataclass(frozen=True)
class Track:
    """One recording on the timeline.

    Attributes
    ----------
    name : str
    files : tuple of Path
        One file, or two mono files (left, right) of a split stereo pair.
    stem : str
        The stem it sums into, or ``"exclude"``.
    gain_db : float
    pan : float
        −1 (left) … +1 (right): constant-power (−3 dB centre) for mono sources, balance
        for stereo sources.
    mute, solo, invert : bool
        As on a DAW channel; ``invert`` flips polarity.
    offset_s : float
        Timeline position of the file's first sample, in seconds.
    """

    name: str
    files: tuple[Path, ...]
    stem: str
    gain_db: float = 0.0
    pan: float = 0.0
    mute: bool = False
    solo: bool = False
    invert: bool = False
    offset_s: float = 0.0


@dataclass(frozen=True)
class Stem:
    """A submix of tracks written to one file.

    Attributes
    ----------
    name : str
        Used in the file name: ``<title> - <name>.wav``.
    gain_db : float
        Fader of the stem bus (the mix is the sum of the stems after it).
    role : str or None
        The classifier role it stands for (defaults to ``name`` when that is a role).
    """

    name: str
    gain_db: float = 0.0
    role: str | None = None


@dataclass(frozen=True)
class Master:
    """Delivery target of the master.

    Attributes
    ----------
    target : str
        One of :data:`TARGETS`.
    lufs : float or None
        Overrides the target's integrated loudness.
    ceiling_dbtp : float or None
        Overrides the target's true-peak ceiling.
    """

    target: str = "streaming"
    lufs: float | None = None
    ceiling_dbtp: float | None = None

    @property
    def target_lufs(self) -> float:
        return self.lufs if self.lufs is not None else TARGETS[self.target][0]

    @property
    def target_ceiling_dbtp(self) -> float:
        return self.ceiling_dbtp if self.ceiling_dbtp is not None else TARGETS[self.target][1]


@dataclass(frozen=True)
class Session:
    """A song: its tracks, stems and master settings.

    Attributes
    ----------
    title : str
    sample_rate : int
        The rate everything is rendered at; tracks at other rates are resampled.
    tracks : tuple of Track
    stems : tuple of Stem
        In output order.
    master : Master
    path : Path or None
        The session file it was loaded from (relative paths resolve beside it).
    artist, key : str or None
    tempo_bpm : float or None
    """

    title: str
    sample_rate: int
    tracks: tuple[Track, ...]
    stems: tuple[Stem, ...]
    master: Master = field(default_factory=Master)
    path: Path | None = None
    artist: str | None = None
    tempo_bpm: float | None = None
    key: str | None = None
    document: Any = field(default=None, compare=False, repr=False)
    """The parsed TOML document, kept so that saving preserves comments and order."""

    def stem(self, name: str) -> Stem:
        """The stem called ``name``."""
        for stem in self.stems:
            if stem.name == name:
                return stem
        raise KeyError(name)

    def tracks_of(self, stem_name: str) -> tuple[Track, ...]:
        """The tracks that sum into ``stem_name``."""
        return tuple(t for t in self.tracks if t.stem == stem_name)

    @property
    def input_files(self) -> tuple[Path, ...]:
        """Every audio file the session reads."""
        return tuple(f for t in self.tracks for f in t.files)


__all__ = ["EXCLUDE", "TARGETS", "Master", "Session", "Stem", "Track"]
