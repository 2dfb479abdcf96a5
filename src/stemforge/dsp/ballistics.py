"""JUCE's compressor (pedalboard's ``Compressor``) compiled with numba.

``juce::dsp::Compressor`` as pedalboard runs it is a peak envelope follower (a
``BallisticsFilter``) per channel and a gain computer, per sample in float32::

    v    = |x|
    env  = v + c · (env − v)        c = attack if v > env else release
    gain = 1 if env < threshold else (env · (1 / threshold)) ^ (1 / ratio − 1)
    y    = gain · x

with ``threshold = 10 ^ (threshold_db · 0.05)`` (float ``powf``) and the ballistics
``c = float(exp(−2π · 1000 / sample_rate / time_ms))`` computed in double (0 below
1 µs). Channels are not linked. An optional make-up gain (pedalboard's ``Gain`` after it)
multiplies the result by ``powf(10, makeup_db · 0.05)``.

Written by hand because the envelope is a recursion with a data-dependent coefficient,
which NumPy and SciPy cannot run. The envelope is computed with pedalboard's float32
operations in its order, so it is the same bit for bit. The gain's power is not the C
library's ``powf`` called once a sample (that was half the compressor's time): it runs
as a vector loop over the block, in double precision — log2 from the float's exponent
and an atanh series, 2^y from a Taylor polynomial, together accurate to about 1e-9 —
rounded once to float32. Each gain is then the correctly rounded power or its
neighbour, within one unit in the last place of ``powf``'s (they differ in about one
sample in a thousand, by that one unit: −138 dB relative); the tests hold it to that
against pedalboard. Envelopes that no finite float32 power can follow (infinite or NaN
input) take ``powf`` itself, sample by sample.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from stemforge.audio.buffer import Samples
from stemforge.dsp.iir import _SNAP, SectionCascade, _db_to_gain
from stemforge.dsp.jit import kernel

_F = np.float32
_SQRT2 = math.sqrt(2.0)
_LN2 = math.log(2.0)
_INV_LN2 = 1.0 / _LN2
#: Adding and subtracting 1.5 · 2^52 rounds a double (|y| < 2^51) to the nearest integer.
_ROUND = 6755399441055744.0
#: Largest ``env / threshold`` the vector power takes (its result stays a normal float32).
_POWER_RANGE = 1.0e30


def ballistics_coefficient(time_ms: float, sample_rate: int) -> np.float32:
    """``BallisticsFilter::calculateLimitedCte``: ``exp(−2π·1000 / sample_rate / time_ms)`` in double, as float32."""
    ms = float(_F(time_ms))
    if ms < 1.0e-3:
        return _F(0.0)
    return _F(math.exp((-2.0 * math.pi * 1000.0 / float(sample_rate)) / ms))


@kernel
def _envelope(x, env, e, attack, release):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """The envelope of one channel ``x`` (N,) into ``env`` from the running value ``e``; returns the last value."""
    for i in range(x.shape[0]):
        v = abs(x[i])
        k = attack if v > e else release
        e = v + k * (e - v)
        env[i] = e
    return e


@kernel
def _ratios(env, inverse, ratios):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """``env / threshold`` into ``ratios``, raised to 1e-30 (below the threshold the gain is 1
    whatever the power: this keeps its input normal); returns how many are out of the power's range."""
    outside = 0
    for i in range(env.shape[0]):
        r = env[i] * inverse
        outside += 0 if r < _POWER_RANGE else 1  # NaN too
        ratios[i] = max(r, _F(1.0e-30))
    return outside


# the vector loops: contracted multiply-adds are allowed (each sample's arithmetic is the
# same wherever it falls in a block), division by zero gives IEEE results, not an exception
@njit(nogil=True, cache=True, error_model="numpy", fastmath={"contract"})
def _powers(a, exponent, mantissas, scales):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """``a ** exponent`` for float32 ``a`` (N,) in [1e-30, 1e30] and ``exponent`` in [−1, 0],
    as ``mantissas · scales`` (float32, the second powers of two, exact)."""
    bits = a.view(np.int32)
    b = np.float64(exponent)
    for i in range(a.shape[0]):
        w = bits[i]
        octave = np.float64((w >> 23) - 127)
        m = 1.0 + np.float64(w & 0x7FFFFF) * (1.0 / 8388608.0)  # a = m · 2^octave, m in [1, 2)
        high = m > _SQRT2
        m = m * 0.5 if high else m
        octave = octave + 1.0 if high else octave
        s = (m - 1.0) / (m + 1.0)  # ln m = 2 atanh s, |s| ≤ 0.172
        s2 = s * s
        ln_m = 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0)))))
        y = b * (octave + ln_m * _INV_LN2)  # log2 of the result, |y| < 100
        n = (y + _ROUND) - _ROUND
        f = (y - n) * _LN2  # 2^y = e^f · 2^n, |f| ≤ ln(2) / 2
        q = 1.0 + f * (1.0 + f * (1.0 / 2 + f * (1.0 / 6 + f * (1.0 / 24 + f * (1.0 / 120 + f * (1.0 / 720 + f * (1.0 / 5040 + f * (1.0 / 40320))))))))
        mantissas[i] = _F(q)
        scales[i] = (np.int32(n) + 127) << 23  # the float32 2^n


@kernel
def _apply(x, env, out, scales, threshold, makeup):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """``out = gain · x`` (· make-up), the gain 1 below the threshold, else ``out · scales`` (the power)."""
    for i in range(x.shape[0]):
        gain = out[i] * scales[i]
        out[i] = (_F(1.0) if env[i] < threshold else gain) * x[i]
    if makeup != _F(1.0):
        for i in range(x.shape[0]):
            out[i] = out[i] * makeup


@kernel
def _compress_exactly(x, out, env, attack, release, threshold, inverse, exponent, makeup):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Pedalboard's loop as it is, ``powf`` and all: for envelopes out of the vector power's range."""
    e = env[0]
    for i in range(x.shape[0]):
        v = abs(x[i])
        k = attack if v > e else release
        e = v + k * (e - v)
        gain = _F(1.0) if e < threshold else (e * inverse) ** exponent
        out[i] = gain * x[i]
        if makeup != _F(1.0):
            out[i] = out[i] * makeup
    env[0] = e


@kernel
def _finish(x, out, levels, start, attack, release, threshold, inverse, exponent, makeup, ratios, scale):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """``out`` from one channel ``x`` (N,) and its envelope ``levels``; ``start`` is the envelope
    before the block (for pedalboard's own loop when the vector power cannot follow)."""
    if _ratios(levels, inverse, ratios) or threshold <= _F(0.0):
        _compress_exactly(x, out, np.array([start]), attack, release, threshold, inverse, exponent, makeup)
        return
    _gains(x, levels, out, ratios, scale, scale.view(np.float32), threshold, exponent, makeup)


#: Frames per stretch of :func:`_gains`: a stretch whose envelope stays under the threshold needs no power.
_GAIN_STRETCH = 512


@kernel
def _gains(x, env, out, ratios, powers, scales, threshold, exponent, makeup):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """:func:`_powers` then :func:`_apply`, stretch by stretch; a stretch where the envelope
    never reaches the threshold has gain 1 throughout (``out = 1 · x``, which is ``x``).
    ``powers`` and ``scales`` are one scratch array seen as int32 and as float32."""
    frames = x.shape[0]
    for lo in range(0, frames, _GAIN_STRETCH):
        hi = min(lo + _GAIN_STRETCH, frames)
        above = 0
        for i in range(lo, hi):
            above += 0 if env[i] < threshold else 1
        if above:
            _powers(ratios[lo:hi], exponent, out[lo:hi], powers[lo:hi])
            _apply(x[lo:hi], env[lo:hi], out[lo:hi], scales[lo:hi], threshold, _F(1.0))
        else:
            for i in range(lo, hi):
                out[i] = x[i]
    if makeup != _F(1.0):
        for i in range(frames):
            out[i] = out[i] * makeup


@kernel
def _compress(x, out, env, attack, release, threshold, inverse, exponent, makeup, levels, ratios, scale):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Compress ``x`` (channels, N) into ``out``; ``env`` (channels,) carries each channel's envelope.

    ``levels``, ``ratios`` and ``scale`` (N,) are scratch.
    """
    for c in range(x.shape[0]):
        start = env[c]
        env[c] = _envelope(x[c], levels, start, attack, release)
        _finish(x[c], out[c], levels, start, attack, release, threshold, inverse, exponent, makeup, ratios, scale)


class PeakCompressor:
    """A running compressor over ``(channels, frames)`` float32 audio, one envelope per channel.

    Parameters
    ----------
    threshold_db, ratio, attack_ms, release_ms : float
        As pedalboard's ``Compressor`` takes them.
    makeup_db : float
        Gain after compression, dB (0: none).
    sample_rate : int
        Hz.
    channels : int
    """

    def __init__(self, *, threshold_db: float, ratio: float, attack_ms: float, release_ms: float, makeup_db: float, sample_rate: int, channels: int) -> None:
        self.threshold = _db_to_gain(threshold_db) if _F(threshold_db) > _F(-200.0) else _F(0.0)
        self.inverse = _F(1.0) / self.threshold
        self.exponent = _F(1.0) / _F(ratio) - _F(1.0)
        self.attack = ballistics_coefficient(attack_ms, sample_rate)
        self.release = ballistics_coefficient(release_ms, sample_rate)
        self.makeup = _db_to_gain(makeup_db) if makeup_db else _F(1.0)
        self._env = np.zeros(int(channels), _F)
        # scratch: a block's envelope, envelope / threshold, and power-of-two scales
        self._levels, self._ratios, self._scale = np.empty(0, _F), np.empty(0, _F), np.empty(0, np.int32)

    @property
    def envelope(self) -> np.ndarray:
        """Each channel's running envelope value (float32, shape (channels,)), updated in place."""
        return self._env

    def _scratch(self, frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._levels.shape[0] < frames:
            self._levels, self._ratios, self._scale = np.empty(frames, _F), np.empty(frames, _F), np.empty(frames, np.int32)
        return self._levels[:frames], self._ratios[:frames], self._scale[:frames]

    def process(self, block: Samples) -> Samples:
        """Compress one block; state carries to the next call."""
        x = np.ascontiguousarray(block, dtype=_F)
        if x.ndim != 2 or x.shape[0] != self._env.shape[0]:
            raise ValueError(f"block shaped {x.shape} must be ({self._env.shape[0]}, frames)")
        out = np.empty_like(x)
        levels, ratios, scale = self._scratch(x.shape[1])
        _compress(x, out, self._env, self.attack, self.release, self.threshold, self.inverse, self.exponent, self.makeup, levels, ratios, scale)
        return out

    def process_with_envelope(self, x: Samples, levels: np.ndarray, start: np.ndarray) -> Samples:
        """Compress ``x`` (channels, frames, float32, C order) whose envelope is already known.

        ``levels`` (channels, frames) holds the envelope computed from ``start`` (each
        channel's value before the block) as :meth:`process` would, and :attr:`envelope`
        already holds its last values — as a filter fused with the envelope leaves them.
        """
        out = np.empty_like(x)
        _, ratios, scale = self._scratch(x.shape[1])
        for c in range(x.shape[0]):
            _finish(x[c], out[c], levels[c], start[c], self.attack, self.release, self.threshold, self.inverse, self.exponent, self.makeup, ratios, scale)
        return out


class EqCompressor:
    """An EQ's section cascade followed by a compressor, as one stage with the same samples.

    The EQ's last four sections and the compressor's envelope run in one loop
    (:func:`stemforge.dsp.sections.cascade_envelope`): each recursion waits on its own
    previous value, so side by side they take about the time of the filters alone.
    Cascades of fewer than four sections are led by pass-through sections (``y = x``).

    Parameters
    ----------
    cascade : SectionCascade
        Fresh (its state is taken over).
    compressor : PeakCompressor
        Fresh, on as many channels.
    """

    def __init__(self, cascade: SectionCascade, compressor: PeakCompressor) -> None:
        channels, sections, _ = cascade.state.shape
        if compressor.envelope.shape[0] != channels:
            raise ValueError(f"an EQ on {channels} channels cannot feed a compressor on {compressor.envelope.shape[0]}")
        lead = max(0, 4 - sections)
        self.sections = np.concatenate([np.tile(np.array([[1, 0, 0, 1, 0, 0]], _F), (lead, 1)), cascade.sections]).astype(_F)
        self._state = np.concatenate([np.zeros((channels, lead, 2), _F), cascade.state], axis=1)
        self.piece_frames = cascade.piece_frames
        self._phase = 0
        self.compressor = compressor
        self._levels = np.empty((channels, 0), _F)

    def process(self, block: Samples) -> Samples:
        """Equalise, then compress, one block; state carries to the next call."""
        # numba: imported when a fused EQ and compressor first runs
        from stemforge.dsp.sections import cascade_envelope

        x = np.array(block, _F, order="C")  # filtered in place
        channels, frames = x.shape
        if self._levels.shape[1] < frames:
            self._levels = np.empty((channels, frames), _F)
        levels = self._levels[:, :frames]
        comp = self.compressor
        start = comp.envelope.copy()
        phase = self._phase
        for c in range(channels):
            phase, comp.envelope[c] = cascade_envelope(x[c], self.sections, self._state[c], self.piece_frames, _SNAP, self._phase,
                                                       levels[c], start[c], comp.attack, comp.release)  # fmt: skip
        self._phase = phase
        return comp.process_with_envelope(x, levels, start)


__all__ = ["EqCompressor", "PeakCompressor", "ballistics_coefficient"]
