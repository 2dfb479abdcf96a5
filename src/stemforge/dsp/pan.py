"""Gain and pan laws for placing a track on the stereo bus.

Mono sources use the constant-power sine/cosine law: at centre each side gets
cos(π/4) = −3.01 dB and L² + R² = 1 at every position, so a sound keeps its power as it
moves. Stereo sources use a balance control: centre leaves both sides at unity and
moving right turns the left side down linearly (and vice versa), as DAW stereo tracks do.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt


def db_to_gain(gain_db: float) -> float:
    """Linear amplitude factor of a level change in dB."""
    return 10.0 ** (gain_db / 20.0)


def gain_to_db(gain: float) -> float:
    """Level in dB of a linear amplitude (−inf for 0)."""
    return 20.0 * math.log10(gain) if gain > 0 else -math.inf


def channel_gains(channels: int, *, pan: float, gain_db: float = 0.0, invert: bool = False) -> npt.NDArray[np.float32]:
    """Gains from a source's channels to the stereo bus.

    Parameters
    ----------
    channels : int
        1 (mono source) or 2 (stereo source).
    pan : float
        −1 (left) … +1 (right).
    gain_db : float
        Fader level.
    invert : bool
        Flip polarity.

    Returns
    -------
    np.ndarray, float32, shape (2, 1)
        ``bus = gains * source`` by broadcasting: for a mono source both rows feed the
        one channel; for a stereo source row ``c`` scales channel ``c``.
    """
    g = db_to_gain(gain_db) * (-1.0 if invert else 1.0)
    if channels == 1:
        theta = (pan + 1.0) * math.pi / 4.0
        left, right = math.cos(theta), math.sin(theta)
    elif channels == 2:
        left, right = min(1.0, 1.0 - pan), min(1.0, 1.0 + pan)
    else:
        raise ValueError(f"channels={channels} must be 1 or 2")
    return np.array([[g * left], [g * right]], dtype=np.float32)


__all__ = ["channel_gains", "db_to_gain", "gain_to_db"]
