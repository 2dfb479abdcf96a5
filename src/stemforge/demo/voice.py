"""A singing voice by source-filter (formant) synthesis.

The source is a Rosenberg glottal pulse (Rosenberg, JASA 49, 1971) whose period follows
the melody with portamento, a scoop into each note, delayed vibrato and slow pitch drift;
its time derivative stands in for the glottal flow plus lip radiation, and a little
aspiration noise rides on the open phase. The filter is a cascade of four formant
resonators per vowel (formant frequencies after Peterson & Barney, JASA 24, 1952, women's
averages; the fourth formant assumed). Rather than re-tuning resonators sample by sample,
each vowel's filter runs over the spans where that vowel sounds and the outputs are
cross-faded with smoothed weights, which is a close, fully vectorized stand-in for gliding
formants. Consonants are short shaped noise bursts before their vowel; breaths precede
phrases. A presence lift above 2.5 kHz and a soft saturation stand in for the condenser
mic and the compressor a vocal is tracked through.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import signal

from stemforge.demo.parts import Note
from stemforge.demo.synth import (
    Float64,
    Mono,
    bandpass,
    highpass,
    no_subnormals,
    note_envelope,
    place,
    resonator_sos,
    sine,
    smooth,
    soft_clip,
)

#: Formant frequencies F1-F4 in Hz per vowel.
FORMANTS_HZ: dict[str, tuple[float, float, float, float]] = {
    "a": (850.0, 1220.0, 2810.0, 3800.0),
    "e": (610.0, 2330.0, 2990.0, 3900.0),
    "i": (310.0, 2790.0, 3310.0, 4100.0),
    "o": (590.0, 920.0, 2710.0, 3700.0),
    "u": (370.0, 950.0, 2670.0, 3600.0),
}
_BANDWIDTHS_HZ = (90.0, 110.0, 170.0, 220.0)


@dataclass(frozen=True)
class Singer:
    """Who sings.

    Attributes
    ----------
    formant_scale : float
        Vocal tract size: 1.0 for the formant table, below 1 for a larger (lower) tract.
    vibrato_hz : float
        Vibrato rate.
    vibrato_semitones : float
        Vibrato depth (peak) once fully developed.
    breathiness : float
        Level of aspiration noise relative to the voiced source.
    compression : float
        Drive of the soft saturation standing in for the compressor it was tracked through
        (higher is denser; 1 is gentle).
    """

    formant_scale: float = 1.0
    vibrato_hz: float = 5.4
    vibrato_semitones: float = 0.35
    breathiness: float = 0.05
    compression: float = 2.0


@functools.lru_cache(maxsize=64)
def _vowel_sos(vowel: str, scale: float, sample_rate: int) -> Float64:
    stages = [
        resonator_sos(f * scale, b, sample_rate)
        for f, b in zip(FORMANTS_HZ[vowel], _BANDWIDTHS_HZ, strict=True)
        if f * scale < 0.45 * sample_rate
    ]
    sos = np.concatenate(stages)
    impulse = np.zeros(2048)
    impulse[0] = 1.0
    response = signal.sosfilt(sos, impulse)  # equal power gain for every vowel
    sos[0, :3] /= np.sqrt(np.sum(response**2))
    return sos


def _phrases(notes: Sequence[Note], *, gap_s: float) -> list[list[Note]]:
    """Split a part where the singer stops for longer than ``gap_s``."""
    out: list[list[Note]] = []
    end_s = -np.inf
    for note in sorted(notes, key=lambda n: n.start_s):
        if note.start_s - end_s > gap_s or not out:
            out.append([])
        out[-1].append(note)
        end_s = max(end_s, note.start_s + note.duration_s)
    return out


def _glottal_flow(phase_cycles: Float64, *, rise: float = 0.4, fall: float = 0.16) -> Mono:
    """Rosenberg's trigonometric glottal pulse, one period per cycle of the phase."""
    frac = (phase_cycles % 1.0).astype(np.float32)
    opening = 0.5 - 0.5 * np.cos(np.float32(np.pi / rise) * frac)
    closing = np.cos(np.float32(0.5 * np.pi / fall) * np.clip(frac - np.float32(rise), 0.0, fall))
    return np.where(frac < rise, opening, closing).astype(np.float32)


_RELEASE_S = 0.09


def _sing_phrase(phrase: Sequence[Note], rng: np.random.Generator, singer: Singer, sample_rate: int, frames: int, offset: int) -> Mono:
    """One phrase, ``frames`` long, whose first frame is frame ``offset`` of the track."""
    midi = np.zeros(frames)
    amplitude = np.zeros(frames, dtype=np.float32)
    vibrato_depth = np.zeros(frames, dtype=np.float32)
    scoop = np.zeros(frames, dtype=np.float32)
    for i, note in enumerate(phrase):
        s = round(note.start_s * sample_rate) - offset
        hold = round(note.duration_s * sample_rate)
        e = min(frames, s + hold)
        until = frames if i + 1 == len(phrase) else round(phrase[i + 1].start_s * sample_rate) - offset
        lo = 0 if i == 0 else s  # the pitch holds until the next syllable
        midi[lo:until] = note.midi
        n = min(frames - s, hold + int(_RELEASE_S * sample_rate))
        env = note_envelope(n, sample_rate, attack_s=0.035, hold_frames=hold, release_s=_RELEASE_S)
        amplitude[s : s + n] = np.maximum(amplitude[s : s + n], note.velocity * env)
        t = np.arange(e - s, dtype=np.float32) / np.float32(sample_rate)
        vibrato_depth[s:e] = singer.vibrato_semitones * np.clip((t - 0.22) / 0.35, 0.0, 1.0)
        vibrato_depth[e:until] = vibrato_depth[e - 1]  # the vibrato rings on into the release
        scoop[s:e] = -0.7 * np.exp(-t / np.float32(0.045))
    # Pitch: portamento between notes, scoop, vibrato and a slow wander of a few cents.
    midi = smooth(midi, 0.025, sample_rate)
    t = np.arange(frames, dtype=np.float32) / np.float32(sample_rate)
    wander_points = rng.normal(0.0, 0.07, int(frames / sample_rate * 8) + 2)
    wander = np.interp(t, np.linspace(0.0, t[-1], wander_points.shape[0]), wander_points)
    vibrato = vibrato_depth * sine(np.float32(singer.vibrato_hz) * t + np.float32(rng.random()))
    semitones = ((midi + scoop + vibrato + wander - 69.0) / 12.0).astype(np.float32)
    f0_hz = np.exp2(semitones) * np.float32(440.0)
    flow = _glottal_flow(np.cumsum(f0_hz / sample_rate, dtype=np.float64))
    source = np.diff(flow, prepend=flow[:1]) * np.float32(300.0 / np.mean(f0_hz))
    noise = rng.standard_normal(frames, dtype=np.float32)
    aspiration = np.diff(noise, prepend=np.float32(0.0)) * (0.3 + flow)  # differenced: tilted to the highs
    excitation = no_subnormals((source + singer.breathiness * 0.05 * aspiration) * amplitude)
    # Formants: each syllable through its vowel's resonators, cross-faded into the next.
    out = np.zeros(frames, dtype=np.float32)
    pre_roll, fade = int(0.03 * sample_rate), int(0.03 * sample_rate)
    ramp = np.sin(np.linspace(0.0, 0.5 * np.pi, fade, dtype=np.float32)) ** 2  # sin² + cos² = 1
    for i, note in enumerate(phrase):
        a = 0 if i == 0 else round(note.start_s * sample_rate) - offset - fade // 2
        b = frames if i + 1 == len(phrase) else round(phrase[i + 1].start_s * sample_rate) - offset + fade - fade // 2
        a, b = max(0, a), min(frames, b)
        if b - a < 2 * fade:  # too short to cross-fade (never in the demo's parts)
            continue
        a0 = max(0, a - pre_roll)
        y = signal.sosfilt(_vowel_sos(note.vowel or "a", singer.formant_scale, sample_rate), excitation[a0:b])
        y = y[a - a0 :].astype(np.float32)
        if i > 0:
            y[:fade] *= ramp
        if i + 1 < len(phrase):
            y[-fade:] *= ramp[::-1]
        out[a:b] += y
    return out


def sing(notes: Sequence[Note], rng: np.random.Generator, *, singer: Singer, sample_rate: int, frames: int) -> Mono:
    """Render a sung part, mono float32 ``(frames,)``, peaking near 1.

    Each note is one syllable: its vowel sounds for the note's length, its consonant (if
    any) just before it. Phrases (notes separated by less than a quarter second) are
    synthesized one at a time, so silence between them costs nothing.
    """
    voiced = np.zeros(frames, dtype=np.float32)
    for phrase in _phrases(notes, gap_s=0.25):
        a = max(0, round(phrase[0].start_s * sample_rate) - int(0.05 * sample_rate))
        end_s = max(n.start_s + n.duration_s for n in phrase) + _RELEASE_S + 0.1
        b = min(frames, round(end_s * sample_rate))
        if b - a > 1:
            voiced[a:b] += _sing_phrase(phrase, rng, singer, sample_rate, b - a, a)
    voiced += highpass(voiced, 2500.0, sample_rate)  # the presence a vocal mic (and the singer's formant) adds
    voiced /= np.max(np.abs(voiced)) + 1e-9
    voiced = soft_clip(voiced, singer.compression)  # sung into a compressor, as vocals are tracked
    return highpass(voiced + _consonants(notes, rng, sample_rate, frames), 90.0, sample_rate)


def _consonants(notes: Sequence[Note], rng: np.random.Generator, sample_rate: int, frames: int) -> Mono:
    """Fricatives, plosive bursts and breaths, placed just before their notes."""
    out = np.zeros(frames, dtype=np.float32)
    previous_end_s = -10.0
    for note in notes:
        onset = round(note.start_s * sample_rate)
        if note.start_s - previous_end_s > 0.6:  # a breath before each phrase
            n = int(0.3 * sample_rate)
            env = note_envelope(n, sample_rate, attack_s=0.15, hold_frames=int(0.18 * sample_rate), release_s=0.1)
            breath = bandpass(rng.standard_normal(n).astype(np.float32), 700.0, 3500.0, sample_rate)
            place(out, breath * env, onset - n - int(0.05 * sample_rate), 0.015)
        previous_end_s = note.start_s + note.duration_s
        if note.consonant == "s":
            n = int(0.075 * sample_rate)
            env = note_envelope(n, sample_rate, attack_s=0.03, hold_frames=int(0.05 * sample_rate), release_s=0.02)
            hiss = highpass(rng.standard_normal(n).astype(np.float32), 5000.0, sample_rate, order=4)
            place(out, hiss * env, onset - n + int(0.01 * sample_rate), 0.09 * note.velocity)
        elif note.consonant in ("t", "k"):
            n = int(0.02 * sample_rate)
            band = (2500.0, 7000.0) if note.consonant == "t" else (1200.0, 3500.0)
            env = np.exp(-np.arange(n, dtype=np.float32) / np.float32(0.005 * sample_rate))
            burst = bandpass(rng.standard_normal(n).astype(np.float32), *band, sample_rate) * env
            place(out, burst, onset - int(0.012 * sample_rate), 0.12 * note.velocity)
    return out


__all__ = ["FORMANTS_HZ", "Singer", "sing"]
