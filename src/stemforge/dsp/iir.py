"""Cascades of JUCE-style IIR filters, sample for sample as pedalboard runs them.

pedalboard's ``HighpassFilter``, ``LowpassFilter``, ``LowShelfFilter``, ``HighShelfFilter``
and ``PeakFilter`` are JUCE ``dsp::IIR::Filter<float>`` instances: float32 coefficients
from JUCE's RBJ-cookbook formulas (normalised by multiplying with ``1 / a0``), run in
transposed direct form II in float32, with every state value of magnitude ≤ 1e-8 flushed
to zero at the end of each call (``JUCE_SNAP_TO_ZERO``, denormal protection). Run as one
plugin each, every band pays pedalboard's per-plugin buffer handling; here the whole EQ
is one pass per piece (:mod:`stemforge.dsp.sections`, compiled with numba) computing the
same float32 recurrences in the same order as ``scipy.signal.sosfilt``
(``y = b0·x + s1; s1 = b1·x − a1·y + s2; s2 = b2·x − a2·y``).

Written by hand because neither library offers both halves: scipy has no JUCE
coefficients, pedalboard no cascade in one call. The coefficients below repeat JUCE's
float32 arithmetic step by step (``juce_IIRFilter_Impl.h``, ``Coefficients::make…``), and
the tests compare the output with pedalboard's bit for bit.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
from collections.abc import Callable

import numpy as np

from stemforge.audio.buffer import Samples

_F = np.float32
#: JUCE_SNAP_TO_ZERO: state values within ±1e-8 become 0 at the end of every call.
_SNAP = _F(1.0e-8)
_PI = _F(math.pi)


def _libm_float(name: str) -> Callable[[float], float]:
    """The C library's single-precision ``name`` (``cosf`` …), as JUCE's ``std::name(float)`` calls it."""
    fn = getattr(_LIBM, name)
    fn.argtypes, fn.restype = [ctypes.c_float], ctypes.c_float
    return fn  # type: ignore[no-any-return]


_LIBM = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
_cosf, _sinf, _tanf, _sqrtf = (_libm_float(n) for n in ("cosf", "sinf", "tanf", "sqrtf"))
_powf = _LIBM.powf
_powf.argtypes, _powf.restype = [ctypes.c_float, ctypes.c_float], ctypes.c_float


def _cos(v: np.float32) -> np.float32:
    return _F(_cosf(float(v)))


def _sin(v: np.float32) -> np.float32:
    return _F(_sinf(float(v)))


def _sqrt(v: np.float32) -> np.float32:
    return _F(_sqrtf(float(v)))


def _tan(v: np.float32) -> np.float32:
    return _F(_tanf(float(v)))


def _db_to_gain(gain_db: float) -> np.float32:
    """JUCE ``Decibels::decibelsToGain(float)``: ``pow(10, dB · 0.05)`` in float."""
    return _F(_powf(10.0, float(_F(gain_db) * _F(0.05))))


def _section(b0: np.float32, b1: np.float32, b2: np.float32, a0: np.float32, a1: np.float32, a2: np.float32) -> list[np.float32]:
    inv = _F(1) / a0
    return [b0 * inv, b1 * inv, b2 * inv, _F(1), a1 * inv, a2 * inv]


def _omega(freq_hz: float, sample_rate: int) -> np.float32:
    return (_F(2) * _PI * max(_F(freq_hz), _F(2))) / _F(sample_rate)


def first_order_pass(kind: str, cutoff_hz: float, sample_rate: int) -> list[np.float32]:
    """A first-order ``highpass`` or ``lowpass`` section (b2 = a2 = 0), as pedalboard's filters."""
    n = _tan(_PI * _F(cutoff_hz) / _F(sample_rate))
    zero = _F(0)
    if kind == "highpass":
        b0, b1, a0, a1 = _F(1), _F(-1), n + _F(1), n - _F(1)
    else:
        b0, b1, a0, a1 = n, n, n + _F(1), n - _F(1)
    inv = _F(1) / a0
    return [b0 * inv, b1 * inv, zero, _F(1), a1 * inv, zero]


def shelf(kind: str, freq_hz: float, q: float, gain_db: float, sample_rate: int) -> list[np.float32]:
    """A ``low_shelf`` or ``high_shelf`` section, as pedalboard's shelf filters."""
    gain = _db_to_gain(gain_db)
    a = max(_F(0), _sqrt(gain))
    am, ap = a - _F(1), a + _F(1)
    w = _omega(freq_hz, sample_rate)
    c = _cos(w)
    beta = _sin(w) * _sqrt(a) / _F(q)
    amc = am * c
    if kind == "low_shelf":
        return _section(a * (ap - amc + beta), a * _F(2) * (am - ap * c), a * (ap - amc - beta), ap + amc + beta, _F(-2) * (am + ap * c), ap + amc - beta)
    return _section(a * (ap + amc + beta), a * _F(-2) * (am + ap * c), a * (ap + amc - beta), ap - amc + beta, _F(2) * (am - ap * c), ap - amc - beta)


def peak(freq_hz: float, q: float, gain_db: float, sample_rate: int) -> list[np.float32]:
    """A peak section, as pedalboard's ``PeakFilter``."""
    gain = _db_to_gain(gain_db)
    a = max(_F(0), _sqrt(gain))
    w = _omega(freq_hz, sample_rate)
    alpha = _sin(w) / (_F(q) * _F(2))
    c2 = _F(-2) * _cos(w)
    return _section(_F(1) + alpha * a, c2, _F(1) - alpha * a, _F(1) + alpha / a, c2, _F(1) - alpha / a)


class SectionCascade:
    """A running cascade of second-order sections over ``(channels, frames)`` float32 audio.

    Parameters
    ----------
    sections : ndarray, float32, shape (n, 6)
        ``b0 b1 b2 1 a1 a2`` per section, in signal order.
    channels : int
    piece_frames : int
        Frames per call of the filter being reproduced: state is flushed (±1e-8 → 0)
        at the end of every such piece of the stream, wherever the blocks it comes in
        begin and end.
    """

    def __init__(self, sections: np.ndarray, *, channels: int, piece_frames: int) -> None:
        self.sections = np.ascontiguousarray(sections, dtype=_F)
        self.piece_frames = int(piece_frames)
        self._state = np.zeros((int(channels), self.sections.shape[0], 2), _F)  # (channels, sections, 2)
        self._phase = 0  # frames of the stream's current piece already filtered

    @property
    def state(self) -> np.ndarray:
        """The filters' state, float32 (channels, sections, 2), updated in place."""
        return self._state

    def process(self, block: Samples) -> Samples:
        """Filter ``block`` (any number of frames); state carries to the next call."""
        # numba: imported when an EQ first runs
        from stemforge.dsp.sections import cascade

        out = np.array(block, _F, order="C")  # filtered in place
        phase = self._phase
        for c in range(out.shape[0]):
            phase = cascade(out[c], self.sections, self._state[c], self.piece_frames, _SNAP, self._phase)
        self._phase = phase
        return out


__all__ = ["SectionCascade", "first_order_pass", "peak", "shelf"]
