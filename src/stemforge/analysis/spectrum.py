"""Long-term spectrum in 1/3-octave bands, streaming.

The power spectrum is averaged over consecutive Hann-windowed frames (Welch's method
without overlap: over a whole song the average needs no overlap, and it halves the work)
and over channels, then summed into the base-10 third-octave bands of IEC 61260-1
(centres ``1000 * 10**(n / 10)`` Hz, edges ``centre * 10**(+-1 / 20)``), from 20 Hz up to the
highest band below the Nyquist frequency. The frame length is the power of two of at least a
third of a second, so the narrowest band (20 Hz, 4.6 Hz wide) always holds an FFT bin.

Levels are band RMS levels in dB relative to full scale, on the same scale as
``rms_dbfs``: a full-scale sine reads -3.01 dB in its band.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.fft

#: Band numbers ``n`` of the centres ``1000 * 10**(n / 10)``: 20 Hz (n = -17) to 20 kHz (n = 13).
_FIRST_BAND = -17
_LAST_BAND = 13


def third_octave_centres_hz(sample_rate: int) -> npt.NDArray[np.float64]:
    """Exact base-10 third-octave centres (Hz) whose upper edge is below the Nyquist frequency."""
    centres = 1000.0 * 10.0 ** (np.arange(_FIRST_BAND, _LAST_BAND + 1) / 10.0)
    return centres[centres * 10.0 ** (1.0 / 20.0) <= sample_rate / 2.0]


def frame_length(sample_rate: int) -> int:
    """FFT frame length: the smallest power of two of at least ``sample_rate / 3`` frames."""
    return int(2 ** int(np.ceil(np.log2(max(sample_rate / 3.0, 16.0)))))


class SpectrumAccumulator:
    """Accumulates the long-term power spectrum of ``channels`` channels block by block.

    Parameters
    ----------
    sample_rate : int
        In Hz.
    channels : int
        Number of channels.
    """

    def __init__(self, sample_rate: int, channels: int) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self.nfft = frame_length(sample_rate)
        self.hop = self.nfft
        self._window = np.hanning(self.nfft + 1)[:-1].astype(np.float32)
        self._pending = np.zeros((channels, 0), np.float32)
        self._power = np.zeros(self.nfft // 2 + 1)
        self._frames = 0

    def copy(self) -> SpectrumAccumulator:
        """An independent copy of this accumulator and its state."""
        other = object.__new__(SpectrumAccumulator)
        other.__dict__.update(self.__dict__)
        other._pending = self._pending.copy()
        other._power = self._power.copy()
        return other

    def process(self, block: npt.NDArray[np.float32]) -> None:
        """Feed ``block`` (float32, shape (channels, frames))."""
        pending = np.concatenate([self._pending, block], axis=1) if self._pending.shape[1] else block
        count = (pending.shape[1] - self.nfft) // self.hop + 1 if pending.shape[1] >= self.nfft else 0
        if count > 0:
            frames = np.lib.stride_tricks.sliding_window_view(pending, self.nfft, axis=1)[:, : count * self.hop : self.hop]
            spectra = scipy.fft.rfft(frames * self._window, axis=-1)
            power = spectra.real**2 + spectra.imag**2
            self._power += power.sum(axis=(0, 1), dtype=np.float64)
            self._frames += count
        self._pending = pending[:, count * self.hop :].copy()

    def band_levels_db(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Band centres (Hz) and band RMS levels (dB re full scale) of everything fed so far.

        Audio shorter than one frame is measured as one shorter Hann-windowed frame.
        """
        centres = third_octave_centres_hz(self.sample_rate)
        power, frames = self._power, self._frames
        window_power = float(np.sum(self._window.astype(np.float64) ** 2))
        if frames == 0:
            length = self._pending.shape[1]
            if length == 0:
                return centres, np.full(centres.shape, -np.inf)
            window = np.hanning(length + 2)[1:-1]
            spectra = scipy.fft.rfft(self._pending.astype(np.float64) * window, n=self.nfft, axis=-1)
            power = (spectra.real**2 + spectra.imag**2).sum(axis=0)
            frames = 1
            window_power = float(np.sum(window**2))
        # One-sided mean power per bin: a sine of amplitude A sums to A**2 / 2 over its band.
        scale = 2.0 / (self.nfft * window_power * frames * self.channels)
        bin_power = power * scale
        bin_power[0] /= 2.0
        bin_hz = np.arange(bin_power.size) * self.sample_rate / self.nfft
        edges = np.concatenate([centres * 10.0 ** (-1.0 / 20.0), centres[-1:] * 10.0 ** (1.0 / 20.0)])
        cumulative = np.concatenate([[0.0], np.cumsum(bin_power)])
        bounds = np.searchsorted(bin_hz, edges, side="left")
        band_power = cumulative[bounds[1:]] - cumulative[bounds[:-1]]
        with np.errstate(divide="ignore"):
            levels = 10.0 * np.log10(np.maximum(band_power, 0.0))
        return centres, levels


__all__ = ["SpectrumAccumulator", "frame_length", "third_octave_centres_hz"]
