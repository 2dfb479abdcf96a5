"""Whole-buffer and whole-file measurements: thin wrappers over :class:`LoudnessMeter`."""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from stemforge.analysis._blas import single_threaded_blas
from stemforge.analysis.meter import LoudnessMeter, first_non_finite, non_finite_error
from stemforge.analysis.result import LoudnessReport
from stemforge.analysis.truepeak import TruePeakDetector
from stemforge.audio import AudioBuffer, BlockReader
from stemforge.errors import AnalysisError, UsageError

#: Frames read per block by :func:`analyze_file`.
DEFAULT_BLOCK_FRAMES = 1 << 16


def _samples(samples: npt.NDArray[np.floating], sample_rate: int) -> npt.NDArray[np.floating]:
    array = np.asarray(samples)
    if array.ndim != 2:
        raise UsageError(f"samples of shape {array.shape} must be a 2-D array (channels, frames); mono is (1, frames)")
    return array


def analyze(buffer: AudioBuffer, *, path: str | None = None) -> LoudnessReport:
    """Measure loudness, peaks, levels and spectrum of an :class:`~stemforge.audio.AudioBuffer`.

    Parameters
    ----------
    buffer : AudioBuffer
        float32 samples, shape (channels, frames), with their sample rate.
    path : str, optional
        Name recorded in the report and used in error messages.

    Raises
    ------
    AnalysisError
        If the audio holds NaN or infinite samples.
    """
    meter = LoudnessMeter(buffer.sample_rate, buffer.channels, path=path)
    meter.process(buffer.samples)
    return meter.result()


def analyze_file(
    path: str | os.PathLike[str],
    *,
    block_frames: int = DEFAULT_BLOCK_FRAMES,
    on_progress: Callable[[int], None] | None = None,
) -> LoudnessReport:
    """Measure an audio file block by block; memory stays bounded whatever its length.

    Parameters
    ----------
    path : str or PathLike
        The file (opened read-only).
    block_frames : int, keyword-only
        Frames read per block; the results do not depend on it.
    on_progress : callable, optional
        Called with the number of frames of each block read.

    Raises
    ------
    InputNotFoundError, AudioFormatError
        If the file is missing, unreadable or truncated.
    AnalysisError
        If it holds NaN or infinite samples.
    """
    if isinstance(block_frames, bool) or int(block_frames) != block_frames or block_frames <= 0:
        raise UsageError(f"block_frames={block_frames!r} must be a positive integer")
    with BlockReader(path) as reader:
        try:
            meter = LoudnessMeter(reader.sample_rate, reader.channels, path=str(path))
        except UsageError as exc:
            raise AnalysisError(f"{path}: {exc}") from None
        for block in reader.blocks(int(block_frames)):
            meter.process(block)
            if on_progress is not None:
                on_progress(block.shape[1])
    return meter.result()


def integrated_loudness(samples: npt.NDArray[np.floating], sample_rate: int) -> float | None:
    """Gated integrated loudness (BS.1770-4 eqs. 1-7) in LUFS.

    Parameters
    ----------
    samples : np.ndarray, float, shape (channels, frames)
    sample_rate : int
        In Hz.

    Returns
    -------
    float or None
        ``None`` for silence or audio shorter than one 400 ms gating block.
    """
    array = _samples(samples, sample_rate)
    meter = LoudnessMeter._loudness_only(sample_rate, array.shape[0])
    meter.process(array)
    return meter.integrated_lufs()


def true_peak_dbtp(samples: npt.NDArray[np.floating], sample_rate: int) -> float:
    """Largest true-peak level of any channel (BS.1770-4 Annex 2) in dBTP; ``-inf`` for silence.

    Runs only the true-peak detector, fed the same one-second blocks as
    :class:`LoudnessMeter`, so it equals ``analyze(...).true_peak_dbtp`` exactly.

    Parameters
    ----------
    samples : np.ndarray, float, shape (channels, frames)
    sample_rate : int
        In Hz.
    """
    array = _samples(samples, sample_rate)
    block = LoudnessMeter._loudness_only(sample_rate, array.shape[0])._checked(array)  # validates
    position = first_non_finite(block)
    if position is not None:
        raise non_finite_error(None, block, position)
    detector = TruePeakDetector(int(sample_rate), block.shape[0])
    with single_threaded_blas():
        for start in range(0, block.shape[1], int(sample_rate)):
            detector.process(block[:, start : start + int(sample_rate)])
        detector.flush()
    peak = float(detector.peaks.max()) if detector.peaks.size else 0.0
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def sample_peak_dbfs(samples: npt.NDArray[np.floating]) -> float:
    """Largest absolute sample of any channel in dBFS; ``-inf`` for silence or no samples."""
    array = np.asarray(samples)
    if array.size == 0:
        return -math.inf
    peak = float(np.max(np.abs(array)))
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def third_octave_spectrum(
    samples: npt.NDArray[np.floating], sample_rate: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Long-term 1/3-octave spectrum.

    Returns
    -------
    centres_hz : np.ndarray, float64, shape (bands,)
        Exact base-10 band centres from 20 Hz up to the Nyquist frequency.
    levels_db : np.ndarray, float64, shape (bands,)
        Band RMS levels in dB re full scale, averaged over channels.
    """
    array = _samples(samples, sample_rate)
    meter = LoudnessMeter(sample_rate, array.shape[0], true_peak=False)
    meter.process(array)
    report = meter.result()
    return np.array(report.spectrum_centres_hz), np.array(report.spectrum_levels_db)


__all__ = [
    "DEFAULT_BLOCK_FRAMES",
    "analyze",
    "analyze_file",
    "integrated_loudness",
    "sample_peak_dbfs",
    "third_octave_spectrum",
    "true_peak_dbtp",
]
