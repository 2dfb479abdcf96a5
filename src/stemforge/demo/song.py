"""The demo song's form: tempo, sections, chords, and where every bar falls in time.

"Night Owl" is a 120 bpm pop song in A minor (C major's relative minor), 4/4:

=========  =====  ===========================  =======================================
section    bars   chords (one per bar)         arrangement
=========  =====  ===========================  =======================================
intro      4      Am  F   C   G                keys, pad, synth hook, sparse drums
verse      8      Am  F   C   G                drums, bass, keys, lead vocal
chorus     8      F   G   C   Am               everything: crash, open hats, guitars,
                                               tambourine, harmonies, riser before it
verse      4      Am  F   C   G                as verse 1 plus muted guitars, "ooh"s
chorus     8      F   G   C   Am               as chorus 1
outro      4      F   G   Am  Am               half-time drums, hook, final chord rings
=========  =====  ===========================  =======================================

A shorter song (``bars`` below 36) keeps the same sections, each scaled in proportion
and at least one bar long (below 6 bars the second verse and chorus are dropped); the
last bar is always the tonic, so even a four-bar song ends resolved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from stemforge.errors import UsageError

#: The demo song's title.
TITLE = "Night Owl"
#: Its key.
KEY = "A minor"
#: Tempo of the demo song in beats per minute.
TEMPO_BPM = 120.0
#: Beats in a bar (4/4).
BEATS_PER_BAR = 4
#: Bars in the full song.
DEFAULT_BARS = 36
#: Fewest bars a song can have and keep its intro, verse, chorus and outro.
MIN_BARS = 4
#: Silence after the last bar, so reverbs and the final chord ring out.
TAIL_S = 2.0

_FULL_FORM = (("intro", 4), ("verse", 8), ("chorus", 8), ("verse", 4), ("chorus", 8), ("outro", 4))
_SHORT_FORM = (("intro", 4), ("verse", 8), ("chorus", 8), ("outro", 4))

_PROGRESSIONS = {
    "intro": ("Am", "F", "C", "G"),
    "verse": ("Am", "F", "C", "G"),
    "chorus": ("F", "G", "C", "Am"),
    "outro": ("F", "G", "Am", "Am"),
}


@dataclass(frozen=True)
class Chord:
    """A triad.

    Attributes
    ----------
    name : str
        ``Am``, ``F`` ...
    root : int
        Pitch class of the root (C = 0 … B = 11).
    pitch_classes : tuple of int
        Root, third and fifth as pitch classes.
    """

    name: str
    root: int
    pitch_classes: tuple[int, int, int]


CHORDS: dict[str, Chord] = {
    "Am": Chord("Am", 9, (9, 0, 4)),
    "F": Chord("F", 5, (5, 9, 0)),
    "C": Chord("C", 0, (0, 4, 7)),
    "G": Chord("G", 7, (7, 11, 2)),
    "Em": Chord("Em", 4, (4, 7, 11)),
}


@dataclass(frozen=True)
class Section:
    """One section of the song.

    Attributes
    ----------
    kind : str
        ``intro``, ``verse``, ``chorus`` or ``outro``.
    occurrence : int
        0 for the first verse, 1 for the second ...
    start_bar : int
        Index of its first bar in the song.
    bars : int
        Its length in bars.
    """

    kind: str
    occurrence: int
    start_bar: int
    bars: int

    @property
    def label(self) -> str:
        """A name for people: ``Verse 2``."""
        return f"{self.kind.title()} {self.occurrence + 1}" if self.kind in ("verse", "chorus") else self.kind.title()


@dataclass(frozen=True)
class Bar:
    """One bar of the song with everything a part needs to play it.

    Attributes
    ----------
    index : int
        Position in the song (0-based).
    section : Section
        The section the bar belongs to.
    bar_in_section : int
        Position inside its section (0-based).
    chord : Chord
        The harmony of the whole bar.
    start_s : float
        Time of its downbeat, in seconds.
    is_last_in_song : bool
        True for the song's final bar.
    """

    index: int
    section: Section
    bar_in_section: int
    chord: Chord
    start_s: float
    is_last_in_song: bool

    @property
    def kind(self) -> str:
        """The section kind (``verse`` ...)."""
        return self.section.kind

    @property
    def is_last_in_section(self) -> bool:
        """True for the bar before a section change (where drummers play fills)."""
        return self.bar_in_section == self.section.bars - 1


@dataclass(frozen=True)
class Riser:
    """Where an FX riser sweeps up into a chorus.

    Attributes
    ----------
    start_s, end_s : float
        The sweep's start and the chorus downbeat it lands on, in seconds.
    """

    start_s: float
    end_s: float


@dataclass(frozen=True)
class Arrangement:
    """The whole song's form.

    Attributes
    ----------
    tempo_bpm : float
    sections : tuple of Section
    bars : tuple of Bar
    tail_s : float
        Ring-out after the last bar, in seconds.
    """

    tempo_bpm: float
    sections: tuple[Section, ...]
    bars: tuple[Bar, ...]
    tail_s: float

    @property
    def beat_s(self) -> float:
        """Length of a beat in seconds."""
        return 60.0 / self.tempo_bpm

    @property
    def bar_s(self) -> float:
        """Length of a bar in seconds."""
        return BEATS_PER_BAR * self.beat_s

    @property
    def duration_s(self) -> float:
        """Length of every (timeline-aligned) track, tail included, in seconds."""
        return len(self.bars) * self.bar_s + self.tail_s

    def frames(self, sample_rate: int) -> int:
        """Length of every track in frames at ``sample_rate`` Hz."""
        return round(self.duration_s * sample_rate)

    def risers(self) -> tuple[Riser, ...]:
        """One riser before each chorus: two bars long, or the previous section if shorter."""
        out = []
        for before, section in zip(self.sections, self.sections[1:], strict=False):
            if section.kind == "chorus":
                end_s = section.start_bar * self.bar_s
                out.append(Riser(end_s - min(2, before.bars) * self.bar_s, end_s))
        return tuple(out)


def _allocate(form: tuple[tuple[str, int], ...], bars: int) -> list[int]:
    """Share ``bars`` among the sections in proportion to their lengths in ``form``."""
    total = sum(weight for _, weight in form)
    exact = [weight * bars / total for _, weight in form]
    lengths = [max(1, math.floor(x)) for x in exact]
    while sum(lengths) > bars:  # only when many sections were raised to one bar
        i = max(range(len(lengths)), key=lambda k: (lengths[k], -k))
        lengths[i] -= 1
    while sum(lengths) < bars:
        i = max(range(len(lengths)), key=lambda k: (exact[k] - lengths[k], -k))
        lengths[i] += 1
    return lengths


def arrange(bars: int | None = None, *, tempo_bpm: float = TEMPO_BPM) -> Arrangement:
    """Lay out the demo song.

    Parameters
    ----------
    bars : int, optional
        Length of the song in bars (default :data:`DEFAULT_BARS`); at least :data:`MIN_BARS`.
    tempo_bpm : float
        Tempo.

    Raises
    ------
    UsageError
        If ``bars`` is not an integer of at least :data:`MIN_BARS`.
    """
    if bars is None:
        bars = DEFAULT_BARS
    if isinstance(bars, bool) or not isinstance(bars, int) or bars < MIN_BARS:
        raise UsageError(f"bars={bars!r} must be an integer of at least {MIN_BARS} (intro, verse, chorus, outro)")
    if not (40.0 <= tempo_bpm <= 240.0):
        raise UsageError(f"tempo_bpm={tempo_bpm!r} must be between 40 and 240")
    form = _FULL_FORM if bars >= len(_FULL_FORM) else _SHORT_FORM
    sections: list[Section] = []
    start = 0
    seen: dict[str, int] = {}
    for (kind, _), length in zip(form, _allocate(form, bars), strict=True):
        sections.append(Section(kind, seen.get(kind, 0), start, length))
        seen[kind] = seen.get(kind, 0) + 1
        start += length
    bar_s = BEATS_PER_BAR * 60.0 / tempo_bpm
    out: list[Bar] = []
    for section in sections:
        progression = _PROGRESSIONS[section.kind]
        for k in range(section.bars):
            index = section.start_bar + k
            last = index == bars - 1
            chord = CHORDS["Am"] if last else CHORDS[progression[k % len(progression)]]
            out.append(Bar(index, section, k, chord, index * bar_s, last))
    return Arrangement(tempo_bpm, tuple(sections), tuple(out), TAIL_S)


__all__ = [
    "BEATS_PER_BAR",
    "CHORDS",
    "DEFAULT_BARS",
    "KEY",
    "MIN_BARS",
    "TAIL_S",
    "TEMPO_BPM",
    "TITLE",
    "Arrangement",
    "Bar",
    "Chord",
    "Riser",
    "Section",
    "arrange",
]
