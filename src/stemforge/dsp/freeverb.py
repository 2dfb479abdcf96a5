"""JUCE's Freeverb (pedalboard's ``Reverb``) compiled with numba, for stereo audio.

``juce::Reverb::processStereo``, which pedalboard's ``Reverb`` runs on two channels, is
Jezar's Freeverb: per channel, 8 comb filters in parallel, each with a one-pole low-pass
(the damping) in its feedback path, then 4 Schroeder all-pass filters in series. Per
sample, in float32 (``u(v) = (v + 0.1f) − 0.1f`` is ``JUCE_UNDENORMALISE`` on x86,
which also rounds small values to the grid of ``ulp(0.1f)``)::

    in    = (left + right) · 0.015
    comb:   out = buf[i];  last = u(out · (1 − damp) + last · damp);  buf[i] = u(in + last · feedback)
    sum   = ((0 + comb₀) + comb₁) + … + comb₇
    allp:   b = buf[i];  buf[i] = u(x + b · 0.5);  x = b − x        (4 in series)
    left  = sumL · wet1 + sumR · wet2 + left · dry                   (right: L ↔ R)

with ``damp = damping · 0.4``, ``feedback = room_size · 0.28 + 0.7``,
``wet1, wet2 = 0.5 · (mix · 3) · (1 ± width)``, ``dry = (1 − mix) · 2``, and delays of
``int(rate) · tuning // 44100`` samples: combs 1116 1188 1277 1356 1422 1491 1557 1617,
all-passes 556 441 341 225, the right channel's each 23 longer. The parameters are
smoothed over 10 ms; once a chain has primed an instance (see
:mod:`stemforge.dsp.chain`) they hold their targets, which are what is used here.

A comb's output is what it stored a whole delay (≥ 1116 samples at 44.1 kHz) earlier.
The combs' history is kept as one ring of rows, 16 lanes a row (both channels' combs),
one row per sample: each sample reads its 16 outputs from 16 earlier rows, and the
damping recursion runs for all 16 combs as one vector. An all-pass's output depends on
its input only through its delay, so each runs over whole stretches of its buffer at
once. The same float32 operations in the same order give pedalboard's samples bit for
bit (the tests compare them), in about 60 % of its CPU time.

Written by hand because pedalboard runs the reverb sample by sample and neither NumPy
nor SciPy has a recursion with this rounding. The rounding and the order of operations
are those of x86 builds of pedalboard; elsewhere ``JUCE_UNDENORMALISE`` does nothing and
compilers may fuse multiply-adds, so :func:`~stemforge.dsp.jit.available` is False there and the reverb
stays with pedalboard.
"""

from __future__ import annotations

import numpy as np

from stemforge.audio.buffer import Samples
from stemforge.dsp.jit import kernel

_F = np.float32
_COMB_TUNINGS = (1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617)
_ALLPASS_TUNINGS = (556, 441, 341, 225)
_STEREO_SPREAD = 23
#: Combs and all-passes per channel; the combs of both channels make the 16 lanes, ordered (channel, comb).
COMBS, ALLPASSES = len(_COMB_TUNINGS), len(_ALLPASS_TUNINGS)
LANES = 2 * COMBS
_TENTH = _F(0.1)
#: Frames per kernel call: longer blocks are cut, so that the signal and its comb sums stay
#: in the core's cache (4-minute render: 0.44 CPU-s a reverb in 131072-frame calls, 0.34 in these).
PIECE_FRAMES = 16384
_HALF = _F(0.5)


def delay_frames(sample_rate: int) -> tuple[list[int], list[int]]:
    """Comb and all-pass delays in samples, lanes ordered (channel, filter), as ``juce::Reverb::setSampleRate``."""
    rate = int(sample_rate)
    combs = [rate * (t + s) // 44100 for s in (0, _STEREO_SPREAD) for t in _COMB_TUNINGS]
    allpasses = [rate * (t + s) // 44100 for s in (0, _STEREO_SPREAD) for t in _ALLPASS_TUNINGS]
    return combs, allpasses


def gains(*, room_size: float, damping: float, width: float, wet_level: float, dry_level: float) -> np.ndarray:
    """``input, damp, feedback, dry, wet1, wet2`` as ``juce::Reverb::setParameters`` computes them (float32)."""
    room, damp, wid, wet_in, dry_in = (_F(v) for v in (room_size, damping, width, wet_level, dry_level))
    wet = wet_in * _F(3.0)
    return np.array(
        [
            _F(0.015),
            damp * _F(0.4),
            room * _F(0.28) + _F(0.7),
            dry_in * _F(2.0),
            _F(0.5) * wet * (_F(1.0) + wid),
            _F(0.5) * wet * (_F(1.0) - wid),
        ],
        _F,
    )


# The loops below take views that start at index 0 and are passed as separate arrays:
# numba then drops its negative-index handling and LLVM vectorises them (4× faster).


@kernel
def _combs(fed, wet, hist, cursor, delays, last, damp, feedback):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """The 16 combs of one instance over ``fed`` (N,) into ``wet`` (2, N): comb sums per channel.

    ``hist`` is a ring of rows (a power of two of them), 16 lanes a row, flattened: row
    ``cursor[0]`` is the current sample's, and comb ``j`` reads its output ``delays[j]``
    rows back. Every comb reads what it stored at least the shortest delay earlier, so
    the samples go in stretches no longer than that, in three simple loops each: gather
    the combs' outputs, sum them, then run the damping recursion and store.
    """
    mask = hist.shape[0] // LANES - 1
    keep = _F(1.0) - damp
    shortest = delays[0]
    for j in range(LANES):
        shortest = min(shortest, delays[j])
    frames = fed.shape[0]
    rows = np.empty(min(frames, shortest) * LANES, np.float32)  # [t][comb] of one stretch
    state = np.empty(LANES, np.float32)
    for j in range(LANES):
        state[j] = last[j]
    left, right = wet[0], wet[1]
    r0 = cursor[0]
    start = 0
    while start < frames:
        m = min(frames - start, shortest)
        for t in range(m):  # each comb's output: what it stored a delay ago (before this stretch)
            r = r0 + start + t
            for j in range(LANES):
                rows[t * LANES + j] = hist[((r - delays[j]) & mask) * LANES + j]
        for t in range(m):
            s = _F(0.0)
            for j in range(COMBS):
                s += rows[t * LANES + j]
            left[start + t] = s
            s = _F(0.0)
            for j in range(COMBS, LANES):
                s += rows[t * LANES + j]
            right[start + t] = s
        for t in range(m):  # damping, then what each comb stores now
            v_in = fed[start + t]
            row = ((r0 + start + t) & mask) * LANES
            for j in range(LANES):
                v = rows[t * LANES + j] * keep + state[j] * damp
                v = (v + _TENTH) - _TENTH
                state[j] = v
                v = v_in + v * feedback
                hist[row + j] = (v + _TENTH) - _TENTH
        start += m
    for j in range(LANES):
        last[j] = state[j]
    cursor[0] = (r0 + frames) & mask


@kernel
def _allpass(sig, held):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """One all-pass over a stretch no longer than its delay: ``held`` is its buffer from the read position."""
    for i in range(sig.shape[0]):
        b = held[i]
        x = sig[i]
        v = x + b * _HALF
        held[i] = (v + _TENTH) - _TENTH
        sig[i] = b - x


@kernel
def _allpasses(sig, buf, sizes, pos, first):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """The 4 all-passes ``first … first + 3`` of ``buf`` in series over ``sig`` (N,), in place."""
    frames = sig.shape[0]
    for a in range(first, first + ALLPASSES):
        size, p = sizes[a], pos[a]
        t = 0
        while t < frames:
            m = min(frames - t, size - p)
            _allpass(sig[t : t + m], buf[a, p : p + m])
            t += m
            p += m
            if p == size:
                p = 0
        pos[a] = p


@kernel
def _reverb(x, out, coeffs, hist, cursor, delays, last, ap_buf, ap_size, ap_pos):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Process ``x`` (2, N) into ``out`` (2, N); the other arrays are the instance's state."""
    frames = x.shape[1]
    gain, damp, feedback, dry, wet1, wet2 = coeffs[0], coeffs[1], coeffs[2], coeffs[3], coeffs[4], coeffs[5]
    fed = np.empty(frames, np.float32)
    for t in range(frames):
        fed[t] = (x[0, t] + x[1, t]) * gain
    wet = np.empty((2, frames), np.float32)
    _combs(fed, wet, hist, cursor, delays, last, damp, feedback)
    _allpasses(wet[0], ap_buf, ap_size, ap_pos, 0)
    _allpasses(wet[1], ap_buf, ap_size, ap_pos, ALLPASSES)
    for t in range(frames):
        left, right = wet[0, t], wet[1, t]
        out[0, t] = left * wet1 + right * wet2 + x[0, t] * dry
        out[1, t] = right * wet1 + left * wet2 + x[1, t] * dry


class StereoReverb:
    """A running stereo reverb over ``(2, frames)`` float32 audio.

    Parameters
    ----------
    sample_rate : int
        Hz.
    room_size, damping, width, wet_level, dry_level : float
        As pedalboard's ``Reverb`` takes them.
    """

    def __init__(self, *, sample_rate: int, room_size: float, damping: float, width: float, wet_level: float, dry_level: float) -> None:
        self.coeffs = gains(room_size=room_size, damping=damping, width=width, wet_level=wet_level, dry_level=dry_level)
        combs, allpasses = delay_frames(sample_rate)
        self._delays = np.array(combs, np.int64)
        self._hist = np.zeros((1 << max(combs).bit_length()) * LANES, _F)  # a ring of rows, a power of two more than the longest delay
        self._cursor = np.zeros(1, np.int64)
        self._last = np.zeros(LANES, _F)
        self._ap_size = np.array(allpasses, np.int64)
        self._ap_pos = np.zeros(len(allpasses), np.int64)
        self._ap_buf = np.zeros((len(allpasses), max(allpasses)), _F)

    def process(self, block: Samples) -> Samples:
        """Reverberate one ``(2, frames)`` block; state carries to the next call."""
        x = np.ascontiguousarray(block, dtype=_F)
        if x.ndim != 2 or x.shape[0] != 2:
            raise ValueError(f"block shaped {x.shape} must be (2, frames)")
        out = np.empty_like(x)
        for lo in range(0, x.shape[1], PIECE_FRAMES):  # pieces whose working arrays stay in the core's cache
            _reverb(x[:, lo : lo + PIECE_FRAMES], out[:, lo : lo + PIECE_FRAMES], self.coeffs, self._hist, self._cursor, self._delays,
                    self._last, self._ap_buf, self._ap_size, self._ap_pos)  # fmt: skip
        return out


__all__ = ["ALLPASSES", "COMBS", "LANES", "StereoReverb", "delay_frames", "gains"]
