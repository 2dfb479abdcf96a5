"""The session: tracks, the stems they sum into, and the master's delivery target.

A session is immutable; editing returns a new one (``dataclasses.replace``). Paths are
absolute inside the model and written relative to the session file on save.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stemforge.dsp.effect import EffectSpec

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
class Clip:
    """One region of a file placed on a track's timeline (``[[tracks.clips]]``).

    Attributes
    ----------
    files : tuple of Path
        One file, or two mono files (left, right).
    position_s : float
        Timeline position of the clip's first sample, seconds.
    source_offset_s : float
        Where in the file the clip starts, seconds (at the session's rate).
    length_s : float or None
        Length of the clip, seconds; None for the rest of the file.
    gain_db : float
        Clip gain.
    fade_in_s, fade_out_s : float
        Fade lengths at the clip's start and end, seconds.
    fade_shape : str
        ``linear``, ``equal_power``, ``exponential`` or ``s_curve``.
    """

    files: tuple[Path, ...]
    position_s: float = 0.0
    source_offset_s: float = 0.0
    length_s: float | None = None
    gain_db: float = 0.0
    fade_in_s: float = 0.0
    fade_out_s: float = 0.0
    fade_shape: str = "linear"


@dataclass(frozen=True)
class Send:
    """A send from a track (or a return) to a return (``[[tracks.sends]]``).

    Attributes
    ----------
    to : str
        The return's name.
    level_db : float
        Send level.
    pre_fader : bool
        Tap before the channel fader (after the inserts and pan) instead of after it.
    """

    to: str
    level_db: float = 0.0
    pre_fader: bool = False


@dataclass(frozen=True)
class Return:
    """An FX return (``[[returns]]``): an insert chain fed by sends.

    In stem renders every stem gets its own instance of the chain, fed by the sends of
    its own tracks, and carries that instance's output.

    Attributes
    ----------
    name : str
    inserts : tuple of EffectSpec
    gain_db : float
        The return's fader.
    sends : tuple of Send
        Sends from this return to other returns (no loops).
    """

    name: str
    inserts: tuple[EffectSpec, ...] = ()
    gain_db: float = 0.0
    sends: tuple[Send, ...] = ()


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
        Timeline position of the file's first sample, in seconds (whole-file tracks).
    inserts : tuple of EffectSpec
        Insert chain, after the source and before the fader and pan.
    sends : tuple of Send
    clips : tuple of Clip
        When not empty the track plays these instead of one whole file at ``offset_s``;
        ``files`` then lists every distinct file its clips read.
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
    inserts: tuple[EffectSpec, ...] = ()
    sends: tuple[Send, ...] = ()
    clips: tuple[Clip, ...] = ()


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
    inserts : tuple of EffectSpec
        The stem bus's insert chain (before its fader).
    """

    name: str
    gain_db: float = 0.0
    role: str | None = None
    inserts: tuple[EffectSpec, ...] = ()


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
    inserts : tuple of EffectSpec
        The master bus chain (``[[master.inserts]]``); a render applies it to the mix only
        when asked (``--master-chain``).
    stems : tuple of stemforge.mastering.StemMove
        Per-stem gain, EQ and compression for mastering from stems (``[master.stems.NAME]``).
    """

    target: str = "streaming"
    lufs: float | None = None
    ceiling_dbtp: float | None = None
    inserts: tuple[EffectSpec, ...] = ()
    stems: tuple[Any, ...] = ()

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
    returns: tuple[Return, ...] = ()
    """FX returns (``[[returns]]``), fed by the tracks' sends."""
    tail_max_s: float = 10.0
    """Longest a render goes on past the last clip while reverb and delay tails ring out."""
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


__all__ = ["EXCLUDE", "TARGETS", "Clip", "Master", "Return", "Send", "Session", "Stem", "Track"]
