"""Second-order EQ sections (shelves, peak, high/low-pass) that run block by block.

The coefficients are those of R. Bristow-Johnson's "Audio EQ Cookbook" (bilinear transform
of the analogue prototypes, frequency pre-warped); they run as second-order sections in
float64 with their state carried between blocks (``scipy.signal.sosfilt``), so a stem EQ'd
in blocks equals the stem EQ'd whole. Why not pedalboard's filters: its high- and low-pass
are first order (6 dB/octave) and take no Q.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import scipy.signal

from stemforge.audio.buffer import Samples
from stemforge.mastering.settings import EqBand

Sections = npt.NDArray[np.float64]


def band_sos(band: EqBand, sample_rate: int) -> Sections:
    """One EQ band as a second-order section ``[b0, b1, b2, 1, a1, a2]``, shape (1, 6)."""
    freq = min(band.freq_hz, 0.49 * sample_rate)
    w0 = 2.0 * math.pi * freq / sample_rate
    cos_w0, sin_w0 = math.cos(w0), math.sin(w0)
    alpha = sin_w0 / (2.0 * band.q)
    a_lin = 10.0 ** (band.gain_db / 40.0)
    if band.kind == "peak":
        b = [1 + alpha * a_lin, -2 * cos_w0, 1 - alpha * a_lin]
        a = [1 + alpha / a_lin, -2 * cos_w0, 1 - alpha / a_lin]
    elif band.kind in ("low_shelf", "high_shelf"):
        sign = 1.0 if band.kind == "low_shelf" else -1.0
        root = 2.0 * math.sqrt(a_lin) * alpha
        b = [
            a_lin * ((a_lin + 1) - sign * (a_lin - 1) * cos_w0 + root),
            sign * 2 * a_lin * ((a_lin - 1) - sign * (a_lin + 1) * cos_w0),
            a_lin * ((a_lin + 1) - sign * (a_lin - 1) * cos_w0 - root),
        ]
        a = [
            (a_lin + 1) + sign * (a_lin - 1) * cos_w0 + root,
            -sign * 2 * ((a_lin - 1) + sign * (a_lin + 1) * cos_w0),
            (a_lin + 1) + sign * (a_lin - 1) * cos_w0 - root,
        ]
    elif band.kind == "highpass":
        b = [(1 + cos_w0) / 2, -(1 + cos_w0), (1 + cos_w0) / 2]
        a = [1 + alpha, -2 * cos_w0, 1 - alpha]
    else:  # lowpass
        b = [(1 - cos_w0) / 2, 1 - cos_w0, (1 - cos_w0) / 2]
        a = [1 + alpha, -2 * cos_w0, 1 - alpha]
    return np.array([[b[0] / a[0], b[1] / a[0], b[2] / a[0], 1.0, a[1] / a[0], a[2] / a[0]]])


class EqChain:
    """A chain of EQ bands for ``channels`` channels, with state across blocks.

    Parameters
    ----------
    bands : sequence of EqBand
    sample_rate : int
        In Hz.
    channels : int
    """

    def __init__(self, bands: tuple[EqBand, ...], sample_rate: int, channels: int) -> None:
        self.sos = np.concatenate([band_sos(b, sample_rate) for b in bands]) if bands else np.zeros((0, 6))
        self._zi = np.zeros((self.sos.shape[0], channels, 2))

    def process(self, block: Samples) -> Samples:
        """Filter a block shaped ``(channels, frames)``."""
        if self.sos.shape[0] == 0 or block.shape[1] == 0:
            return block
        out, self._zi = scipy.signal.sosfilt(self.sos, block.astype(np.float64), axis=1, zi=self._zi)
        return out.astype(np.float32)


__all__ = ["EqChain", "band_sos"]
