"""Signal building blocks for the demo song's instruments.

Everything here is vectorized with numpy or runs as a scipy IIR filter; the one
recursive synthesis (Karplus-Strong) advances a whole string period per numpy step, so
its Python loop runs ``frequency × duration`` times, not once per sample. Written by
hand because no dependency synthesizes instruments; the filters come from scipy.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import signal

Mono = npt.NDArray[np.float32]
Float64 = npt.NDArray[np.float64]
#: Any floating-point signal (inputs accept float32 and float64 alike).
Signal = npt.NDArray[np.floating[Any]]


def midi_to_hz(midi: float) -> float:
    """Equal-tempered frequency of a MIDI note (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def db_to_gain(gain_db: float) -> float:
    """Linear amplitude of a level in dB."""
    return float(10.0 ** (gain_db / 20.0))


def place(out: Mono, sound: Signal, start_frame: int, gain: float = 1.0) -> None:
    """Add ``sound`` into the 1-D array ``out`` at ``start_frame``, cropped to its bounds."""
    lo, hi = max(0, start_frame), min(out.shape[-1], start_frame + sound.shape[-1])
    if hi > lo:
        out[..., lo:hi] += gain * sound[..., lo - start_frame : hi - start_frame]


@functools.lru_cache(maxsize=256)
def _butter(order: int, cutoff_hz: float | tuple[float, float], kind: str, sample_rate: int) -> Float64:
    nyquist = sample_rate / 2.0
    if isinstance(cutoff_hz, tuple):
        wn: float | tuple[float, float] = (cutoff_hz[0] / nyquist, min(cutoff_hz[1] / nyquist, 0.99))
    else:
        wn = min(cutoff_hz / nyquist, 0.99)
    return np.asarray(signal.butter(order, wn, btype=kind, output="sos"), dtype=np.float64)


#: A floor far below 24-bit resolution, added to what IIR filters see (see :func:`no_subnormals`).
FLOOR = 1e-18


def no_subnormals(x: Mono | Float64) -> Float64:
    """A float64 copy of ``x`` with a pulse train of :data:`FLOOR` added.

    After a sound ends, a recursive filter's state decays into subnormal numbers, where
    rounding can trap it in a limit cycle; arithmetic on subnormals is ~30 times slower,
    so a filter over a track with long silences would crawl. A pulse every 4 samples
    carries energy at DC, fs/4 and fs/2, so low-, band- and high-pass states all stay
    normal; at 1e-18 (−360 dBFS) it vanishes in any file.
    """
    out = np.array(x, dtype=np.float64)
    out[..., ::4] += FLOOR
    return out


def _sosfilt(sos: Float64, x: Mono | Float64) -> Mono:
    # scipy's fast path needs float64 like the coefficients (which keeps low cut-offs
    # stable), and filtering row by row is several times faster than along axis -1.
    if x.ndim == 2:
        return np.stack([_sosfilt(sos, row) for row in x])
    return signal.sosfilt(sos, no_subnormals(x)).astype(np.float32)


def lowpass(x: Mono, cutoff_hz: float, sample_rate: int, *, order: int = 2) -> Mono:
    """Butterworth low-pass along the last axis."""
    return _sosfilt(_butter(order, float(cutoff_hz), "lowpass", sample_rate), x)


def highpass(x: Mono, cutoff_hz: float, sample_rate: int, *, order: int = 2) -> Mono:
    """Butterworth high-pass along the last axis."""
    return _sosfilt(_butter(order, float(cutoff_hz), "highpass", sample_rate), x)


def bandpass(x: Mono, low_hz: float, high_hz: float, sample_rate: int, *, order: int = 2) -> Mono:
    """Butterworth band-pass along the last axis."""
    return _sosfilt(_butter(order, (float(low_hz), float(high_hz)), "bandpass", sample_rate), x)


def resonator_sos(freq_hz: float, bandwidth_hz: float, sample_rate: int) -> Float64:
    """A two-pole resonance with unity gain at DC (a cascade formant filter stage).

    Poles at radius ``exp(-π·B/fs)`` and angle ``2π·F/fs``; the numerator ``1 + a1 + a2``
    makes the DC gain 1, as in Klatt's cascade formant synthesizer (JASA 67, 1980).
    """
    r = np.exp(-np.pi * bandwidth_hz / sample_rate)
    a1, a2 = -2.0 * r * np.cos(2.0 * np.pi * freq_hz / sample_rate), r * r
    return np.array([[1.0 + a1 + a2, 0.0, 0.0, 1.0, a1, a2]])


def exp_decay(frames: int, time_constant_s: float, sample_rate: int) -> Mono:
    """``exp(-t / τ)`` over ``frames`` frames."""
    return np.exp(-np.arange(frames, dtype=np.float32) / np.float32(time_constant_s * sample_rate))


def note_envelope(frames: int, sample_rate: int, *, attack_s: float, hold_frames: int, release_s: float) -> Mono:
    """Raised-cosine attack, flat hold, exponential release; ``frames`` long."""
    env = np.ones(frames, dtype=np.float32)
    attack = min(frames, max(1, int(attack_s * sample_rate)))
    env[:attack] = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, attack, dtype=np.float32))
    if hold_frames < frames:
        env[hold_frames:] *= exp_decay(frames - hold_frames, release_s / 4.6, sample_rate)
    return env


def sine(phase_cycles: Signal) -> Mono:
    """``sin(2π·phase)`` in float32.

    A float64 phase is first reduced to one cycle, so long notes stay in tune; a float32
    phase (accurate enough for notes of a few seconds) is used as it is, which is faster.
    """
    if phase_cycles.dtype == np.float32:
        return np.sin(np.float32(2.0 * np.pi) * phase_cycles)
    return np.sin(np.float32(2.0 * np.pi) * (phase_cycles % 1.0).astype(np.float32))


def saw(phase_cycles: Signal, increment_cycles: float | Signal) -> Mono:
    """A band-limited sawtooth from a running phase (in cycles), using PolyBLEP.

    The naive ramp ``2·frac(phase) − 1`` jumps once a cycle; the two samples around each
    jump are corrected by the polynomial band-limited step (Välimäki & Huovilainen,
    IEEE SPM 2007), which removes most of the aliasing. Only those samples are touched.
    """
    frac = phase_cycles % 1.0
    out = (2.0 * frac - 1.0).astype(np.float32)
    after = np.flatnonzero(frac[1:] < frac[:-1]) + 1
    inc = np.asarray(increment_cycles, dtype=np.float64)
    t = frac[after] / (inc[after] if inc.ndim else inc)
    out[after] -= (2.0 * t - t * t - 1.0).astype(np.float32)
    before = after - 1
    t = (frac[before] - 1.0) / (inc[before] if inc.ndim else inc)
    out[before] -= (t * t + 2.0 * t + 1.0).astype(np.float32)
    return out


def plucks(
    freq_hz: float,
    frames: Sequence[int],
    sample_rate: int,
    rng: np.random.Generator,
    *,
    decay_s: float,
    brightness: Sequence[float],
    pick_position: float = 0.13,
) -> list[Mono]:
    """Plucks of one string (one pitch), by the Karplus-Strong algorithm.

    The loop ``y[n] = x[n] + g·(½(1−δ)·y[n−N] + ½·y[n−N−1] + ½δ·y[n−N−2])`` has a delay of
    ``N + ½ + δ`` samples at low frequencies, so choosing ``N`` and ``δ`` from
    ``fs / f`` tunes the string exactly; its three-tap loss filter has a zero at Nyquist,
    so high harmonics die first as on a real string. All feedback taps lie at least one
    period back, so a whole period is computed per numpy step, and every pluck of the
    same string is computed in the same step (one row each).

    Parameters
    ----------
    freq_hz : float
        Fundamental.
    frames : sequence of int
        Length of each pluck.
    decay_s : float
        Time for the fundamental to fall by 60 dB.
    brightness : sequence of float
        Per pluck, 0 … 1: the cutoff of the noise burst, from dull (finger) to bright (pick).
    pick_position : float
        Where along the string it is plucked, as a fraction (a comb notch in the excitation).

    Returns
    -------
    list of np.ndarray, float32, shape (frames[i],)
    """
    period = sample_rate / freq_hz
    n = max(2, int(np.floor(period - 0.5)))
    delta = period - 0.5 - n
    g = 10.0 ** (-3.0 * period / (sample_rate * decay_s))
    h0, h1, h2 = g * 0.5 * (1.0 - delta), g * 0.5, g * 0.5 * delta
    bursts = rng.uniform(-1.0, 1.0, (len(frames), n))
    for row, bright in zip(bursts, brightness, strict=True):
        c = np.exp(-2.0 * np.pi * (300.0 + 9000.0 * bright**2) / sample_rate)
        row[:] = signal.lfilter([1.0 - c], [1.0, -c], row)
    notch = max(1, int(pick_position * n))
    bursts[:, notch:] -= bursts[:, :-notch].copy()
    bursts -= bursts.mean(axis=1, keepdims=True)
    longest = max(frames)
    y = np.zeros((len(frames), longest + 2))  # two leading zeros stand for y[-2], y[-1]
    first = min(n, longest)
    y[:, 2 : first + 2] = bursts[:, :first]
    for s in range(n, longest, n):
        e = min(s + n, longest)
        y[:, s + 2 : e + 2] = h0 * y[:, s - n + 2 : e - n + 2] + h1 * y[:, s - n + 1 : e - n + 1] + h2 * y[:, s - n : e - n]
    return [y[k, 2 : 2 + f].astype(np.float32) for k, f in enumerate(frames)]


def reverb_ir(rng: np.random.Generator, sample_rate: int, *, decay_s: float, length_s: float, damping_hz: float) -> Mono:
    """A diffuse reverb impulse response: decaying noise whose highs die faster.

    ``decay_s`` is the RT60. The noise is split into a low and a high band; the high band
    decays three times faster, like air and soft surfaces absorbing treble.
    """
    frames = int(length_s * sample_rate)
    noise = rng.standard_normal(frames).astype(np.float32)
    tau = decay_s / 6.91
    low = lowpass(noise, damping_hz, sample_rate) * exp_decay(frames, tau, sample_rate)
    high = highpass(noise, damping_hz, sample_rate) * exp_decay(frames, tau / 3.0, sample_rate)
    ir = low + high
    return (ir / np.sqrt(np.sum(ir * ir))).astype(np.float32)


def convolve(x: Mono, ir: Mono) -> Mono:
    """Convolve and keep the input's length (overlap-add FFT convolution)."""
    return signal.oaconvolve(x, ir)[: x.shape[-1]].astype(np.float32)


def delay(x: Mono, frames: int) -> Mono:
    """Delay by whole frames, keeping the length."""
    if frames <= 0:
        return x
    out = np.zeros_like(x)
    out[frames:] = x[:-frames]
    return out


def soft_clip(x: Mono, drive: float) -> Mono:
    """Gentle tanh saturation, level-matched for small signals (never a hard clip)."""
    return (np.tanh(drive * x) / drive).astype(np.float32)


def runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Half-open ``[start, end)`` index ranges where a 1-D boolean ``mask`` is true."""
    edges = np.flatnonzero(mask[1:] != mask[:-1]) + 1
    bounds = np.concatenate([[0] if mask[0] else [], edges, [mask.shape[0]] if mask[-1] else []]).astype(int)
    return list(zip(bounds[::2].tolist(), bounds[1::2].tolist(), strict=True))


def smooth(x: Float64 | Mono, time_constant_s: float, sample_rate: int) -> Float64:
    """One-pole low-pass smoothing of a control signal."""
    c = np.exp(-1.0 / (time_constant_s * sample_rate))
    y = signal.lfilter([1.0 - c], [1.0, -c], no_subnormals(x), zi=[c * float(x[0])])[0]
    return np.asarray(y, dtype=np.float64)


__all__ = [
    "FLOOR",
    "Float64",
    "Mono",
    "Signal",
    "bandpass",
    "convolve",
    "db_to_gain",
    "delay",
    "exp_decay",
    "highpass",
    "lowpass",
    "midi_to_hz",
    "no_subnormals",
    "note_envelope",
    "place",
    "plucks",
    "resonator_sos",
    "reverb_ir",
    "runs",
    "saw",
    "sine",
    "smooth",
    "soft_clip",
]
