"""Seeded, music-like test material: drums, bass, chords and a lead over changing sections.

Not music anyone would release, but it has what loudness meters are sensitive to: a bass
line with energy below 100 Hz, transients with inter-sample peaks, a bright top end,
stereo spread, and verse/chorus/break sections whose levels differ by several LU.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.signal

from stemforge.audio import AudioBuffer


@functools.lru_cache(maxsize=8)
def music_like(seconds: float, *, sample_rate: int = 48000, seed: int = 7, channels: int = 2) -> AudioBuffer:
    """``seconds`` of music-like audio (float32, peaks near -1 dBFS); cached, do not modify.

    Parameters
    ----------
    seconds : float
    sample_rate : int, keyword-only
    seed : int, keyword-only
        Same seed, same audio.
    channels : {1, 2}, keyword-only
    """
    rng = np.random.default_rng(seed)
    frames = int(seconds * sample_rate)
    t = np.arange(frames) / sample_rate
    beat_s = 60.0 / 120.0
    beat = (t / beat_s).astype(np.int64)
    phase_in_beat = t - beat * beat_s

    kick_env = np.exp(-phase_in_beat * 18.0)
    kick = np.sin(2 * np.pi * (50.0 * phase_in_beat + 60.0 * (1 - np.exp(-phase_in_beat * 30.0)) / 30.0)) * kick_env
    snare_on = (beat % 2 == 1).astype(float)
    noise = rng.standard_normal(frames)
    snare = noise * np.exp(-phase_in_beat * 25.0) * snare_on * 0.5
    hat_phase = np.mod(t, beat_s / 2)
    hats = scipy.signal.lfilter([1, -1], [1, -0.3], rng.standard_normal(frames)) * np.exp(-hat_phase * 80.0) * 0.15

    roots = np.array([55.0, 43.65, 49.0, 41.2])  # A1 F1 G1 E1
    bar = (t / (4 * beat_s)).astype(np.int64) % roots.size
    bass_freq = roots[bar]
    bass_phase = np.cumsum(bass_freq) / sample_rate
    bass = scipy.signal.sosfilt(scipy.signal.butter(2, 400, fs=sample_rate, output="sos"), 2 * (bass_phase % 1.0) - 1) * 0.6

    chord = np.zeros(frames)
    for ratio in (4.0, 5.04, 6.0, 8.0):
        chord += np.sin(2 * np.pi * np.cumsum(bass_freq * ratio) / sample_rate + rng.uniform(0, 2 * np.pi))
    chord *= 0.08 * (0.6 + 0.4 * np.sin(2 * np.pi * 0.25 * t))
    lead_notes = rng.choice([440.0, 493.9, 523.3, 587.3, 659.3, 784.0], size=int(seconds / beat_s) + 2)
    lead_freq = lead_notes[beat]
    lead = np.sign(np.sin(2 * np.pi * np.cumsum(lead_freq) / sample_rate)) * 0.05 * np.exp(-phase_in_beat * 3.0)

    # Sections of 8 s: verse, chorus (+4 dB), break (-10 dB, no drums), chorus.
    section = (t / 8.0).astype(np.int64) % 4
    section_gain_db = np.array([0.0, 4.0, -10.0, 4.0])[section]
    drums_on = (section != 2).astype(float)
    gain = 10.0 ** (section_gain_db / 20.0)
    gain = scipy.signal.sosfiltfilt(scipy.signal.butter(1, 5, fs=sample_rate, output="sos"), gain)

    center = (kick * 0.9 + snare) * drums_on + bass
    left = center + hats * drums_on * 1.2 + chord * 1.1 + lead * 0.6
    right = center + hats * drums_on * 0.8 + chord * 0.9 + lead * 1.4
    stereo = np.stack([left, right]) * gain
    stereo *= 10.0 ** (-1.0 / 20.0) / np.max(np.abs(stereo))
    samples = stereo if channels == 2 else stereo.mean(axis=0, keepdims=True)
    return AudioBuffer(samples.astype(np.float32), sample_rate)
