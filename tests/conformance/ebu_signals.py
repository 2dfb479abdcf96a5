"""The test signals of EBU Tech 3341 and Tech 3342, generated (never downloaded).

Each case is built from its published definition: a 1 kHz sine (997 Hz where BS.1770
names it) whose level steps between segments, or for the true-peak cases a sine at a
fraction of the sample rate with a phase offset and 0.1 s raised-cosine tapers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stemforge.audio import AudioBuffer


@dataclass(frozen=True)
class Case:
    """One conformance case: its signal and the expected reading with its tolerance."""

    name: str
    buffer: AudioBuffer
    expected: float
    low_tolerance: float
    high_tolerance: float


def stepped_sine(segments: list[tuple[float, float]], *, sample_rate: int = 48000, frequency_hz: float = 1000.0) -> np.ndarray:
    """A continuous sine whose peak level steps through ``(level_dbfs, seconds)`` segments.

    Returns
    -------
    np.ndarray, float64, shape (frames,)
    """
    gains = [np.full(int(round(seconds * sample_rate)), 10.0 ** (level / 20.0)) for level, seconds in segments]
    envelope = np.concatenate(gains)
    t = np.arange(envelope.size) / sample_rate
    return envelope * np.sin(2.0 * np.pi * frequency_hz * t)


def stereo(signal: np.ndarray, sample_rate: int = 48000) -> AudioBuffer:
    """The same signal in both channels of a stereo buffer."""
    return AudioBuffer(np.stack([signal, signal]).astype(np.float32), sample_rate)


# Tech 3341 Table 1, cases 1-5 (stereo, 1 kHz): (level dBFS, seconds) segments.
TECH3341_STEREO = {
    1: [(-23.0, 20.0)],
    2: [(-33.0, 20.0)],
    3: [(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)],
    4: [(-72.0, 10.0), (-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0), (-72.0, 10.0)],
    5: [(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)],
}
TECH3341_EXPECTED_LUFS = {1: -23.0, 2: -33.0, 3: -23.0, 4: -23.0, 5: -23.0, 6: -23.0}


def tech3341_integrated_case(number: int, *, sample_rate: int = 48000, channels: int = 2) -> AudioBuffer:
    """Tech 3341 cases 1-6: programmes whose integrated loudness is -23 or -33 LUFS.

    Case 6 is 20 s of 1 kHz with L, R at -28 dBFS, C at -24 dBFS and Ls, Rs at -30 dBFS, as
    5.0 (``channels=5``: L R C Ls Rs) or 5.1 with a silent LFE (``channels=6``).
    """
    if number in TECH3341_STEREO:
        return stereo(stepped_sine(TECH3341_STEREO[number], sample_rate=sample_rate), sample_rate)
    if number != 6:
        raise ValueError(f"case {number} is not an integrated-loudness case")
    levels = {"L": -28.0, "R": -28.0, "C": -24.0, "LFE": None, "Ls": -30.0, "Rs": -30.0}
    order = ["L", "R", "C", "LFE", "Ls", "Rs"] if channels == 6 else ["L", "R", "C", "Ls", "Rs"]
    rows = [
        np.zeros(20 * sample_rate) if levels[name] is None else stepped_sine([(levels[name], 20.0)], sample_rate=sample_rate)
        for name in order
    ]
    return AudioBuffer(np.stack(rows).astype(np.float32), sample_rate)


def tech3341_case9(*, sample_rate: int = 48000) -> AudioBuffer:
    """Tech 3341 case 9: 1.34 s at -20 dBFS, 1.66 s at -30 dBFS, five times; S = -23 after 3 s."""
    return stereo(stepped_sine([(-20.0, 1.34), (-30.0, 1.66)] * 5, sample_rate=sample_rate), sample_rate)


# Tech 3342 Table 1, cases 1-4 (stereo, 1 kHz): segments and expected loudness range (LU).
TECH3342 = {
    1: ([(-20.0, 20.0), (-30.0, 20.0)], 10.0),
    2: ([(-20.0, 20.0), (-15.0, 20.0)], 5.0),
    3: ([(-40.0, 20.0), (-20.0, 20.0)], 20.0),
    4: ([(-50.0, 20.0), (-35.0, 20.0), (-20.0, 20.0), (-35.0, 20.0), (-50.0, 20.0)], 15.0),
}


def tech3342_case(number: int, *, sample_rate: int = 48000) -> tuple[AudioBuffer, float]:
    """Tech 3342 case ``number`` (1-4) and its expected loudness range in LU."""
    segments, expected = TECH3342[number]
    return stereo(stepped_sine(segments, sample_rate=sample_rate), sample_rate), expected


# Tech 3341 cases 15-19: (fraction of the sample rate, peak amplitude, phase in degrees, expected dBTP).
TRUE_PEAK_CASES = {
    15: (1 / 4, 0.50, 0.0, -6.0),
    16: (1 / 4, 0.50, 45.0, -6.0),
    17: (1 / 6, 0.50, 60.0, -6.0),
    18: (1 / 8, 0.50, 67.5, -6.0),
    19: (1 / 4, 1.41, 45.0, 3.0),
}


def tech3341_true_peak_case(number: int, *, sample_rate: int = 48000, seconds: float = 3.0) -> tuple[AudioBuffer, float]:
    """Tech 3341 true-peak case ``number`` (15-19) and its expected true peak in dBTP.

    A sine at a fraction of the sample rate, phase-shifted so that no sample falls on its
    peak, in both channels, with 0.1 s raised-cosine fades at both ends.
    """
    fraction, amplitude, phase_deg, expected = TRUE_PEAK_CASES[number]
    frames = int(seconds * sample_rate)
    t = np.arange(frames)
    signal = amplitude * np.sin(2.0 * np.pi * fraction * t + np.deg2rad(phase_deg))
    ramp_frames = int(0.1 * sample_rate)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp_frames) / ramp_frames)
    signal[:ramp_frames] *= ramp
    signal[-ramp_frames:] *= ramp[::-1]
    return stereo(signal, sample_rate), expected


def sine_997_in_one_channel(*, sample_rate: int = 48000, channels: int = 2, channel: int = 0, seconds: float = 10.0) -> AudioBuffer:
    """A 0 dBFS 997 Hz sine in ``channel``, silence elsewhere: BS.1770-4 says -3.01 LKFS."""
    samples = np.zeros((channels, int(seconds * sample_rate)))
    samples[channel] = np.sin(2.0 * np.pi * 997.0 * np.arange(samples.shape[1]) / sample_rate)
    return AudioBuffer(samples.astype(np.float32), sample_rate)
