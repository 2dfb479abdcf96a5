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
which NumPy and SciPy cannot run; numba compiles the loop, and the same float32
operations (``powf`` included) give pedalboard's samples bit for bit (the tests compare
them) in less time than pedalboard's per-sample loop.
"""

from __future__ import annotations

import math

import numpy as np

from stemforge.audio.buffer import Samples
from stemforge.dsp.iir import _db_to_gain
from stemforge.dsp.jit import kernel

_F = np.float32


def ballistics_coefficient(time_ms: float, sample_rate: int) -> np.float32:
    """``BallisticsFilter::calculateLimitedCte``: ``exp(−2π·1000 / sample_rate / time_ms)`` in double, as float32."""
    ms = float(_F(time_ms))
    if ms < 1.0e-3:
        return _F(0.0)
    return _F(math.exp((-2.0 * math.pi * 1000.0 / float(sample_rate)) / ms))


@kernel
def _compress(x, out, env, attack, release, threshold, inverse, exponent, makeup):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Compress ``x`` (channels, N) into ``out``; ``env`` (channels,) carries each channel's envelope."""
    for c in range(x.shape[0]):
        e = env[c]
        for i in range(x.shape[1]):
            v = abs(x[c, i])
            k = attack if v > e else release
            e = v + k * (e - v)
            gain = _F(1.0) if e < threshold else (e * inverse) ** exponent
            out[c, i] = gain * x[c, i]
        env[c] = e
    if makeup != _F(1.0):
        for c in range(x.shape[0]):
            for i in range(x.shape[1]):
                out[c, i] = out[c, i] * makeup


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

    def process(self, block: Samples) -> Samples:
        """Compress one block; state carries to the next call."""
        x = np.ascontiguousarray(block, dtype=_F)
        if x.ndim != 2 or x.shape[0] != self._env.shape[0]:
            raise ValueError(f"block shaped {x.shape} must be ({self._env.shape[0]}, frames)")
        out = np.empty_like(x)
        _compress(x, out, self._env, self.attack, self.release, self.threshold, self.inverse, self.exponent, self.makeup)
        return out


__all__ = ["PeakCompressor", "ballistics_coefficient"]
