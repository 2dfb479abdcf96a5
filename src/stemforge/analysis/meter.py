"""The streaming loudness meter: feed blocks of any size, read a :class:`LoudnessReport`.

``LoudnessMeter`` follows the processing-node lifecycle (``process`` / ``result`` /
``reset``). Incoming blocks are re-cut into fixed internal blocks of one second, whatever
the caller's block size, and every measurement is accumulated per internal block: K-weighted
energies per 100 ms sub-block (BS.1770-4 eq. 1), the true-peak interpolator
(Annex 2), sample statistics and the spectrum. Because the arithmetic never depends on how
the caller cut the audio, streaming gives exactly the results of measuring the whole buffer
at once, and memory stays bounded: a few numbers per 100 ms, whatever the length.

``result()`` may be called at any time (a live meter); it measures the partial internal
block on a copy of the state and leaves the meter able to go on.

The K-weighting runs block-wise as matrix products (``blockfilter``), whose energies match
float64 ``sosfilt`` to 1e-6 relative at a third of its cost; for the rare sample rate without
a suitable block length it falls back to float64 ``sosfilt``. Matrix products run on one
BLAS thread (``_blas``).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import scipy.signal

from stemforge.analysis import gating
from stemforge.analysis._blas import single_threaded_blas
from stemforge.analysis._pages import PagedArray
from stemforge.analysis.blockfilter import BlockIIR, block_length
from stemforge.analysis.kweighting import channel_weights, k_weighting_sos
from stemforge.analysis.levels import LevelAccumulator
from stemforge.analysis.result import LoudnessReport
from stemforge.analysis.spectrum import SpectrumAccumulator
from stemforge.analysis.truepeak import TruePeakDetector, oversampling_factor
from stemforge.errors import AnalysisError, UsageError

#: Sub-blocks (100 ms) per second: the gating hop of BS.1770-4 (75 % overlap of 400 ms).
SUB_BLOCKS_PER_SECOND = 10
#: Frames converted at a time when a long block is not float32 in C order already.
_PROCESS_PIECE_FRAMES = 1 << 18


def _db(value: float) -> float:
    return 20.0 * math.log10(value) if value > 0 else -math.inf


def _max_or_none(values: npt.NDArray[np.float64]) -> float | None:
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else None


class LoudnessMeter:
    """Streaming BS.1770-4 / EBU R 128 meter with true peak, levels and spectrum.

    Parameters
    ----------
    sample_rate : int
        In Hz (at least 8000).
    channels : int
        Channels of every block; 6 channels are weighted as 5.1 (L R C LFE Ls Rs).
    path : str, optional
        Name of the source, used in the report and in error messages.
    true_peak : bool, default True
        Measure true peak (about a sixth of the work).
    spectrum : bool, default True
        Measure the 1/3-octave spectrum.
    levels : bool, default True
        Gather sample statistics (sample peak, RMS, DC, correlation, clipping); without
        them the report's loudness and true peak are as usual and those fields empty.

    Examples
    --------
    >>> meter = LoudnessMeter(48000, 2)
    >>> for block in blocks:          # float32, shape (2, frames), any frames
    ...     meter.process(block)
    >>> meter.result().integrated_lufs
    """

    def __init__(
        self,
        sample_rate: int,
        channels: int,
        *,
        path: str | None = None,
        true_peak: bool = True,
        spectrum: bool = True,
        levels: bool = True,
    ) -> None:
        self._sos = k_weighting_sos(sample_rate)  # validates sample_rate
        self.sample_rate = int(sample_rate)
        self._weights = channel_weights(channels)  # validates channels
        self.channels = int(channels)
        self.path = path
        self._measure_true_peak = true_peak
        self._measure_spectrum = spectrum
        self._measure_levels = levels
        self._chunk = self.sample_rate
        self._filter_block = block_length(self._chunk)
        self._sub_starts = (np.arange(SUB_BLOCKS_PER_SECOND, dtype=np.int64) * self.sample_rate) // SUB_BLOCKS_PER_SECOND
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything measured so far."""
        self.frames = 0
        if self._filter_block is not None:
            self._filter: BlockIIR | None = BlockIIR(
                self._sos, self.channels, block=self._filter_block, max_blocks=self._chunk // self._filter_block
            )
        else:
            self._filter = None
        self._zi = np.zeros((self._sos.shape[0], self.channels, 2))
        self._consumed = 0
        self._sums = PagedArray()  # (channels, sub-blocks) sums of squared K-weighted samples
        self._sub_frames = PagedArray()  # (sub-blocks,) frames in each
        self._pending: list[npt.NDArray[np.float32]] = []
        self._pending_frames = 0
        self._levels = LevelAccumulator(self.channels)
        self._true_peak = TruePeakDetector(self.sample_rate, self.channels) if self._measure_true_peak else None
        self._spectrum = SpectrumAccumulator(self.sample_rate, self.channels) if self._measure_spectrum else None

    def process(self, block: npt.NDArray[np.floating]) -> None:
        """Feed the next ``block`` of audio.

        Parameters
        ----------
        block : np.ndarray, float, shape (channels, frames)
            Any number of frames; converted to float32.

        Raises
        ------
        UsageError
            If the block is not 2-D with ``channels`` rows.
        AnalysisError
            If it holds a NaN or infinite sample (naming the frame and channel).
        """
        array = np.asarray(block)
        if array.ndim == 2 and array.shape[1] > _PROCESS_PIECE_FRAMES and not (array.dtype == np.float32 and array.flags.c_contiguous):
            # A long block that needs converting is converted a piece at a time (memory).
            for start in range(0, array.shape[1], _PROCESS_PIECE_FRAMES):
                self.process(array[:, start : start + _PROCESS_PIECE_FRAMES])
            return
        block = self._checked(array)
        with single_threaded_blas():
            self._feed(block)
        self.frames += block.shape[1]

    def _feed(self, block: npt.NDArray[np.float32]) -> None:
        frames = block.shape[1]
        offset = 0
        if self._pending_frames:
            take = min(self._chunk - self._pending_frames, frames)
            self._pending.append(block[:, :take].copy())  # the caller may reuse its buffer
            self._pending_frames += take
            offset = take
            if self._pending_frames == self._chunk:
                self._consume(np.concatenate(self._pending, axis=1))
                self._pending, self._pending_frames = [], 0
        while frames - offset >= self._chunk:
            self._consume(block[:, offset : offset + self._chunk])
            offset += self._chunk
        if offset < frames:
            self._pending.append(block[:, offset:].copy())
            self._pending_frames += frames - offset

    def result(self) -> LoudnessReport:
        """Measurements of everything fed so far (the meter can go on afterwards)."""
        meter = self._copy()
        with single_threaded_blas():
            meter._finish()
        return meter._report()

    @classmethod
    def _loudness_only(cls, sample_rate: int, channels: int) -> LoudnessMeter:
        """A meter for :meth:`integrated_lufs` alone: no true peak, spectrum or sample statistics."""
        meter = cls(sample_rate, channels, true_peak=False, spectrum=False)
        meter._measure_levels = False
        return meter

    def integrated_lufs(self) -> float | None:
        """Integrated loudness of everything fed so far, without the rest of the report."""
        meter = self._copy()
        with single_threaded_blas():
            meter._finish()
        sums, sub_frames = meter._sub_block_arrays()
        blocks = gating.window_energies(sums, sub_frames, self._weights, gating.MOMENTARY_SUB_BLOCKS)
        return gating.integrated_from_block_energies(blocks)

    # -- internals -------------------------------------------------------------------------
    def _checked(self, block: npt.NDArray[np.floating]) -> npt.NDArray[np.float32]:
        array = np.asarray(block)
        if array.ndim != 2 or array.shape[0] != self.channels:
            raise UsageError(
                f"block of shape {array.shape} must be (channels={self.channels}, frames); "
                "mono is (1, frames)"
            )
        if not np.issubdtype(array.dtype, np.floating):
            raise UsageError(f"block of dtype {array.dtype} must be floating point")
        return np.ascontiguousarray(array, dtype=np.float32)

    def _consume(self, chunk: npt.NDArray[np.float32]) -> None:
        """Measure one internal block: a full second, or the shorter last one."""
        frames = chunk.shape[1]
        if self._filter is not None:
            weighted = self._filter.process(chunk)
            state = self._filter.state
        else:
            weighted, self._zi = scipy.signal.sosfilt(self._sos, chunk.astype(np.float64), axis=1, zi=self._zi)
            state = self._zi
        if not np.isfinite(state).all():  # a NaN or infinity anywhere in the chunk reaches the state
            self._raise_non_finite(chunk)
        starts = self._sub_starts[self._sub_starts < frames]
        ends = np.append(self._sub_starts[1:], self._chunk)[: starts.size]
        complete = int(np.count_nonzero(ends <= frames))
        if complete:
            squares = np.square(weighted[:, : ends[complete - 1]], dtype=np.float64)
            self._sums.append(np.add.reduceat(squares, starts[:complete], axis=1))
            self._sub_frames.append((ends - starts)[:complete])
        if self._measure_levels:
            self._levels.process(chunk, chunk.astype(np.float64), starts)
        if self._true_peak is not None:
            self._true_peak.process(chunk)
        if self._spectrum is not None:
            self._spectrum.process(chunk)
        self._consumed += frames

    def _raise_non_finite(self, chunk: npt.NDArray[np.float32]) -> None:
        position = first_non_finite(chunk)
        if position is None:
            raise AnalysisError(f"{self.path or 'audio'}: sample values near frame {self._consumed} are too large to measure")
        raise non_finite_error(self.path, chunk, position, offset=self._consumed)

    def _finish(self) -> None:
        if self._pending_frames:
            self._consume(np.concatenate(self._pending, axis=1))
            self._pending, self._pending_frames = [], 0
        if self._true_peak is not None:
            self._true_peak.flush()

    def _copy(self) -> LoudnessMeter:
        other = object.__new__(LoudnessMeter)
        other.__dict__.update(self.__dict__)
        other._zi = self._zi.copy()
        other._filter = self._filter.copy() if self._filter is not None else None
        other._sums = self._sums.copy()
        other._sub_frames = self._sub_frames.copy()
        other._pending = list(self._pending)
        other._levels = self._levels.copy()
        other._true_peak = self._true_peak.copy() if self._true_peak is not None else None
        other._spectrum = self._spectrum.copy() if self._spectrum is not None else None
        return other

    def _sub_block_arrays(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        return self._sums.concatenate(np.zeros((self.channels, 0))), self._sub_frames.concatenate(np.zeros(0, np.int64))

    def _report(self) -> LoudnessReport:
        sums, sub_frames = self._sub_block_arrays()
        momentary = gating.window_energies(sums, sub_frames, self._weights, gating.MOMENTARY_SUB_BLOCKS)
        short_term = gating.window_energies(sums, sub_frames, self._weights, gating.SHORT_TERM_SUB_BLOCKS)
        integrated = gating.integrated_from_block_energies(momentary)
        momentary_lufs = gating.energy_to_lufs(momentary)
        short_term_lufs = gating.energy_to_lufs(short_term)

        levels = self._levels
        sample_peaks = tuple(_db(float(v)) for v in levels.peak)
        sample_peak = max(sample_peaks) if sample_peaks else -math.inf
        if self._true_peak is not None:
            channel_true_peaks = tuple(_db(float(v)) for v in np.maximum(self._true_peak.peaks, levels.peak))
            true_peak: float | None = max(channel_true_peaks)
        else:
            channel_true_peaks, true_peak = (), None
        total = levels.frames * self.channels
        rms = math.sqrt(float(levels.sum_squares.sum()) / total) if total else 0.0
        rms_dbfs = _db(rms)
        means = levels.sum / levels.frames if levels.frames else np.zeros(self.channels)
        dc_offset = float(means[np.argmax(np.abs(means))])
        correlation = None
        if self.channels >= 2 and levels.sum_squares[0] > 0 and levels.sum_squares[1] > 0:
            correlation = float(np.clip(levels.cross / math.sqrt(levels.sum_squares[0] * levels.sum_squares[1]), -1.0, 1.0))
        envelope_min, envelope_max = levels.envelope()
        centres, spectrum_levels = self._spectrum.band_levels_db() if self._spectrum is not None else (np.zeros(0), np.zeros(0))

        def finite_difference(a: float | None, b: float | None) -> float | None:
            if a is None or b is None or not math.isfinite(a) or not math.isfinite(b):
                return None
            return a - b

        return LoudnessReport(
            path=self.path,
            sample_rate=self.sample_rate,
            channels=self.channels,
            frames=self.frames,
            duration_s=self.frames / self.sample_rate,
            integrated_lufs=integrated,
            loudness_range_lu=gating.loudness_range_from_short_term(short_term),
            true_peak_dbtp=true_peak,
            sample_peak_dbfs=sample_peak,
            short_term_max_lufs=_max_or_none(short_term_lufs),
            momentary_max_lufs=_max_or_none(momentary_lufs),
            plr_db=finite_difference(true_peak, integrated),
            rms_dbfs=rms_dbfs,
            crest_db=finite_difference(sample_peak, rms_dbfs),
            dc_offset=dc_offset,
            correlation=correlation,
            clipped_runs=levels.clipped_runs,
            channel_true_peaks_dbtp=channel_true_peaks,
            channel_sample_peaks_dbfs=sample_peaks,
            channel_dc_offsets=tuple(float(v) for v in means),
            true_peak_oversampling=oversampling_factor(self.sample_rate),
            series_hop_s=1.0 / SUB_BLOCKS_PER_SECOND,
            momentary_lufs=momentary_lufs,
            short_term_lufs=short_term_lufs,
            envelope_min=envelope_min,
            envelope_max=envelope_max,
            spectrum_centres_hz=centres,
            spectrum_levels_db=spectrum_levels,
        )


def first_non_finite(samples: npt.NDArray[np.floating]) -> tuple[int, int] | None:
    """``(channel, frame)`` of the earliest NaN or infinite sample, or ``None``."""
    bad = ~np.isfinite(samples)
    if not bad.any():
        return None
    frame = int(np.argmax(bad.any(axis=0)))
    channel = int(np.argmax(bad[:, frame]))
    return channel, frame


def non_finite_error(path: str | None, samples: npt.NDArray[np.floating], position: tuple[int, int], *, offset: int = 0) -> AnalysisError:
    """The error for a NaN or infinite sample at ``position`` of ``samples`` (frames counted from ``offset``)."""
    channel, frame = position
    return AnalysisError(
        f"{path or 'audio'}: sample {samples[channel, frame]} at frame {offset + frame} "
        f"(channel {channel + 1}) is not a finite number; loudness cannot be measured",
        tip="the file holds NaN or infinite floating-point samples; re-export it",
    )


__all__ = ["SUB_BLOCKS_PER_SECOND", "LoudnessMeter", "first_non_finite", "non_finite_error"]
