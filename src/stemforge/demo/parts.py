"""What each musician plays: notes and drum hits for every bar of the arrangement.

Parts are written as patterns per section and chord (in beats), then placed in time with
a little seeded human timing and velocity variation, so two takes of the same part (the
double-tracked guitars) are never identical. Everything is in the key of A minor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stemforge.demo.song import Arrangement, Bar, Chord

#: The C major / A natural minor scale as pitch classes.
SCALE = (0, 2, 4, 5, 7, 9, 11)


@dataclass(frozen=True)
class Note:
    """A pitched event.

    Attributes
    ----------
    start_s, duration_s : float
        Onset and held length, in seconds (release tails are the instrument's business).
    midi : float
        MIDI note number (69 = A4 = 440 Hz).
    velocity : float
        0 … 1.
    vowel : str
        For voices: the syllable's vowel (``a e i o u``).
    consonant : str
        For voices: the consonant before the vowel (``s t k`` or empty).
    """

    start_s: float
    duration_s: float
    midi: float
    velocity: float
    vowel: str = ""
    consonant: str = ""


@dataclass(frozen=True)
class Hit:
    """A drum or percussion hit.

    Attributes
    ----------
    start_s : float
    piece : str
        ``kick``, ``snare``, ``hat``, ``hat_open``, ``crash`` or ``tamb``.
    velocity : float
        0 … 1.
    """

    start_s: float
    piece: str
    velocity: float


def midi_in_range(pitch_class: int, low: int) -> int:
    """The lowest MIDI note of ``pitch_class`` at or above ``low``."""
    return low + (pitch_class - low) % 12


def diatonic(midi: float, steps: int) -> float:
    """Move a scale note ``steps`` scale degrees up (or down) in C major."""
    octave, pc = divmod(round(midi), 12)
    degree = SCALE.index(pc) if pc in SCALE else min(range(7), key=lambda k: abs(SCALE[k] - pc))
    octave += (degree + steps) // 7
    return float(octave * 12 + SCALE[(degree + steps) % 7])


def _humanize(rng: np.random.Generator, start_s: float, velocity: float, *, timing_sd_s: float) -> tuple[float, float]:
    start = start_s + float(rng.normal(0.0, timing_sd_s))
    vel = float(np.clip(velocity * (1.0 + rng.normal(0.0, 0.06)), 0.05, 1.0))
    return max(0.0, start), vel


# ---------------------------------------------------------------- drums and percussion

_STEPS = 16  # sixteenth notes in a bar


def _drum_pattern(bar: Bar) -> list[tuple[str, int, float]]:
    """(piece, sixteenth step, velocity) for one bar."""
    kind, hits = bar.kind, []
    if bar.is_last_in_song:
        return [("kick", 0, 1.0), ("crash", 0, 1.0)]
    if kind == "intro":
        hits += [("kick", 0, 0.85)]
        hits += [("hat", s, 0.6 if s == 0 else 0.45) for s in (0, 4, 8, 12)]
    elif kind == "verse":
        hits += [("kick", 0, 0.95), ("kick", 6, 0.7), ("kick", 8, 0.9)]
        hits += [("snare", 4, 0.9), ("snare", 12, 0.95), ("snare", 7, 0.16), ("snare", 14, 0.13)]
        hits += [("hat", s, 0.7 if s % 4 == 0 else 0.42) for s in range(0, _STEPS, 2)]
        if bar.section.occurrence > 0:
            hits += [("tamb", 4, 0.8), ("tamb", 12, 0.8)]
    elif kind == "chorus":
        hits += [("kick", 0, 1.0), ("kick", 6, 0.8), ("kick", 8, 0.95), ("kick", 10, 0.7)]
        hits += [("snare", 4, 1.0), ("snare", 12, 1.0), ("snare", 15, 0.18)]
        hits += [("hat", s, 0.6) for s in (0, 4, 8, 12)] + [("hat_open", s, 0.65) for s in (2, 6, 10, 14)]
        hits += [("tamb", s, 0.9 if s in (4, 12) else (0.55 if s % 2 == 0 else 0.3)) for s in range(_STEPS)]
        if bar.bar_in_section % 4 == 0:
            hits += [("crash", 0, 0.95)]
    else:  # outro: half time
        hits += [("kick", 0, 0.9), ("snare", 8, 0.85)]
        hits += [("hat", s, 0.55) for s in (0, 4, 8, 12)]
        if bar.bar_in_section == 0:
            hits += [("crash", 0, 0.8)]
    if bar.kind == "verse" and bar.bar_in_section == 0:
        hits += [("crash", 0, 0.7)]
    if bar.is_last_in_section and not bar.is_last_in_song:  # fill into the next section
        hits = [h for h in hits if h[1] < 12 or h[0] in ("kick", "tamb")]
        hits += [("snare", s, 0.55 + 0.12 * (s - 12)) for s in (12, 13, 14, 15)]
    return hits


def drum_hits(arrangement: Arrangement, rng: np.random.Generator) -> tuple[Hit, ...]:
    """Every drum and percussion hit of the song, in time order."""
    step_s = arrangement.bar_s / _STEPS
    out = []
    for bar in arrangement.bars:
        for piece, step, velocity in _drum_pattern(bar):
            start, vel = _humanize(rng, bar.start_s + step * step_s, velocity, timing_sd_s=0.003)
            out.append(Hit(start, piece, vel))
    return tuple(sorted(out, key=lambda h: (h.start_s, h.piece)))


# ------------------------------------------------------------------------------- bass


def bass_notes(arrangement: Arrangement, rng: np.random.Generator) -> tuple[Note, ...]:
    """A finger-played bass following the chord roots (enters with the first verse)."""
    beat = arrangement.beat_s
    out = []
    for bar in arrangement.bars:
        root = midi_in_range(bar.chord.root, 28)
        if bar.kind == "intro":
            continue
        if bar.is_last_in_song:
            pattern = [(0.0, 4.0, root, 1.0)]
        elif bar.kind == "verse":
            pattern = [(0.0, 1.4, root, 0.9), (1.5, 0.45, root, 0.6), (2.0, 1.4, root, 0.85), (3.5, 0.45, root + 12, 0.65)]
        elif bar.kind == "chorus":
            pattern = [(k * 0.5, 0.45, root + (12 if k in (3, 7) else 0), 0.9 if k % 2 == 0 else 0.7) for k in range(8)]
        else:
            pattern = [(0.0, 3.8, root, 0.9)]
        for beat_pos, length, midi, velocity in pattern:
            start, vel = _humanize(rng, bar.start_s + beat_pos * beat, velocity, timing_sd_s=0.004)
            out.append(Note(start, length * beat, float(midi), vel))
    return tuple(out)


# ------------------------------------------------------------------------------- keys


def keys_voicing(chord: Chord) -> tuple[int, ...]:
    """Left-hand root plus a close right-hand triad, as an electric piano player voices it."""
    right = sorted(midi_in_range(pc, 57) for pc in chord.pitch_classes)
    return (midi_in_range(chord.root, 45), *right)


def keys_notes(arrangement: Arrangement, rng: np.random.Generator) -> tuple[Note, ...]:
    """Electric piano comping: whole notes in intro and outro, syncopated in verse and chorus."""
    beat = arrangement.beat_s
    rhythms = {
        "intro": [(0.0, 3.9, 0.7)],
        "verse": [(0.0, 1.4, 0.75), (1.5, 2.4, 0.6)],
        "chorus": [(0.0, 1.4, 0.7), (1.5, 0.9, 0.55), (2.5, 0.4, 0.45), (3.0, 0.9, 0.6)],
        "outro": [(0.0, 3.9, 0.7)],
    }
    out = []
    for bar in arrangement.bars:
        # The last chord is played hardest and left to ring (a big ending).
        rhythm = [(0.0, 4.0 + arrangement.tail_s / beat * 0.7, 1.0)] if bar.is_last_in_song else rhythms[bar.kind]
        for beat_pos, length, velocity in rhythm:
            for k, midi in enumerate(keys_voicing(bar.chord)):
                start, vel = _humanize(rng, bar.start_s + beat_pos * beat + 0.004 * k, velocity, timing_sd_s=0.004)
                out.append(Note(start, length * beat, float(midi), vel * (0.6 if k == 0 else 1.0)))
    return tuple(out)


def pad_notes(arrangement: Arrangement) -> tuple[Note, ...]:
    """Sustained pad chords, one per bar, in intro, choruses, second verse and outro."""
    out = []
    for bar in arrangement.bars:
        if bar.kind == "verse" and bar.section.occurrence == 0:
            continue
        length = arrangement.bar_s + (arrangement.tail_s * 0.6 if bar.is_last_in_song else 0.15)
        velocity = 1.0 if bar.is_last_in_song else (0.55 if bar.kind == "verse" else 0.8)
        notes = (*(midi_in_range(pc, 57) for pc in bar.chord.pitch_classes), midi_in_range(bar.chord.root, 69))
        out += [Note(bar.start_s, length, float(m), velocity) for m in notes]
    return tuple(out)


# ---------------------------------------------------------------------------- guitars

_OPEN_SHAPES = {
    "Am": (45, 52, 57, 60, 64),
    "F": (41, 48, 53, 57, 60, 65),
    "C": (48, 52, 55, 60, 64),
    "G": (43, 47, 50, 55, 62, 67),
    "Em": (40, 47, 52, 55, 59, 64),
}


def guitar_voicing(chord: Chord, take: int) -> tuple[int, ...]:
    """Take 0 plays open shapes; take 1 plays the chord's tones from G3 to A#4, up the neck."""
    if take == 0:
        return _OPEN_SHAPES[chord.name]
    lowest = [midi_in_range(pc, 55) for pc in chord.pitch_classes]
    return tuple(sorted(m for low in lowest for m in (low, low + 12) if m <= 70))


def guitar_notes(arrangement: Arrangement, rng: np.random.Generator, *, take: int) -> tuple[Note, ...]:
    """A strummed rhythm guitar (one take of a double-tracked pair).

    Silent in the intro and first verse, palm-muted eighths in the second verse, strummed
    in the choruses, one ringing strum per bar in the outro.
    """
    beat = arrangement.beat_s
    strums = [(0.0, "D", 0.8), (1.0, "D", 0.65), (1.5, "U", 0.5), (2.5, "U", 0.5), (3.0, "D", 0.7), (3.5, "U", 0.5)]
    if take == 1:
        strums = [s for s in strums if s[0] != 2.5] + [(2.0, "D", 0.6)]
        strums.sort()
    out = []
    for bar in arrangement.bars:
        shape = guitar_voicing(bar.chord, take)
        if bar.kind == "intro" or (bar.kind == "verse" and bar.section.occurrence == 0):
            continue
        if bar.kind == "verse":
            low = shape[:3]
            for k in range(8):
                start, vel = _humanize(rng, bar.start_s + k * 0.5 * beat, 0.8 if k % 2 == 0 else 0.6, timing_sd_s=0.005)
                out += [Note(start + 0.004 * j, 0.11, float(m), vel) for j, m in enumerate(low)]
            continue
        pattern = strums if bar.kind == "chorus" else [(0.0, "D", 1.0 if bar.is_last_in_song else 0.75)]
        for i, (beat_pos, direction, velocity) in enumerate(pattern):
            next_beat = pattern[i + 1][0] if i + 1 < len(pattern) else 4.0
            length = (next_beat - beat_pos) * beat - 0.02
            if bar.is_last_in_song:
                length += arrangement.tail_s * 0.8
            start, vel = _humanize(rng, bar.start_s + beat_pos * beat, velocity, timing_sd_s=0.006)
            strings = shape if direction == "D" else shape[::-1][:4]
            spread_s = 0.011 if direction == "D" else 0.007
            for j, m in enumerate(strings):
                out.append(Note(start + j * spread_s * (1.0 + 0.2 * float(rng.random())), length - j * spread_s, float(m), vel))
    return tuple(out)


# ------------------------------------------------------------------- melodies and hook

# Phrases are per bar: (beat, length in beats, MIDI note). Two variants of each 4-bar phrase.
_VERSE = (
    (
        ((0.5, 0.5, 64), (1.0, 0.5, 64), (1.5, 0.5, 62), (2.0, 1.0, 60), (3.0, 0.5, 62), (3.5, 0.5, 64)),
        ((0.0, 1.0, 65), (1.0, 0.5, 64), (1.5, 1.5, 60)),
        ((0.5, 0.5, 67), (1.0, 0.5, 67), (1.5, 0.5, 64), (2.0, 1.0, 67), (3.0, 0.5, 69), (3.5, 0.5, 67)),
        ((0.0, 1.5, 62), (1.5, 0.5, 64), (2.0, 1.5, 62)),
    ),
    (
        ((0.5, 0.5, 64), (1.0, 0.5, 64), (1.5, 0.5, 62), (2.0, 1.0, 60), (3.0, 0.5, 62), (3.5, 0.5, 64)),
        ((0.0, 1.0, 65), (1.0, 0.5, 67), (1.5, 0.5, 65), (2.0, 1.5, 64)),
        ((0.5, 0.5, 67), (1.0, 0.5, 67), (1.5, 0.5, 64), (2.0, 1.0, 67), (3.0, 0.5, 69), (3.5, 0.5, 71)),
        ((0.0, 0.5, 67), (0.5, 0.5, 65), (1.0, 1.0, 64), (2.0, 1.5, 62), (3.5, 0.5, 64)),
    ),
)
_CHORUS = (
    (
        ((0.0, 1.0, 69), (1.0, 0.5, 69), (1.5, 0.5, 67), (2.0, 1.5, 69), (3.5, 0.5, 72)),
        ((0.0, 1.0, 71), (1.0, 0.5, 67), (1.5, 1.5, 67), (3.0, 0.5, 62), (3.5, 0.5, 64)),
        ((0.0, 1.0, 67), (1.0, 0.5, 67), (1.5, 0.5, 64), (2.0, 1.5, 72), (3.5, 0.5, 71)),
        ((0.0, 1.5, 69), (1.5, 0.5, 67), (2.0, 1.5, 64)),
    ),
    (
        ((0.0, 1.0, 69), (1.0, 0.5, 69), (1.5, 0.5, 67), (2.0, 1.5, 69), (3.5, 0.5, 72)),
        ((0.0, 1.0, 71), (1.0, 0.5, 67), (1.5, 1.5, 67), (3.0, 0.5, 62), (3.5, 0.5, 64)),
        ((0.0, 1.0, 67), (1.0, 0.5, 67), (1.5, 0.5, 64), (2.0, 1.0, 72), (3.0, 0.5, 74), (3.5, 0.5, 72)),
        ((0.0, 3.5, 69),),
    ),
)
_HOOK = {
    "Am": ((0.0, 0.75, 76), (0.75, 0.75, 72), (1.5, 0.5, 69), (2.0, 1.0, 72), (3.0, 1.0, 71)),
    "F": ((0.0, 0.75, 72), (0.75, 0.75, 69), (1.5, 0.5, 65), (2.0, 2.0, 69)),
    "C": ((0.0, 0.75, 72), (0.75, 0.75, 67), (1.5, 0.5, 64), (2.0, 1.0, 67), (3.0, 1.0, 69)),
    "G": ((0.0, 1.5, 71), (1.5, 0.5, 72), (2.0, 2.0, 74)),
    "Em": ((0.0, 2.0, 71), (2.0, 2.0, 67)),
}
_VOWELS = ("a", "e", "i", "o", "u")
_VOWEL_ODDS = (0.32, 0.2, 0.18, 0.18, 0.12)
_CONSONANTS = ("", "", "t", "s", "k", "")


def lead_synth_notes(arrangement: Arrangement, rng: np.random.Generator) -> tuple[Note, ...]:
    """The synth hook in intro and outro, long high chord tones under the chorus vocal."""
    beat = arrangement.beat_s
    out = []
    for bar in arrangement.bars:
        if bar.is_last_in_song:
            phrase: tuple[tuple[float, float, float], ...] = ((0.0, 4.0, 69.0),)
        elif bar.kind in ("intro", "outro"):
            phrase = _HOOK[bar.chord.name]
        elif bar.kind == "chorus":
            phrase = ((0.0, 3.8, float(midi_in_range(bar.chord.pitch_classes[2], 72))),)
        else:
            continue
        velocity = 0.5 if bar.kind == "chorus" else 0.85
        for beat_pos, length, midi in phrase:
            start, vel = _humanize(rng, bar.start_s + beat_pos * beat, velocity, timing_sd_s=0.002)
            out.append(Note(start, length * beat * 0.92, float(midi), vel))
    return tuple(out)


def _melody_bar(bar: Bar) -> tuple[tuple[float, float, float], ...]:
    phrases = _VERSE if bar.kind == "verse" else _CHORUS
    return phrases[(bar.bar_in_section // 4) % 2][bar.bar_in_section % 4]


def _syllable(rng: np.random.Generator, length_beats: float) -> tuple[str, str]:
    vowel = str(rng.choice(("a", "o"))) if length_beats >= 1.5 else str(rng.choice(_VOWELS, p=_VOWEL_ODDS))
    return vowel, str(rng.choice(_CONSONANTS))


def vocal_notes(arrangement: Arrangement, rng: np.random.Generator) -> tuple[Note, ...]:
    """The lead vocal melody, one syllable per note, in verses and choruses."""
    beat = arrangement.beat_s
    out = []
    for bar in arrangement.bars:
        if bar.kind not in ("verse", "chorus"):
            continue
        for beat_pos, length, midi in _melody_bar(bar):
            start, vel = _humanize(rng, bar.start_s + beat_pos * beat, 0.85, timing_sd_s=0.008)
            vowel, consonant = _syllable(rng, length)
            out.append(Note(start, length * beat * 0.95, float(midi), vel, vowel, consonant))
    return tuple(out)


def harmony_notes(arrangement: Arrangement, rng: np.random.Generator, *, steps: int) -> tuple[Note, ...]:
    """A backing vocal ``steps`` scale degrees from the melody in choruses, "ooh"s and "aah"s elsewhere.

    ``steps=2`` sings a third above the melody, ``steps=-2`` a third below.
    """
    beat = arrangement.beat_s
    out = []
    for bar in arrangement.bars:
        if bar.kind == "chorus":
            for beat_pos, length, midi in _melody_bar(bar):
                start, vel = _humanize(rng, bar.start_s + beat_pos * beat, 0.75, timing_sd_s=0.012)
                vowel, consonant = _syllable(rng, length)
                out.append(Note(start, length * beat * 0.93, diatonic(midi, steps), vel, vowel, consonant))
        elif (bar.kind == "verse" and bar.section.occurrence > 0) or bar.kind == "outro":
            pc = bar.chord.pitch_classes[1] if steps > 0 else bar.chord.root
            vowel = "u" if bar.kind == "verse" else "a"
            start, vel = _humanize(rng, bar.start_s + 0.05, 1.0 if bar.is_last_in_song else 0.6, timing_sd_s=0.015)
            length = arrangement.bar_s * 0.94 + (arrangement.tail_s * 0.5 if bar.is_last_in_song else 0.0)
            out.append(Note(start, length, float(midi_in_range(pc, 60 if steps > 0 else 55)), vel, vowel, ""))
    return tuple(out)


__all__ = [
    "SCALE",
    "Hit",
    "Note",
    "bass_notes",
    "diatonic",
    "drum_hits",
    "guitar_notes",
    "guitar_voicing",
    "harmony_notes",
    "keys_notes",
    "keys_voicing",
    "lead_synth_notes",
    "midi_in_range",
    "pad_notes",
    "vocal_notes",
]
