"""Second-order sections in transposed direct form II, compiled with numba.

The same float32 expressions, in the same order, as ``scipy.signal.sosfilt``'s kernel
(``y = b0·x + z0;  z0 = b1·x − a1·y + z1;  z1 = b2·x − a2·y``), so the samples are
the same bit for bit, in about three quarters of the time: scipy's loop keeps the state
in memory, which puts a store and a load into every step of the recursion; here each
pass keeps up to four sections' state in registers, and a longer cascade takes several
passes over the piece. Used by :class:`stemforge.dsp.iir.SectionCascade`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from stemforge.dsp.jit import kernel

_F = np.float32


@njit(nogil=True, cache=True, inline="always")  # as stemforge.dsp.jit.kernel, and inlined where it is used
def _section(v, b0, b1, b2, a1, a2, z0, z1):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """One transposed direct form II step: ``(y, z0, z1)`` after input ``v``."""
    y = b0 * v + z0
    return y, b1 * v - a1 * y + z1, b2 * v - a2 * y


@kernel
def _pass1(x, sos, z, s):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    b0, b1, b2, a1, a2 = sos[s, 0], sos[s, 1], sos[s, 2], sos[s, 4], sos[s, 5]
    z0, z1 = z[s, 0], z[s, 1]
    for n in range(x.shape[0]):
        x[n], z0, z1 = _section(x[n], b0, b1, b2, a1, a2, z0, z1)
    z[s, 0], z[s, 1] = z0, z1


@kernel
def _pass2(x, sos, z, s):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    b00, b01, b02, a01, a02 = sos[s, 0], sos[s, 1], sos[s, 2], sos[s, 4], sos[s, 5]
    b10, b11, b12, a11, a12 = sos[s + 1, 0], sos[s + 1, 1], sos[s + 1, 2], sos[s + 1, 4], sos[s + 1, 5]
    z00, z01, z10, z11 = z[s, 0], z[s, 1], z[s + 1, 0], z[s + 1, 1]
    for n in range(x.shape[0]):
        y, z00, z01 = _section(x[n], b00, b01, b02, a01, a02, z00, z01)
        y, z10, z11 = _section(y, b10, b11, b12, a11, a12, z10, z11)
        x[n] = y
    z[s, 0], z[s, 1], z[s + 1, 0], z[s + 1, 1] = z00, z01, z10, z11


@kernel
def _pass3(x, sos, z, s):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    b00, b01, b02, a01, a02 = sos[s, 0], sos[s, 1], sos[s, 2], sos[s, 4], sos[s, 5]
    b10, b11, b12, a11, a12 = sos[s + 1, 0], sos[s + 1, 1], sos[s + 1, 2], sos[s + 1, 4], sos[s + 1, 5]
    b20, b21, b22, a21, a22 = sos[s + 2, 0], sos[s + 2, 1], sos[s + 2, 2], sos[s + 2, 4], sos[s + 2, 5]
    z00, z01, z10, z11, z20, z21 = z[s, 0], z[s, 1], z[s + 1, 0], z[s + 1, 1], z[s + 2, 0], z[s + 2, 1]
    for n in range(x.shape[0]):
        y, z00, z01 = _section(x[n], b00, b01, b02, a01, a02, z00, z01)
        y, z10, z11 = _section(y, b10, b11, b12, a11, a12, z10, z11)
        y, z20, z21 = _section(y, b20, b21, b22, a21, a22, z20, z21)
        x[n] = y
    z[s, 0], z[s, 1], z[s + 1, 0], z[s + 1, 1], z[s + 2, 0], z[s + 2, 1] = z00, z01, z10, z11, z20, z21


@kernel
def _pass4(x, sos, z, s):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    b00, b01, b02, a01, a02 = sos[s, 0], sos[s, 1], sos[s, 2], sos[s, 4], sos[s, 5]
    b10, b11, b12, a11, a12 = sos[s + 1, 0], sos[s + 1, 1], sos[s + 1, 2], sos[s + 1, 4], sos[s + 1, 5]
    b20, b21, b22, a21, a22 = sos[s + 2, 0], sos[s + 2, 1], sos[s + 2, 2], sos[s + 2, 4], sos[s + 2, 5]
    b30, b31, b32, a31, a32 = sos[s + 3, 0], sos[s + 3, 1], sos[s + 3, 2], sos[s + 3, 4], sos[s + 3, 5]
    z00, z01, z10, z11 = z[s, 0], z[s, 1], z[s + 1, 0], z[s + 1, 1]
    z20, z21, z30, z31 = z[s + 2, 0], z[s + 2, 1], z[s + 3, 0], z[s + 3, 1]
    for n in range(x.shape[0]):
        y, z00, z01 = _section(x[n], b00, b01, b02, a01, a02, z00, z01)
        y, z10, z11 = _section(y, b10, b11, b12, a11, a12, z10, z11)
        y, z20, z21 = _section(y, b20, b21, b22, a21, a22, z20, z21)
        y, z30, z31 = _section(y, b30, b31, b32, a31, a32, z30, z31)
        x[n] = y
    z[s, 0], z[s, 1], z[s + 1, 0], z[s + 1, 1] = z00, z01, z10, z11
    z[s + 2, 0], z[s + 2, 1], z[s + 3, 0], z[s + 3, 1] = z20, z21, z30, z31


@kernel
def _pass4_envelope(x, sos, z, s, levels, e, attack, release):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """:func:`_pass4`, then a compressor's envelope of its output (see :mod:`stemforge.dsp.ballistics`)
    into ``levels``, from the running value ``e``; returns the last value.

    Both recursions wait on their own previous value; in one loop the processor runs them
    side by side, so the envelope costs almost nothing more than the filters.
    """
    b00, b01, b02, a01, a02 = sos[s, 0], sos[s, 1], sos[s, 2], sos[s, 4], sos[s, 5]
    b10, b11, b12, a11, a12 = sos[s + 1, 0], sos[s + 1, 1], sos[s + 1, 2], sos[s + 1, 4], sos[s + 1, 5]
    b20, b21, b22, a21, a22 = sos[s + 2, 0], sos[s + 2, 1], sos[s + 2, 2], sos[s + 2, 4], sos[s + 2, 5]
    b30, b31, b32, a31, a32 = sos[s + 3, 0], sos[s + 3, 1], sos[s + 3, 2], sos[s + 3, 4], sos[s + 3, 5]
    z00, z01, z10, z11 = z[s, 0], z[s, 1], z[s + 1, 0], z[s + 1, 1]
    z20, z21, z30, z31 = z[s + 2, 0], z[s + 2, 1], z[s + 3, 0], z[s + 3, 1]
    for n in range(x.shape[0]):
        y, z00, z01 = _section(x[n], b00, b01, b02, a01, a02, z00, z01)
        y, z10, z11 = _section(y, b10, b11, b12, a11, a12, z10, z11)
        y, z20, z21 = _section(y, b20, b21, b22, a21, a22, z20, z21)
        y, z30, z31 = _section(y, b30, b31, b32, a31, a32, z30, z31)
        x[n] = y
        u = abs(y)
        k = attack if u > e else release
        e = u + k * (e - u)
        levels[n] = e
    z[s, 0], z[s, 1], z[s + 1, 0], z[s + 1, 1] = z00, z01, z10, z11
    z[s + 2, 0], z[s + 2, 1], z[s + 3, 0], z[s + 3, 1] = z20, z21, z30, z31
    return e


@kernel
def _passes(part, sos, z, first, last):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Sections ``first … last − 1`` over ``part``, in passes of up to four."""
    s = first
    while s < last:
        left = last - s
        if left >= 4:
            _pass4(part, sos, z, s)
            s += 4
        elif left == 3:
            _pass3(part, sos, z, s)
            s += 3
        elif left == 2:
            _pass2(part, sos, z, s)
            s += 2
        else:
            _pass1(part, sos, z, s)
            s += 1


@kernel
def _flush(z, snap):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    for i in range(z.shape[0]):
        for k in range(2):
            if abs(z[i, k]) <= snap:
                z[i, k] = _F(0.0)


@kernel
def cascade(x, sos, z, piece, snap, phase):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Filter one channel ``x`` (N,) in place; the state ``z`` (sections, 2) is flushed —
    values within ±``snap`` become 0 — at the end of every ``piece`` frames of the stream.

    ``phase`` is how far into a piece the stream stood before ``x``; returns where it stands after.
    """
    lo = 0
    while lo < x.shape[0]:
        m = min(x.shape[0] - lo, piece - phase)
        _passes(x[lo : lo + m], sos, z, 0, sos.shape[0])
        lo += m
        phase += m
        if phase == piece:
            phase = 0
            _flush(z, snap)
    return phase


@kernel
def cascade_envelope(x, sos, z, piece, snap, phase, levels, e, attack, release):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """:func:`cascade` (at least 4 sections), the last four fused with a compressor's envelope
    of the output into ``levels`` (N,) from the running value ``e``; returns the phase and the last value."""
    lo = 0
    last = sos.shape[0] - 4
    while lo < x.shape[0]:
        m = min(x.shape[0] - lo, piece - phase)
        part = x[lo : lo + m]
        _passes(part, sos, z, 0, last)
        e = _pass4_envelope(part, sos, z, last, levels[lo : lo + m], e, attack, release)
        lo += m
        phase += m
        if phase == piece:
            phase = 0
            _flush(z, snap)
    return phase, e


__all__ = ["cascade", "cascade_envelope"]
