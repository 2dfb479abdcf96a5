"""Audio features that tell drums, bass and voices apart, from a few seconds of audio.

All are pure functions of a mono excerpt resampled to :data:`ANALYSIS_RATE`:

- *percussive share*: the part of the spectrogram energy that median filtering across
  frequency keeps and median filtering across time removes (the harmonic/percussive
  split of Fitzgerald, "Harmonic/percussive separation using median filtering", DAFx 2010);
- *onset rate*: peaks of the half-wave rectified log-spectral flux per second;
- *low-frequency share*: the energy below 250 Hz over all energy; *spectral centroid*;
- *pitch*: a YIN-style cumulative mean normalised difference (de Cheveigné & Kawahara,
  JASA 111(4), 2002, steps 2–5) per frame, giving the voiced share, median f0, the
  10–90 % pitch range and how often the pitch glides (voices and vibrato move, keyboards
  and frets step);
- *formant score*: the share of voiced frames whose strongest harmonic is above the
  fundamental and stands out from its neighbours, as vowel formants make it.

Written with numpy/scipy because no library the project uses computes these; each is a
few lines and costs milliseconds on a four-second excerpt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import resample_poly

#: Hz; excerpts are analysed at this rate (enough for the cues, cheap to compute).
ANALYSIS_RATE = 22050
_FFT = 2048
_HOP = 512
_PITCH_FRAME = 2048
_PITCH_HOP = 1024
_F0_MIN_HZ = 40.0
_F0_MAX_HZ = 1000.0
_YIN_THRESHOLD = 0.15
_VOICED_MAX = 0.25

Mono = npt.NDArray[np.float32]


@dataclass(frozen=True)
class AudioFeatures:
    """What an excerpt sounds like, in numbers.

    Attributes
    ----------
    duration_s : float
        Length of the analysed excerpt.
    rms_dbfs : float
        Level of the excerpt (dBFS, -inf for digital silence).
    percussive_share : float
        0–1, energy in the percussive part of a median-filter split.
    onset_rate_hz : float
        Onsets per second.
    low_share : float
        0–1, energy below 250 Hz.
    centroid_hz : float
        Energy-weighted mean frequency.
    voiced_share : float
        0–1, active frames with one clear pitch.
    f0_hz : float
        Median pitch of the voiced frames (0 when none).
    pitch_range_st : float
        Span between the 10th and 90th percentile of the pitch, in semitones.
    glide_share : float
        0–1, consecutive voiced frames whose pitch moves 3–100 cents (glides, vibrato).
    formant_score : float
        0–1, voiced frames with a formant-like harmonic peak above the fundamental.
    sustain_share : float
        0–1, active frames within 15 dB of the loud ones (hits decay, notes sustain).
    lowest_peak_hz : float
        The lowest peak of the average spectrum within 20 dB of the strongest (0 if none).
    aperiodicity : float
        Median YIN aperiodicity of the voiced frames (1 when none): near 0 for one note
        at a time, higher for chords, whose common period is only approximate.
    """

    duration_s: float
    rms_dbfs: float
    percussive_share: float
    onset_rate_hz: float
    low_share: float
    centroid_hz: float
    voiced_share: float
    f0_hz: float
    pitch_range_st: float
    glide_share: float
    formant_score: float
    sustain_share: float
    lowest_peak_hz: float
    aperiodicity: float


def to_analysis_rate(mono: Mono, sample_rate: int) -> Mono:
    """Resample a mono signal to :data:`ANALYSIS_RATE` (polyphase, scipy)."""
    if sample_rate == ANALYSIS_RATE:
        return mono.astype(np.float32, copy=False)
    g = int(np.gcd(int(sample_rate), ANALYSIS_RATE))
    return resample_poly(mono, ANALYSIS_RATE // g, int(sample_rate) // g).astype(np.float32)


def _frames(x: Mono, size: int, hop: int) -> npt.NDArray[np.float32]:
    if len(x) < size:
        x = np.pad(x, (0, size - len(x)))
    count = 1 + (len(x) - size) // hop
    return np.lib.stride_tricks.as_strided(x, shape=(count, size), strides=(x.strides[0] * hop, x.strides[0]))


def _spectrogram(x: Mono) -> npt.NDArray[np.float64]:
    frames = _frames(x, _FFT, _HOP) * np.hanning(_FFT).astype(np.float32)
    return np.abs(np.fft.rfft(frames, axis=1)).T  # (bins, frames)


def _median(x: npt.NDArray[np.float64], width: int, *, axis: int) -> npt.NDArray[np.float64]:
    """Running median of odd ``width`` along ``axis``, edges repeated."""
    pad = [(0, 0), (0, 0)]
    pad[axis] = (width // 2, width // 2)
    return np.median(sliding_window_view(np.pad(x, pad, mode="edge"), width, axis=axis), axis=-1)


def _percussive_share(mag: npt.NDArray[np.float64], active: npt.NDArray[np.bool_]) -> float:
    """Magnitude-weighted share of the percussive part (bins pooled by four, for speed)."""
    if mag.shape[1] < 3 or not active.any():
        return 0.0
    bins = mag.shape[0] - mag.shape[0] % 4
    pooled = np.sqrt((mag[:bins] ** 2).reshape(bins // 4, 4, -1).sum(axis=1))[:, active]
    harmonic = _median(pooled, 13, axis=1)
    percussive = _median(pooled, 9, axis=0)
    mask = percussive**2 / (harmonic**2 + percussive**2 + 1e-20)
    total = float(pooled.sum())
    return float((mask * pooled).sum() / total) if total > 0 else 0.0


def _onset_rate(mag: npt.NDArray[np.float64], duration_s: float) -> float:
    """Peaks of the log-spectral flux that stand well above their surroundings, per second."""
    log_mag = np.log1p(100.0 * mag / (mag.max() + 1e-12))
    flux = np.maximum(np.diff(log_mag, axis=1), 0.0).sum(axis=0)
    if len(flux) < 7 or duration_s <= 0:
        return 0.0
    local = _median(flux[None, :], 41, axis=1)[0]  # ~0.5 s around each frame
    is_peak = np.zeros(len(flux), bool)
    window = sliding_window_view(np.pad(flux, 3, mode="edge"), 7)
    is_peak = (flux == window.max(axis=1)) & (flux >= 2.5 * local + 0.05 * flux.max())
    peaks = 0
    last = -10
    for i in np.flatnonzero(is_peak):
        if i - last >= 4:
            peaks += 1
            last = int(i)
    return peaks / duration_s


def _lowest_peak_hz(power: npt.NDArray[np.float64], freqs: npt.NDArray[np.floating[Any]]) -> float:
    """The lowest spectral peak within 20 dB of the strongest (a bass's fundamental, a chord's root)."""
    if power.size == 0:
        return 0.0
    spectrum = 10 * np.log10(power.mean(axis=1) + 1e-20)
    floor = spectrum.max() - 20.0
    for i in range(1, len(spectrum) - 1):
        if freqs[i] >= 30.0 and spectrum[i] >= floor and spectrum[i] >= spectrum[i - 1] and spectrum[i] >= spectrum[i + 1]:
            return float(freqs[i])
    return 0.0


def _yin(x: Mono) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per-frame f0 (Hz, 0 unvoiced), aperiodicity (0–1) and frame RMS."""
    frames = _frames(x, _PITCH_FRAME, _PITCH_HOP).astype(np.float64)
    half = _PITCH_FRAME // 2
    tau_min = int(ANALYSIS_RATE / _F0_MAX_HZ)
    tau_max = min(half - 1, int(ANALYSIS_RATE / _F0_MIN_HZ))
    # r(tau) = sum_{j < half} x_j x_{j+tau}: the head of the frame against all of it
    head = np.fft.rfft(frames[:, :half], n=2 * _PITCH_FRAME, axis=1)
    whole = np.fft.rfft(frames, n=2 * _PITCH_FRAME, axis=1)
    acf = np.fft.irfft(np.conj(head) * whole, axis=1)[:, : half + 1]
    squares = np.cumsum(frames**2, axis=1)
    energy_head = squares[:, half - 1][:, None]
    # YIN eq. 7 with a window of `half` samples: d(tau) = r_t(0) + r_{t+tau}(0) - 2 r_t(tau)
    shifted = squares[:, half - 1 + np.arange(half + 1)] - np.concatenate(
        [np.zeros((len(frames), 1)), squares[:, : half]], axis=1
    )
    diff = energy_head + shifted - 2.0 * acf
    diff[:, 0] = 0.0
    cumulative = np.cumsum(diff[:, 1:], axis=1) / np.arange(1, half + 1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] / np.maximum(cumulative, 1e-12)  # YIN eq. 8
    rms = np.sqrt(squares[:, -1] / _PITCH_FRAME)
    search = cmnd[:, tau_min : tau_max + 1]
    rows = np.arange(len(search))
    below = search < _YIN_THRESHOLD
    # YIN step 4: the first dip under the threshold, walked down to its local minimum;
    # without one, the global minimum.
    j = np.where(below.any(axis=1), np.argmax(below, axis=1), np.argmin(search, axis=1))
    last = search.shape[1] - 1
    for _ in range(search.shape[1]):
        step = (j < last) & (search[rows, np.minimum(j + 1, last)] < search[rows, j])
        if not step.any():
            break
        j = j + step
    value = search[rows, j]
    # YIN step 5: parabolic interpolation around the chosen lag
    inner = (j > 0) & (j < last)
    a = search[rows, np.maximum(j - 1, 0)]
    c = search[rows, np.minimum(j + 1, last)]
    denom = a - 2 * value + c
    shift = np.where(inner & (denom > 0), 0.5 * (a - c) / np.where(denom > 0, denom, 1.0), 0.0)
    f0 = np.where(value < _VOICED_MAX, ANALYSIS_RATE / (tau_min + j + shift), 0.0)
    return f0, value, rms


def _formant_score(x: Mono, f0: npt.NDArray[np.float64], voiced: npt.NDArray[np.bool_]) -> float:
    indices = np.flatnonzero(voiced)
    if indices.size == 0:
        return 0.0
    frames = _frames(x, _PITCH_FRAME, _PITCH_HOP)[indices] * np.hanning(_PITCH_FRAME)
    mag = np.abs(np.fft.rfft(frames, axis=1))
    hits = 0
    for row, pitch in zip(mag, f0[indices], strict=True):
        count = int(min(20, 5000.0 / pitch))
        if count < 4:
            continue
        bins = np.round(np.arange(1, count + 1) * pitch * _PITCH_FRAME / ANALYSIS_RATE).astype(int)
        amps = 20 * np.log10(row[bins] + 1e-9)
        k = int(np.argmax(amps))
        peaked = 0 < k < count - 1 and amps[k] - max(amps[k - 1], amps[k + 1]) >= 1.0
        if k >= 1 and amps[k] >= amps[0] + 3.0 and (peaked or k >= 2):
            hits += 1
    return hits / indices.size


def measure(mono: Mono, sample_rate: int) -> AudioFeatures:
    """Measure an excerpt (a few seconds, mono float32) at ``sample_rate`` Hz.

    Parameters
    ----------
    mono : np.ndarray, float32, shape (frames,)
    sample_rate : int
        Hz.

    Returns
    -------
    AudioFeatures
    """
    x = to_analysis_rate(np.ascontiguousarray(mono, dtype=np.float32), sample_rate)
    duration_s = len(x) / ANALYSIS_RATE
    rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if len(x) else 0.0
    rms_dbfs = 20 * np.log10(rms) if rms > 0 else float("-inf")
    mag = _spectrogram(x)
    frame_energy = (mag**2).sum(axis=0)
    active = frame_energy > frame_energy.max() * 10 ** (-50 / 10) if frame_energy.size and frame_energy.max() > 0 else np.zeros(mag.shape[1], bool)
    power = (mag**2)[:, active]
    freqs = np.fft.rfftfreq(_FFT, 1 / ANALYSIS_RATE)
    total = float(power.sum())
    low_share = float(power[freqs < 250.0].sum() / total) if total > 0 else 0.0
    centroid = float((freqs[:, None] * power).sum() / total) if total > 0 else 0.0

    if active.any():
        level_db = 10 * np.log10(frame_energy[active] + 1e-30)
        sustain = float(np.mean(level_db > np.percentile(level_db, 95) - 15.0))
    else:
        sustain = 0.0

    f0, aperiodic, frame_rms = _yin(x)
    loud = frame_rms > (frame_rms.max() * 10 ** (-30 / 20) if frame_rms.size and frame_rms.max() > 0 else np.inf)
    voiced = (f0 > 0) & loud
    voiced_share = float(voiced.sum() / max(1, loud.sum()))
    if voiced.any():
        cents = 1200 * np.log2(f0[voiced] / 440.0)
        f0_hz = float(440.0 * 2 ** (np.median(cents) / 1200))
        low, high = np.percentile(cents, [10, 90])
        pitch_range = float((high - low) / 100)
        pairs = voiced[:-1] & voiced[1:]
        steps = np.abs(np.diff(1200 * np.log2(np.where(f0 > 0, f0, 1.0))))[pairs]
        glide = float(((steps > 3) & (steps < 100)).sum() / max(1, pairs.sum()))
    else:
        f0_hz, pitch_range, glide = 0.0, 0.0, 0.0
    return AudioFeatures(
        duration_s=duration_s,
        rms_dbfs=float(rms_dbfs),
        percussive_share=_percussive_share(mag, active),
        onset_rate_hz=_onset_rate(mag[:, active] if active.sum() > 7 else mag, duration_s),
        low_share=low_share,
        centroid_hz=centroid,
        voiced_share=voiced_share,
        f0_hz=f0_hz,
        pitch_range_st=pitch_range,
        glide_share=glide,
        formant_score=_formant_score(x, f0, voiced),
        sustain_share=sustain,
        lowest_peak_hz=_lowest_peak_hz(power, freqs),
        aperiodicity=float(np.median(aperiodic[voiced])) if voiced.any() else 1.0,
    )


__all__ = ["ANALYSIS_RATE", "AudioFeatures", "measure", "to_analysis_rate"]
