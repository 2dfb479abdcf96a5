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
phrases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import signal

from stemforge.demo.parts import Note
from stemforge.demo.synth import Float64, Mono, bandpass, highpass, note_envelope, place, resonator_sos, smooth

#: Formant frequencies F1-F4 in Hz per vowel.
FORMANTS_HZ: dict[str, tuple[float, float, float, float]] = {
    "a": (850.0, 1220.0, 2810.0, 3800.0),
    "e": (610.0, 2330.0, 2990.0, 3900.0),
    "i": (310.0, 2790.0, 3310.0, 4100.0),
    "o": (590.0, 920.0, 2710.0, 3700.0),
    "u": (370.0, 950.0, 2670.0, 3600.0),
}
_BANDWIDTHS_HZ = (90.0, 110.0, 170.0, 220.0)
_VOWELS = tuple(FORMANTS_HZ)


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
    """

    formant_scale: float = 1.0
    vibrato_hz: float = 5.4
    vibrato_semitones: float = 0.35
    breathiness: float = 0.05


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


def _fill_gaps(x: Float64) -> Float64:
    """Forward-fill NaNs (then back-fill any leading ones)."""
    valid = ~np.isnan(x)
    if not valid.any():
        return np.zeros_like(x)
    index = np.where(valid, np.arange(x.shape[0]), 0)
    np.maximum.accumulate(index, out=index)
    out = x[index]
    out[: np.argmax(valid)] = x[np.argmax(valid)]
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open ``[start, end)`` runs where ``mask`` is true."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _glottal_flow(phase_cycles: Float64, *, rise: float = 0.4, fall: float = 0.16) -> Mono:
    """Rosenberg's trigonometric glottal pulse, one period per cycle of the phase."""
    frac = (phase_cycles % 1.0).astype(np.float32)
    opening = 0.5 - 0.5 * np.cos(np.pi * frac / rise)
    closing = np.cos(0.5 * np.pi * np.clip((frac - rise) / fall, 0.0, 1.0))
    return np.where(frac < rise, opening, np.where(frac < rise + fall, closing, 0.0)).astype(np.float32)


def sing(notes: Sequence[Note], rng: np.random.Generator, *, singer: Singer, sample_rate: int, frames: int) -> Mono:
    """Render a sung part, mono float32 ``(frames,)``, peaking near 1.

    Each note is one syllable: its vowel sounds for the note's length, its consonant (if
    any) just before it.
    """
    midi = np.full(frames, np.nan)
    amplitude = np.zeros(frames, dtype=np.float32)
    vibrato_depth = np.zeros(frames, dtype=np.float32)
    scoop = np.zeros(frames, dtype=np.float32)
    vowel_index = np.full(frames, np.nan)
    release_s = 0.09
    for note in notes:
        s = round(note.start_s * sample_rate)
        hold = round(note.duration_s * sample_rate)
        e = min(frames, s + hold)
        if e <= s:
            continue
        midi[s:e] = note.midi
        vowel_index[s:e] = _VOWELS.index(note.vowel or "a")
        n = min(frames - s, hold + int(release_s * sample_rate))
        env = note_envelope(n, sample_rate, attack_s=0.035, hold_frames=hold, release_s=release_s)
        amplitude[s : s + n] = np.maximum(amplitude[s : s + n], note.velocity * env)
        t = np.arange(e - s, dtype=np.float32) / sample_rate
        vibrato_depth[s:e] = singer.vibrato_semitones * np.clip((t - 0.22) / 0.35, 0.0, 1.0)
        scoop[s:e] = -0.7 * np.exp(-t / 0.045)
    # Pitch: portamento between notes, scoop, vibrato and a slow wander of a few cents.
    midi = smooth(_fill_gaps(midi), 0.025, sample_rate)
    vibrato_depth = smooth(vibrato_depth, 0.08, sample_rate).astype(np.float32)
    t = np.arange(frames) / sample_rate
    wander_points = rng.normal(0.0, 0.07, int(frames / sample_rate * 8) + 2)
    wander = np.interp(t, np.linspace(0.0, t[-1] if frames > 1 else 1.0, wander_points.shape[0]), wander_points)
    vibrato = vibrato_depth * np.sin(2.0 * np.pi * singer.vibrato_hz * t + rng.uniform(0, 2 * np.pi))
    f0_hz = 440.0 * 2.0 ** ((midi + scoop + vibrato + wander - 69.0) / 12.0)
    phase = np.cumsum(f0_hz / sample_rate)
    flow = _glottal_flow(phase)
    source = np.diff(flow, prepend=flow[:1]) * np.float32(300.0 / np.mean(f0_hz))
    aspiration = highpass(rng.standard_normal(frames).astype(np.float32), 1500.0, sample_rate) * (0.3 + flow)
    excitation = (source + singer.breathiness * 0.05 * aspiration) * amplitude
    # Formants: each vowel's resonators over the spans where it sounds, cross-faded.
    held = _fill_gaps(vowel_index)
    active = smooth((amplitude > 0).astype(np.float64), 0.03, sample_rate) > 1e-4
    pre_roll = int(0.03 * sample_rate)
    voiced = np.zeros(frames, dtype=np.float32)
    for k, vowel in enumerate(_VOWELS):
        weight = smooth((held == k).astype(np.float64), 0.02, sample_rate)
        sos = _vowel_sos(vowel, singer.formant_scale, sample_rate)
        for a, b in _runs((weight > 1e-3) & active):
            a0 = max(0, a - pre_roll)
            y = signal.sosfilt(sos, excitation[a0:b])
            voiced[a:b] += (weight[a:b] * y[a - a0 :]).astype(np.float32)
    voiced /= np.max(np.abs(voiced)) + 1e-9
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
