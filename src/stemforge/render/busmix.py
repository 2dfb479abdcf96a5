"""Adding a scaled source into a bus in one pass (compiled with numba).

``bus += gains * audio`` in NumPy takes two passes and a scratch array (multiply, then
add); a stem bus does it once per track and per send, which made bus summing a tenth of
a render's CPU time. The kernel computes, element by element, the same float32 product
and the same float32 sum — ``bus[c, i] + gains[c] · audio[c or 0, i]`` — so the samples
are the ones NumPy gives, bit for bit.
"""

from __future__ import annotations

import numpy as np

from stemforge.audio.buffer import Samples
from stemforge.dsp.jit import kernel


@kernel
def _add_scaled(bus, gains, audio):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    mono = audio.shape[0] == 1
    for c in range(bus.shape[0]):
        g = gains[c, 0]
        src = audio[0] if mono else audio[c]
        row = bus[c]
        for i in range(row.shape[0]):
            row[i] = row[i] + g * src[i]


#: Frames per stretch of :func:`add_to_buses`: every bus's stretch and the source's stay in the core's cache.
_STRETCH = 4096


@kernel
def _add_stretch(row, g, src):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # views starting at index 0: numba drops its negative-index handling and the loop is vectorised
    for i in range(row.shape[0]):
        row[i] = row[i] + g * src[i]


@kernel
def _add_to_buses(buses, gains, used, audio):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    mono = audio.shape[0] == 1
    frames = audio.shape[1]
    for lo in range(0, frames, _STRETCH):
        hi = min(lo + _STRETCH, frames)
        for k in range(buses.shape[0]):
            if not used[k]:
                continue
            for c in range(buses.shape[1]):
                _add_stretch(buses[k, c, lo:hi], gains[k, c], audio[0, lo:hi] if mono else audio[c, lo:hi])


def add_to_buses(buses: np.ndarray, gains: np.ndarray, used: np.ndarray, audio: Samples) -> None:
    """``buses[k] += gains[k] * audio`` for every bus ``k`` where ``used[k]``, in place, in one pass over ``audio``.

    The same float32 products and sums as :func:`add_scaled` bus by bus, stretch by
    stretch, so that the source is read from memory once.

    Parameters
    ----------
    buses : ndarray, float32, shape (buses, channels, frames)
    gains : ndarray, float32, shape (buses, channels)
    used : ndarray, bool, shape (buses,)
        Buses left out are not touched (not even by ``0 * audio``).
    audio : ndarray, float32, shape (channels or 1, frames)
    """
    _add_to_buses(buses, gains, used, np.ascontiguousarray(audio, dtype=np.float32))


def add_scaled(bus: Samples, gains: np.ndarray, audio: Samples) -> None:
    """``bus += gains * audio`` in place.

    Parameters
    ----------
    bus : ndarray, float32, shape (channels, frames)
    gains : ndarray, float32, shape (channels, 1)
    audio : ndarray, float32, shape (channels or 1, frames)
        A mono source feeds every bus channel.
    """
    _add_scaled(bus, gains, np.ascontiguousarray(audio, dtype=np.float32))


__all__ = ["add_scaled", "add_to_buses"]
