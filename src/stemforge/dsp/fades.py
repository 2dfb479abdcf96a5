"""Fade curves for clip edges.

A fade of ``n`` frames gives sample ``k`` (``0 ≤ k < n``) of a fade-in the gain
``curve(k / n)``: the first sample is silent and the sample after the fade is at unity.
A fade-out is the exact mirror image, ending on a silent last sample. Curves:

- ``linear``: ``x``
- ``equal_power``: ``sin(πx/2)`` — a crossfade with its mirror keeps constant power
- ``exponential``: ``(e^{4x} − 1) / (e^4 − 1)`` — slow start, fast finish (natural for fade-ins of decaying material)
- ``s_curve``: ``(1 − cos πx) / 2`` — gentle at both ends
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FADE_SHAPES = ("linear", "equal_power", "exponential", "s_curve")


def fade_curve(shape: str, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Gain of ``shape`` at positions ``x`` in ``[0, 1]``."""
    if shape == "linear":
        return x
    if shape == "equal_power":
        return np.sin(0.5 * math.pi * x)
    if shape == "exponential":
        return np.expm1(4.0 * x) / math.expm1(4.0)
    if shape == "s_curve":
        return 0.5 - 0.5 * np.cos(math.pi * x)
    raise ValueError(f"fade_shape={shape!r} is not one of: {', '.join(FADE_SHAPES)}")


def fade_gains(shape: str, *, frames: int, start: int, stop: int, fade_out: bool = False) -> npt.NDArray[np.float32]:
    """Gains of samples ``start … stop-1`` of a fade of ``frames`` frames.

    Parameters
    ----------
    shape : str
        One of :data:`FADE_SHAPES`.
    frames : int
        Length of the whole fade.
    start, stop : int
        The part wanted, ``0 ≤ start ≤ stop ≤ frames``.
    fade_out : bool
        Mirror the fade-in (unity first, silent last sample).
    """
    k = np.arange(start, stop, dtype=np.float64)
    if fade_out:
        k = frames - 1 - k
    return fade_curve(shape, k / frames).astype(np.float32)


__all__ = ["FADE_SHAPES", "fade_curve", "fade_gains"]
