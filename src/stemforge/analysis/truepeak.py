"""True-peak level (ITU-R BS.1770-4, Annex 2), streaming.

Annex 2 estimates the peak of the continuous signal by oversampling (4x at 48 kHz) with a
polyphase interpolation FIR and taking the largest absolute value. We oversample 4x at
44.1/48 kHz, 8x at 22.05-32 kHz, 16x below, 2x at 88.2/96 kHz and 1x from 176.4 kHz, as the
Annex allows.

Why by hand: ``scipy.signal.upfirdn`` keeps no state between blocks and computes the phase
that merely reproduces the input. Our interpolator is a windowed sinc whose zeros fall on
the input grid (a Nyquist filter), so phase 0 is the input itself and only the ``L - 1``
in-between phases are computed. To keep the arithmetic in one efficient matrix product,
``GROUP`` consecutive output positions are computed together: each row of the product is
an input window of ``TAPS_PER_PHASE + GROUP - 1`` samples, multiplied by a banded matrix
holding every branch at every offset.

Samples not yet covered by a whole group are carried to the next block with the filter
history, so feeding a signal in blocks of any size gives the same peaks as feeding it whole
in the same internal blocks (the meter always feeds fixed internal blocks). Callers run it
inside ``_blas.single_threaded_blas()``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

#: Taps of each polyphase branch of the interpolator.
TAPS_PER_PHASE = 24
#: Kaiser window shape of the interpolator (about 80 dB stop-band).
KAISER_BETA = 8.0
#: Output positions computed per row of the matrix product.
GROUP = 32


def oversampling_factor(sample_rate: int) -> int:
    """Oversampling ratio used for true peak at ``sample_rate`` (Hz)."""
    if sample_rate >= 176_400:
        return 1
    if sample_rate >= 88_200:
        return 2
    if sample_rate >= 44_100:
        return 4
    if sample_rate >= 22_050:
        return 8
    return 16


def interpolation_filter(factor: int) -> npt.NDArray[np.float64]:
    """The ``factor``-times interpolation FIR: a Kaiser-windowed sinc cut off at the input Nyquist.

    Returns
    -------
    np.ndarray, float64, shape (factor * TAPS_PER_PHASE,)
        Branch ``p`` of the polyphase form is ``h[p::factor]``; branch 0 is a unit impulse
        (the filter passes the input samples through unchanged).
    """
    length = factor * TAPS_PER_PHASE
    n = np.arange(length) - length // 2
    return np.sinc(n / factor) * np.kaiser(length + 1, KAISER_BETA)[:-1]


class TruePeakDetector:
    """Streaming true-peak detector for ``channels`` channels at ``sample_rate``.

    Parameters
    ----------
    sample_rate : int
        In Hz.
    channels : int
        Number of channels.
    """

    def __init__(self, sample_rate: int, channels: int) -> None:
        self.factor = oversampling_factor(sample_rate)
        self.channels = channels
        h = interpolation_filter(self.factor)
        taps = TAPS_PER_PHASE
        # Windows run oldest to newest, so each branch is applied reversed.
        branches = [h[p :: self.factor][::-1] for p in range(1, self.factor)]
        self._window = taps + GROUP - 1
        matrix = np.zeros((self._window, GROUP * len(branches)), np.float32)
        for offset in range(GROUP):
            for index, branch in enumerate(branches):
                matrix[offset : offset + taps, offset * len(branches) + index] = branch
        self._matrix = matrix
        self._history = np.zeros((channels, taps - 1), np.float32)
        #: Largest absolute value so far per channel, of the samples and the interpolated signal.
        self.peaks = np.zeros(channels)

    def copy(self) -> TruePeakDetector:
        """An independent copy of this detector and its state."""
        other = object.__new__(TruePeakDetector)
        other.__dict__.update(self.__dict__)
        other._history = self._history.copy()
        other.peaks = self.peaks.copy()
        return other

    def process(self, block: npt.NDArray[np.float32]) -> None:
        """Feed ``block`` (float32, shape (channels, frames)) and update :attr:`peaks`."""
        if block.shape[1] == 0:
            return
        np.maximum(self.peaks, np.abs(block).max(axis=1), out=self.peaks)
        if self.factor > 1:
            self._interpolate(block)

    def _interpolate(self, block: npt.NDArray[np.float32]) -> None:
        extended = np.concatenate([self._history, block], axis=1)
        rows = (extended.shape[1] - self._window) // GROUP + 1 if extended.shape[1] >= self._window else 0
        if rows > 0:
            for channel in range(self.channels):
                windows = sliding_window_view(extended[channel], self._window)[: rows * GROUP : GROUP]
                outputs = windows @ self._matrix
                peak = max(float(outputs.max()), -float(outputs.min()))
                if peak > self.peaks[channel]:
                    self.peaks[channel] = peak
        self._history = extended[:, rows * GROUP :].copy()

    def flush(self) -> None:
        """Run the interpolator out past the last sample (as if silence followed)."""
        if self.factor > 1:
            self._interpolate(np.zeros((self.channels, TAPS_PER_PHASE // 2 + GROUP), np.float32))


__all__ = ["GROUP", "KAISER_BETA", "TAPS_PER_PHASE", "TruePeakDetector", "interpolation_filter", "oversampling_factor"]
