"""The demo song's pitched instruments and its FX riser.

Each function renders a part (a sequence of :class:`~stemforge.demo.parts.Note`) to the
samples one track of a session would hold: a bass DI and its amp, an FM electric piano,
Karplus-Strong guitars, a detuned-saw pad, a lead synth with a printed delay, and a
noise riser. Shapes are float32 ``(frames,)`` for mono and ``(2, frames)`` for stereo.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import signal

from stemforge.audio import AudioBuffer, resample
from stemforge.demo.parts import Note
from stemforge.demo.song import Arrangement
from stemforge.demo.synth import (
    Mono,
    Signal,
    convolve,
    delay,
    exp_decay,
    highpass,
    lowpass,
    midi_to_hz,
    note_envelope,
    place,
    plucks,
    reverb_ir,
    runs,
    saw,
    sine,
    smooth,
    soft_clip,
)


def _plucked(
    notes: Sequence[Note],
    rng: np.random.Generator,
    *,
    sample_rate: int,
    frames: int,
    release_s: float,
    decay_s: Callable[[Note], float],
    brightness: Callable[[Note], float],
    gain: Callable[[Note], float],
) -> Mono:
    """Render plucked-string notes, computing plucks of the same string and length class together."""
    out = np.zeros(frames, dtype=np.float32)
    groups: dict[tuple[float, float, int], list[Note]] = {}
    for note in notes:
        length_class = int(np.ceil(np.log2(max(note.duration_s, 0.02) / 0.02)))
        groups.setdefault((note.midi, decay_s(note), length_class), []).append(note)
    for (midi, decay, _), group in sorted(groups.items()):
        holds = [int(max(note.duration_s, 0.02) * sample_rate) for note in group]
        lengths = [hold + int(release_s * sample_rate) for hold in holds]
        tones = plucks(midi_to_hz(midi), lengths, sample_rate, rng, decay_s=decay, brightness=[brightness(n) for n in group])
        for note, tone, hold in zip(group, tones, holds, strict=True):
            env = note_envelope(tone.shape[0], sample_rate, attack_s=0.001, hold_frames=hold, release_s=release_s)
            place(out, tone * env, round(note.start_s * sample_rate), gain(note))
    return out


def bass_di(notes: Sequence[Note], rng: np.random.Generator, *, sample_rate: int, frames: int) -> Mono:
    """A finger-played electric bass from its pickups, through a compressor.

    Low strings lose their highs much faster than a Karplus-Strong loop at these periods
    does, so the plucks are darkened with a low-pass and the fundamental, which neck
    pickups hear strongly, is reinforced with a sine following each note.
    """
    strings = _plucked(
        notes,
        rng,
        sample_rate=sample_rate,
        frames=frames,
        release_s=0.06,
        decay_s=lambda note: 3.0,
        brightness=lambda note: 0.04 + 0.08 * note.velocity,
        gain=lambda note: 0.4 + 0.6 * note.velocity,
    )
    out = lowpass(strings, 1200.0, sample_rate)
    out *= 1.0 / (np.max(np.abs(out)) + 1e-9)
    release_s = 0.06
    for note in notes:
        hold = int(note.duration_s * sample_rate)
        n = hold + int(release_s * sample_rate)
        t = np.arange(n, dtype=np.float32) / np.float32(sample_rate)
        env = exp_decay(n, 1.2, sample_rate) * note_envelope(n, sample_rate, attack_s=0.004, hold_frames=hold, release_s=release_s)
        place(out, sine(np.float32(midi_to_hz(note.midi)) * t) * env, round(note.start_s * sample_rate), 0.35 * (0.4 + 0.6 * note.velocity))
    # Bassists' DIs usually pass a compressor on the way in: even the notes out.
    return soft_clip(highpass(out, 30.0, sample_rate) / (np.max(np.abs(out)) + 1e-9), 2.5)


def bass_amp(di: Mono, *, sample_rate: int) -> Mono:
    """The same performance through a driven amp and a miked cabinet (a little later, darker)."""
    driven = soft_clip(di / (np.max(np.abs(di)) + 1e-9), 1.5)
    cabinet = lowpass(highpass(driven, 140.0, sample_rate), 2500.0, sample_rate, order=4)
    return delay(cabinet, round(0.0007 * sample_rate))


def rhodes(notes: Sequence[Note], *, sample_rate: int, frames: int) -> Mono:
    """An FM electric piano (1:1 carrier/modulator with a decaying index) with stereo tremolo.

    Returns
    -------
    np.ndarray, float32, shape (2, frames)
    """
    out = np.zeros(frames, dtype=np.float32)
    release_s = 0.18
    for note in notes:
        hold = int(note.duration_s * sample_rate)
        n = hold + int(release_s * sample_rate)
        t = np.arange(n, dtype=np.float32) / np.float32(sample_rate)
        f = np.float32(midi_to_hz(note.midi))
        index = np.float32(0.5 + 2.0 * note.velocity) * np.exp(-t / np.float32(0.3))
        carrier_cycles = f * t
        tone = sine(carrier_cycles + index * sine(carrier_cycles) / np.float32(2.0 * np.pi))
        tine = np.float32(0.12 * note.velocity) * sine(np.float32(7.02) * carrier_cycles) * exp_decay(n, 0.05, sample_rate)
        env = exp_decay(n, 1.6, sample_rate) * note_envelope(n, sample_rate, attack_s=0.003, hold_frames=hold, release_s=release_s)
        place(out, (tone + tine) * env, round(note.start_s * sample_rate), note.velocity)
    out = lowpass(out, 7000.0, sample_rate)
    wobble = 0.3 * sine(4.2 * np.arange(frames) / sample_rate)
    return np.stack([out * (1.0 + wobble), out * (1.0 - wobble)]).astype(np.float32)


def guitar(notes: Sequence[Note], rng: np.random.Generator, *, sample_rate: int, frames: int) -> Mono:
    """One take of a strummed electric rhythm guitar through a lightly driven amp.

    Notes shorter than 0.15 s are palm-muted: duller and quickly damped.
    """
    out = _plucked(
        notes,
        rng,
        sample_rate=sample_rate,
        frames=frames,
        release_s=0.04,
        decay_s=lambda note: 0.18 if note.duration_s < 0.15 else 2.4 - 0.02 * (note.midi - 40),
        brightness=lambda note: (0.3 if note.duration_s < 0.15 else 0.55) + 0.25 * note.velocity,
        gain=lambda note: note.velocity,
    )
    amp = soft_clip(out / (np.max(np.abs(out)) + 1e-9), 1.2)
    return lowpass(highpass(amp, 90.0, sample_rate), 5500.0, sample_rate, order=4)


def pad(notes: Sequence[Note], rng: np.random.Generator, *, sample_rate: int, frames: int) -> Mono:
    """A warm detuned-saw pad, low-passed and reverberant, playing legato chord to chord.

    Notes starting together form a chord; the chords' notes, lowest first, are handed to
    four voices that glide from chord to chord (as a synth's voice allocation would), so
    the oscillators run continuously and are computed once for the whole part. Chords
    with a velocity below 0.7 (the second verse) sound through a darker filter.

    The pad holds nothing above 5 kHz, so at an even ``sample_rate`` it is synthesized at
    half the rate (half the work) and upsampled once by exactly two: every event stays
    on the same sample of the ``sample_rate`` timeline.

    Returns
    -------
    np.ndarray, float32, shape (2, frames)
    """
    if sample_rate % 2 == 0 and sample_rate >= 32000:
        half = _pad(notes, rng, sample_rate=sample_rate // 2, frames=(frames + 1) // 2)
        full = resample(AudioBuffer(half, sample_rate // 2), sample_rate).samples
        out = np.zeros((2, frames), dtype=np.float32)
        out[:, : min(frames, full.shape[1])] = full[:, :frames]
        return out
    return _pad(notes, rng, sample_rate=sample_rate, frames=frames)


def _pad(notes: Sequence[Note], rng: np.random.Generator, *, sample_rate: int, frames: int) -> Mono:
    chords: dict[float, list[Note]] = {}
    for note in notes:
        chords.setdefault(note.start_s, []).append(note)
    voices = max((len(c) for c in chords.values()), default=0)
    midi = np.zeros((voices, frames))
    gate = np.zeros(frames)
    bright = np.zeros(frames)
    starts = sorted(chords)
    for i, start_s in enumerate(starts):
        chord = sorted(chords[start_s], key=lambda n: n.midi)
        s = round(start_s * sample_rate)
        e = min(frames, s + round(chord[0].duration_s * sample_rate))
        held = frames if i + 1 == len(starts) else round(starts[i + 1] * sample_rate)
        for k in range(voices):
            midi[k, s:held] = chord[min(k, len(chord) - 1)].midi
        if i == 0:
            midi[:, :s] = midi[:, s : s + 1]
        gate[s:e] = chord[0].velocity
        bright[s:e] = 1.0 if chord[0].velocity >= 0.7 else 0.0
    level = smooth(gate, 0.3, sample_rate)
    bright = smooth(bright, 0.5, sample_rate)
    out = np.zeros((2, frames), dtype=np.float32)
    for a, b in runs(level > 1e-4):
        for k in range(voices):
            glide = smooth(midi[k, a:b], 0.012, sample_rate)
            inc_centre = np.exp2(((glide - 69.0) / 12.0).astype(np.float32)) * np.float32(440.0 / sample_rate)
            for side, cents in enumerate((-8.0 + 2.0 * k, 7.0 - 1.5 * k)):
                inc = inc_centre * np.float32(2.0 ** (cents / 1200.0))
                out[side, a:b] += saw(np.cumsum(inc, dtype=np.float64) + rng.random(), inc)
        out[:, a:b] *= (0.25 * level[a:b]).astype(np.float32)
    dry = lowpass(out, 2600.0, sample_rate)
    for a, b in runs(bright < 0.999):  # cross-fade to the darker filter where asked
        fade = bright[a:b].astype(np.float32)
        dry[:, a:b] = fade * dry[:, a:b] + (1.0 - fade) * lowpass(out[:, a:b], 1100.0, sample_rate, order=4)
    for k in (0, 1):
        dry[k] += 0.8 * convolve(dry[k], reverb_ir(rng, sample_rate, decay_s=2.0, length_s=1.6, damping_hz=3000.0))
    return dry


def lead_synth(notes: Sequence[Note], rng: np.random.Generator, *, sample_rate: int, frames: int, beat_s: float) -> Mono:
    """A saw lead with vibrato, printed with its dotted-eighth delay and a short reverb."""
    out = np.zeros(frames, dtype=np.float32)
    release_s = 0.12
    for note in notes:
        hold = int(note.duration_s * sample_rate)
        n = hold + int(release_s * sample_rate)
        t = np.arange(n) / sample_rate
        vibrato = 0.15 * np.clip((t - 0.3) / 0.3, 0.0, 1.0) * np.sin(2.0 * np.pi * 5.5 * t)
        tone = np.zeros(n, dtype=np.float32)
        for cents in (-6.0, 6.0):
            inc = 440.0 * 2.0 ** ((note.midi + cents / 100.0 + vibrato - 69.0) / 12.0) / sample_rate
            tone += saw(np.cumsum(inc) + rng.random(), inc)
        env = note_envelope(n, sample_rate, attack_s=0.006, hold_frames=hold, release_s=release_s)
        place(out, tone * env, round(note.start_s * sample_rate), note.velocity)
    dry = lowpass(highpass(out, 150.0, sample_rate), 3800.0, sample_rate)
    echo = lowpass(dry, 2500.0, sample_rate)
    step = round(0.75 * beat_s * sample_rate)
    wet = dry + 0.3 * delay(echo, step) + 0.12 * delay(echo, 2 * step)
    room = convolve(wet, reverb_ir(rng, sample_rate, decay_s=1.4, length_s=1.4, damping_hz=4000.0))
    return (wet + 0.5 * room).astype(np.float32)


def _swept_band(noise: Mono, centre_hz: Signal, sample_rate: int, *, q: float, block: int = 256) -> Mono:
    """Noise through a resonant band-pass whose centre follows ``centre_hz`` (per sample)."""
    out = np.zeros_like(noise)
    zi = np.zeros(2)
    for s in range(0, noise.shape[-1], block):
        f = float(centre_hz[s])
        r = np.exp(-np.pi * (f / q) / sample_rate)
        a = [1.0, -2.0 * r * np.cos(2.0 * np.pi * f / sample_rate), r * r]
        b = [(1.0 - r * r) / 2.0, 0.0, -(1.0 - r * r) / 2.0]
        out[s : s + block], zi = signal.lfilter(b, a, noise[s : s + block], zi=zi)
    return out


def riser_fx(arrangement: Arrangement, rng: np.random.Generator, *, sample_rate: int) -> tuple[Mono, int]:
    """Noise sweeps up into every chorus, each landing on an impact.

    Returns
    -------
    samples : np.ndarray, float32, shape (2, frames)
        Starting at the first sweep's first sample (no leading silence).
    start_frame : int
        Where that first sample belongs on the song's timeline.
    """
    risers = arrangement.risers()
    start_frame = round(risers[0].start_s * sample_rate)
    end_frame = min(arrangement.frames(sample_rate), round(risers[-1].end_s * sample_rate + 2.5 * sample_rate))
    out = np.zeros((2, end_frame - start_frame), dtype=np.float32)
    for riser in risers:
        n = round((riser.end_s - riser.start_s) * sample_rate)
        u = np.arange(n) / n
        centre = 250.0 * (9000.0 / 250.0) ** (u**1.5)
        rate_hz = 4.0 + 12.0 * u
        tremolo = 0.75 + 0.25 * sine(np.cumsum(rate_hz) / sample_rate)
        sweep_cycles = np.cumsum(220.0 * 8.0**u) / sample_rate
        sweep = 0.18 * u**3 * sine(sweep_cycles)
        for side in (0, 1):
            band = _swept_band(rng.standard_normal(n).astype(np.float32), centre, sample_rate, q=2.5)
            fade_in = 0.5 - 0.5 * np.cos(np.pi * np.minimum(u / 0.1, 1.0))
            place(out[side], (band * 1.4 + sweep) * tremolo * u**2.2 * fade_in, round(riser.start_s * sample_rate) - start_frame)
        m = int(2.4 * sample_rate)
        t = np.arange(m) / sample_rate
        boom = sine(np.cumsum(32.0 + 40.0 * np.exp(-t / 0.08)) / sample_rate) * exp_decay(m, 0.45, sample_rate)
        for side in (0, 1):
            wash = lowpass(rng.standard_normal(m).astype(np.float32), 4000.0, sample_rate) * exp_decay(m, 0.5, sample_rate)
            place(out[side], 0.5 * boom + 0.35 * wash, round(riser.end_s * sample_rate) - start_frame)
    return out, start_frame


__all__ = ["bass_amp", "bass_di", "guitar", "lead_synth", "pad", "rhodes", "riser_fx"]
