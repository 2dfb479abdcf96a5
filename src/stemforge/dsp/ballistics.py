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
from stemforge.dsp.iir import _db_to_gain
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
def _compress(x, out, env, attack, release, threshold, inverse, exponent, makeup, levels, ratios, scale):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Compress ``x`` (channels, N) into ``out``; ``env`` (channels,) carries each channel's envelope.

    ``levels``, ``ratios`` and ``scale`` (N,) are scratch.
    """
    for c in range(x.shape[0]):
        start = env[c : c + 1].copy()
        env[c] = _envelope(x[c], levels, env[c], attack, release)
        if _ratios(levels, inverse, ratios) or threshold <= _F(0.0):
            _compress_exactly(x[c], out[c], start, attack, release, threshold, inverse, exponent, makeup)
            continue
        _powers(ratios, exponent, out[c], scale)
        _apply(x[c], levels, out[c], scale.view(np.float32), threshold, makeup)


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

    def process(self, block: Samples) -> Samples:
        """Compress one block; state carries to the next call."""
        x = np.ascontiguousarray(block, dtype=_F)
        if x.ndim != 2 or x.shape[0] != self._env.shape[0]:
            raise ValueError(f"block shaped {x.shape} must be ({self._env.shape[0]}, frames)")
        out = np.empty_like(x)
        frames = x.shape[1]
        if self._levels.shape[0] < frames:
            self._levels, self._ratios, self._scale = np.empty(frames, _F), np.empty(frames, _F), np.empty(frames, np.int32)
        _compress(x, out, self._env, self.attack, self.release, self.threshold, self.inverse, self.exponent, self.makeup,
                  self._levels[:frames], self._ratios[:frames], self._scale[:frames])  # fmt: skip
        return out


__all__ = ["PeakCompressor", "ballistics_coefficient"]
