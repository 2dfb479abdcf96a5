"""Seeded synthetic signals that resemble each class, for the audio classifier's tests."""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfilt

Mono = np.ndarray


def _env(frames: int, sample_rate: int, decay_s: float, attack_s: float = 0.002) -> Mono:
    t = np.arange(frames) / sample_rate
    return np.minimum(1.0, t / attack_s) * np.exp(-t / decay_s)


def drum_loop(sample_rate: int, seconds: float = 6.0, *, seed: int = 1, bpm: float = 110.0) -> Mono:
    """Kick on 1 and 3, snare on 2 and 4, closed hats on eighths."""
    rng = np.random.default_rng(seed)
    frames = int(seconds * sample_rate)
    out = np.zeros(frames)
    beat = int(60.0 / bpm * sample_rate)
    n = int(0.4 * sample_rate)
    t = np.arange(n) / sample_rate
    kick_phase = 2 * np.pi * np.cumsum(50 + 100 * np.exp(-t / 0.03)) / sample_rate
    kick = np.sin(kick_phase) * _env(n, sample_rate, 0.12)
    hp = butter(4, 7000, "highpass", fs=sample_rate, output="sos")
    bp = butter(2, [1000, 6000], "bandpass", fs=sample_rate, output="sos")
    for i, start in enumerate(range(0, frames - n, beat)):
        snare_noise = sosfilt(bp, rng.standard_normal(n)) * _env(n, sample_rate, 0.08)
        snare = 0.8 * snare_noise + 0.4 * np.sin(2 * np.pi * 190 * t) * _env(n, sample_rate, 0.05)
        out[start : start + n] += kick if i % 2 == 0 else snare
        for half in (0, beat // 2):
            s = start + half
            m = min(int(0.06 * sample_rate), frames - s)
            hat = sosfilt(hp, rng.standard_normal(m)) * _env(m, sample_rate, 0.02)
            out[s : s + m] += 0.3 * hat
    return (0.5 * out / np.max(np.abs(out))).astype(np.float32)


def bass_line(sample_rate: int, seconds: float = 6.0, *, seed: int = 2) -> Mono:
    """A picked bass: notes of 0.4–0.8 s between E1 and E2, few harmonics, lowpassed."""
    rng = np.random.default_rng(seed)
    frames = int(seconds * sample_rate)
    out = np.zeros(frames)
    pos = 0
    notes = [41.2, 55.0, 61.7, 49.0, 73.4, 41.2, 82.4, 55.0]
    i = 0
    while pos < frames:
        length = min(int(rng.uniform(0.4, 0.8) * sample_rate), frames - pos)
        t = np.arange(length) / sample_rate
        f = notes[i % len(notes)]
        tone = sum(np.sin(2 * np.pi * k * f * t) / k**1.5 for k in range(1, 8))
        out[pos : pos + length] = tone * _env(length, sample_rate, 0.9, attack_s=0.004)
        pos += length
        i += 1
    lp = butter(2, 600, "lowpass", fs=sample_rate, output="sos")
    out = sosfilt(lp, out)
    return (0.5 * out / np.max(np.abs(out))).astype(np.float32)


def sung_vowel(sample_rate: int, seconds: float = 6.0, *, seed: int = 3) -> Mono:
    """A legato melody (A3–E4) with 5.5 Hz vibrato through "ah" formants (F1 750, F2 1200, F3 2600)."""
    rng = np.random.default_rng(seed)
    frames = int(seconds * sample_rate)
    t = np.arange(frames) / sample_rate
    melody = np.array([57, 60, 62, 64, 62, 60, 59, 57], dtype=float)
    steps = np.repeat(melody, int(np.ceil(frames / len(melody))))[:frames]
    glide = np.convolve(steps, np.ones(int(0.08 * sample_rate)) / int(0.08 * sample_rate), mode="same")
    glide[: int(0.08 * sample_rate)] = melody[0]
    midi = glide + 0.3 * np.sin(2 * np.pi * 5.5 * t) + 0.05 * rng.standard_normal(frames).cumsum() / np.sqrt(frames)
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    out = np.zeros(frames)
    formants = ((750, 90, 1.0), (1200, 110, 0.5), (2600, 160, 0.25))
    for k in range(1, 40):
        fk = k * f0
        if fk.min() > 5000:  # enough for the formant cues, and quick to make
            break
        gain = sum(a / (1 + ((fk - fc) / bw) ** 2) for fc, bw, a in formants) / k**0.5
        out += gain * np.sin(k * phase) * (fk < sample_rate / 2 - 1000)
    breath = sosfilt(butter(2, [2000, 6000], "bandpass", fs=sample_rate, output="sos"), rng.standard_normal(frames))
    out = out / np.max(np.abs(out)) + 0.01 * breath
    phrase = np.clip(np.sin(np.pi * (t % 3.0) / 3.0) * 4, 0, 1)  # phrases with breaths between
    return (0.5 * out * phrase / np.max(np.abs(out))).astype(np.float32)


def chord_pad(sample_rate: int, seconds: float = 6.0, *, seed: int = 4) -> Mono:
    """Slow-attack detuned-saw chords (C, Am, F, G), lowpassed: a synth pad."""
    rng = np.random.default_rng(seed)
    frames = int(seconds * sample_rate)
    out = np.zeros(frames)
    chords = ([60, 64, 67, 72], [57, 60, 64, 69], [53, 57, 60, 65], [55, 59, 62, 67])
    length = frames // len(chords)
    t = np.arange(length) / sample_rate
    for i, chord in enumerate(chords):
        part = np.zeros(length)
        for note in chord:
            for detune in (-0.08, 0.08):
                f = 440.0 * 2 ** ((note + detune - 69) / 12)
                phase = rng.uniform(0, 2 * np.pi)
                part += sum(np.sin(k * (2 * np.pi * f * t + phase)) / k for k in range(1, 12))
        envelope = np.minimum(1.0, t / 0.6) * np.minimum(1.0, (t[::-1] + 0.05) / 0.3)
        out[i * length : (i + 1) * length] = part * envelope
    out = sosfilt(butter(2, 2500, "lowpass", fs=sample_rate, output="sos"), out)
    return (0.4 * out / np.max(np.abs(out))).astype(np.float32)


def with_silence(signal: Mono, sample_rate: int, *, before_s: float, after_s: float) -> Mono:
    """Pad a signal with digital silence, as a track that plays only part of a song."""
    return np.concatenate(
        [np.zeros(int(before_s * sample_rate), np.float32), signal, np.zeros(int(after_s * sample_rate), np.float32)]
    )


def voice(sample_rate: int, seconds: float = 6.0, *, base_midi: int = 48, formants_hz: tuple[float, float, float] = (600.0, 1000.0, 2500.0)) -> Mono:
    """A sung line (vibrato, legato glides) through three formants: a male (C3) or female (G4) voice."""
    frames = int(seconds * sample_rate)
    t = np.arange(frames) / sample_rate
    melody = np.array([0, 2, 4, 5, 4, 2, 0, -1], dtype=float) + base_midi
    steps = np.repeat(melody, int(np.ceil(frames / len(melody))))[:frames]
    k = int(0.08 * sample_rate)
    glide = np.convolve(steps, np.ones(k) / k, mode="same")
    glide[:k], glide[-k:] = melody[0], melody[-1]
    f0 = 440.0 * 2 ** ((glide + 0.3 * np.sin(2 * np.pi * 5.2 * t) - 69) / 12)
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    out = np.zeros(frames)
    bands = tuple(zip(formants_hz, (80.0, 100.0, 150.0), (1.0, 0.5, 0.25), strict=True))
    for h in range(1, 60):
        fk = h * f0
        if fk.min() > 5000:
            break
        gain = sum(a / (1 + ((fk - fc) / bw) ** 2) for fc, bw, a in bands) / h**0.5
        out += gain * np.sin(h * phase) * (fk < sample_rate / 2 - 1000)
    return (0.4 * out / np.max(np.abs(out))).astype(np.float32)


def _decaying_notes(sample_rate: int, frames: int, freqs: list[float], *, damping: float) -> Mono:
    t = np.arange(frames) / sample_rate
    return sum(np.sin(2 * np.pi * k * f * t) * np.exp(-t * (damping + 0.6 * k)) / k for f in freqs for k in range(1, 12))


def piano_chords(sample_rate: int, seconds: float = 6.0) -> Mono:
    """Decaying chords with the left hand low (C3, A2, F2, G2 roots): keys, not a bass."""
    frames = int(seconds * sample_rate)
    out = np.zeros(frames)
    length = frames // 4
    for i, chord in enumerate(([48, 55, 60, 64], [45, 52, 57, 60], [41, 48, 53, 57], [43, 50, 55, 59])):
        freqs = [440.0 * 2 ** ((m - 69) / 12) for m in chord]
        out[i * length : (i + 1) * length] = _decaying_notes(sample_rate, length, freqs, damping=0.8)
    return (0.4 * out / np.max(np.abs(out))).astype(np.float32)


def guitar_strum(sample_rate: int, seconds: float = 6.0) -> Mono:
    """An open E chord strummed every half second (strings 12 ms apart)."""
    frames = int(seconds * sample_rate)
    out = np.zeros(frames)
    step = int(0.5 * sample_rate)
    for start in range(0, frames - step, step):
        for j, m in enumerate((40, 47, 52, 56, 59, 64)):
            onset = start + j * int(0.012 * sample_rate)
            length = min(step, frames - onset)
            out[onset : onset + length] += _decaying_notes(sample_rate, length, [440.0 * 2 ** ((m - 69) / 12)], damping=1.5)
    return (0.4 * out / np.max(np.abs(out))).astype(np.float32)


def staccato_bass(sample_rate: int, seconds: float = 6.0) -> Mono:
    """Short sixteenth-ish bass notes around E1, lowpassed."""
    frames = int(seconds * sample_rate)
    out = np.zeros(frames)
    notes = [41.2, 41.2, 55.0, 41.2, 49.0, 41.2, 61.7, 55.0]
    step = int(0.25 * sample_rate)
    length = int(0.18 * sample_rate)
    t = np.arange(length) / sample_rate
    for i, start in enumerate(range(0, frames - step, step)):
        f = notes[i % len(notes)]
        tone = sum(np.sin(2 * np.pi * k * f * t) / k**1.5 for k in range(1, 8))
        out[start : start + length] = tone * np.exp(-t / 0.3) * np.minimum(1.0, t / 0.003)
    out = sosfilt(butter(2, 800, "lowpass", fs=sample_rate, output="sos"), out)
    return (0.5 * out / np.max(np.abs(out))).astype(np.float32)


def shaker(sample_rate: int, seconds: float = 6.0, *, seed: int = 5) -> Mono:
    """Band-passed noise swells on sixteenths at 110 bpm."""
    rng = np.random.default_rng(seed)
    frames = int(seconds * sample_rate)
    out = np.zeros(frames)
    band = butter(2, [4000, min(12000, 0.45 * sample_rate)], "bandpass", fs=sample_rate, output="sos")
    step = int(0.136 * sample_rate)
    length = int(0.09 * sample_rate)
    shape = np.sin(np.pi * np.arange(length) / (length - 1))
    for start in range(0, frames - step, step):
        out[start : start + length] += sosfilt(band, rng.standard_normal(length)) * shape
    return (0.3 * out / np.max(np.abs(out))).astype(np.float32)
