"""Stage 2: tonal EQ by reference matching.

The long-term spectra of the material and of the reference are averaged (Welch: Hann
frames, power averaged over frames and channels), smoothed to a third of an octave on a
1/24-octave grid from 20 Hz, and subtracted. The difference, centred on its mean between
100 Hz and 8 kHz (the loudness stage sets the level), limited to ±12 dB and scaled by the
match amount, is the magnitude of a correction FIR designed by frequency sampling
(``scipy.signal.firwin2``), linear phase by default or made minimum phase
(``scipy.signal.minimum_phase``). It is applied by overlap-add convolution with its delay
removed, so the output stays sample-aligned with the input.

A reference at another sample rate needs no resampling: its spectrum is computed at its own
rate and compared on the common frequency grid, up to the lower of the two Nyquist limits;
above it the correction holds its last value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.fft
import scipy.signal

from stemforge.analysis import LoudnessMeter, third_octave_spectrum
from stemforge.analysis.spectrum import third_octave_centres_hz
from stemforge.audio.buffer import Samples
from stemforge.audio.io import BlockReader
from stemforge.errors import AnalysisError, AudioFormatError

Floats = npt.NDArray[np.float64]

#: Largest boost or cut of the correction, in dB.
MAX_CORRECTION_DB = 12.0
#: Lowest frequency of the comparison grid, in Hz.
LOW_HZ = 20.0
#: Highest frequency compared (also bounded by 0.45 × each sample rate), in Hz.
HIGH_HZ = 20000.0
#: Points per octave of the comparison grid, and the smoothing width in octaves.
POINTS_PER_OCTAVE = 24
SMOOTHING_OCTAVES = 1.0 / 3.0


@dataclass(frozen=True)
class Reference:
    """What the chain knows of a reference track.

    Attributes
    ----------
    path : Path
    sample_rate : int
    channels : int
    duration_s : float
    integrated_lufs : float or None
    true_peak_dbtp : float or None
    psd_freqs_hz, psd : np.ndarray, float64
        Long-term power spectral density (linear), averaged over channels.
    third_octave_hz, third_octave_db : np.ndarray, float64
        1/3-octave spectrum (for the report).
    """

    path: Path
    sample_rate: int
    channels: int
    duration_s: float
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    psd_freqs_hz: Floats
    psd: Floats
    third_octave_hz: Floats
    third_octave_db: Floats


@dataclass(frozen=True)
class TonalStage:
    """Stage 2's report.

    Attributes
    ----------
    applied : bool
    amount_percent : float
    phase : str
        ``"linear"`` or ``"minimum"``.
    taps : int
        Length of the correction FIR.
    curve_hz, curve_db : tuple of float
        The correction applied (after scaling by the amount), on the 1/24-octave grid.
    distance_before_db, distance_after_db : float or None
        1/3-octave spectral distance to the reference (RMS of the level differences after
        removing their mean) before and after the stage.
    reference_sample_rate : int or None
    """

    applied: bool
    amount_percent: float
    phase: str
    taps: int
    curve_hz: tuple[float, ...]
    curve_db: tuple[float, ...]
    distance_before_db: float | None
    distance_after_db: float | None
    reference_sample_rate: int | None


def _frame_length(sample_rate: int) -> int:
    return 1 << max(10, math.ceil(math.log2(sample_rate / 6.0)))


class _PsdAccumulator:
    def __init__(self, sample_rate: int) -> None:
        self.nfft = _frame_length(sample_rate)
        self.window = np.hanning(self.nfft + 1)[:-1].astype(np.float32)
        self.power = np.zeros(self.nfft // 2 + 1)
        self.count = 0
        self.pending = np.zeros(0, np.float32)

    def process(self, mono_power_source: Samples) -> None:
        # Power is averaged over channels: each channel is framed separately.
        for channel in mono_power_source:
            data = channel
            frames = data.shape[0] // self.nfft
            if frames == 0:
                continue
            segments = data[: frames * self.nfft].reshape(frames, self.nfft) * self.window
            spectra = scipy.fft.rfft(segments, axis=1)
            self.power += (spectra.real**2 + spectra.imag**2).sum(axis=0, dtype=np.float64)
            self.count += frames

    def result(self, sample_rate: int) -> tuple[Floats, Floats]:
        freqs = np.asarray(np.fft.rfftfreq(self.nfft, 1.0 / sample_rate), np.float64)
        return freqs, self.power / max(1, self.count)


def long_term_psd(blocks: Iterable[Samples], sample_rate: int) -> tuple[Floats, Floats]:
    """Long-term power spectrum of blocks of one signal, averaged over channels.

    Blocks should be multiples of the frame length (``sample_rate / 6`` rounded up to a
    power of two); a shorter remainder is ignored.
    """
    acc = _PsdAccumulator(sample_rate)
    for block in blocks:
        acc.process(block)
    if acc.count == 0:
        raise AnalysisError("too short to measure a long-term spectrum (under 0.2 s)")
    return acc.result(sample_rate)


def _array_blocks(samples: Samples, nfft: int) -> Iterable[Samples]:
    step = nfft * 64
    for start in range(0, samples.shape[1], step):
        yield samples[:, start : start + step]


def analyse_reference(path: Path) -> Reference:
    """Read a reference track once: loudness, true peak, long-term and 1/3-octave spectra.

    Raises
    ------
    AudioFormatError
        If it is unreadable or has more than two channels.
    AnalysisError
        If it is silent or too short.
    """
    with BlockReader(path, compiled=False) as reader:  # one file: see BlockReader
        if reader.channels > 2:
            raise AudioFormatError(f"{path}: the reference has {reader.channels} channels; give a mono or stereo track")
        rate = reader.sample_rate
        meter = LoudnessMeter(rate, reader.channels, true_peak=False)
        acc = _PsdAccumulator(rate)
        for block in reader.blocks(acc.nfft * 64):
            meter.process(block)
            acc.process(block)
    report = meter.result()
    if report.integrated_lufs is None or acc.count == 0:
        raise AnalysisError(f"{path}: the reference is silent or too short to match", tip="give a reference of at least a few seconds")
    freqs, psd = acc.result(rate)
    return Reference(
        path=path,
        sample_rate=rate,
        channels=report.channels,
        duration_s=report.duration_s,
        integrated_lufs=report.integrated_lufs,
        true_peak_dbtp=report.true_peak_dbtp,
        psd_freqs_hz=freqs,
        psd=psd,
        third_octave_hz=np.array(report.spectrum_centres_hz),
        third_octave_db=np.array(report.spectrum_levels_db),
    )


def smoothed_db(freqs_hz: Floats, psd: Floats, grid_hz: Floats, *, width_octaves: float = SMOOTHING_OCTAVES) -> Floats:
    """Mean power within ``width_octaves`` around each grid frequency, in dB."""
    cumulative = np.concatenate([[0.0], np.cumsum(psd)])
    half = 2.0 ** (width_octaves / 2.0)
    step = freqs_hz[1] - freqs_hz[0]
    low = np.clip(np.floor(grid_hz / half / step).astype(int), 0, psd.size - 1)
    high = np.clip(np.ceil(grid_hz * half / step).astype(int) + 1, low + 1, psd.size)
    mean = (cumulative[high] - cumulative[low]) / (high - low)
    return 10.0 * np.log10(np.maximum(mean, 1e-30))


def spectral_distance_db(a_hz: Floats, a_db: Floats, b_hz: Floats, b_db: Floats) -> float:
    """RMS difference of two 1/3-octave spectra over their common bands, level removed.

    Bands from 31.5 Hz to 16 kHz that both spectra hold are compared; the mean difference
    (an overall level) is removed first, so this measures tonal balance only.
    """
    common = [f for f in a_hz if 30.0 <= f <= 16500.0 and np.any(np.isclose(b_hz, f))]
    if not common:
        return math.nan
    da = np.array([a_db[np.isclose(a_hz, f)][0] for f in common])
    db = np.array([b_db[np.isclose(b_hz, f)][0] for f in common])
    diff = da - db
    diff = diff[np.isfinite(diff)]
    return float(np.sqrt(np.mean((diff - diff.mean()) ** 2))) if diff.size else math.nan


def third_octave(samples: Samples, sample_rate: int) -> tuple[Floats, Floats]:
    """1/3-octave spectrum by the project's analyser."""
    centres, levels = third_octave_spectrum(samples, sample_rate)
    return np.asarray(centres, np.float64), np.asarray(levels, np.float64)


def psd_third_octaves(freqs_hz: Floats, psd: Floats, sample_rate: int) -> tuple[Floats, Floats]:
    """1/3-octave band levels (dB, arbitrary reference) of a long-term power spectrum.

    The bands are those of :func:`stemforge.analysis.third_octave_spectrum` (IEC 61260-1
    base-10 centres, edges at ``centre · 10^(±1/20)``), so distances computed from them
    match the analyser's up to its frame length.
    """
    centres = third_octave_centres_hz(sample_rate)
    edges_low, edges_high = centres * 10.0 ** (-1.0 / 20.0), centres * 10.0 ** (1.0 / 20.0)
    cumulative = np.concatenate([[0.0], np.cumsum(psd)])
    low = np.searchsorted(freqs_hz, edges_low)
    high = np.maximum(np.searchsorted(freqs_hz, edges_high), low + 1)
    power = cumulative[np.minimum(high, psd.size)] - cumulative[np.minimum(low, psd.size - 1)]
    return centres, 10.0 * np.log10(np.maximum(power, 1e-30))


#: Output frames per piece of :func:`apply_fir`, and the threads the pieces run on.
FIR_PIECE_FRAMES = 1 << 21
FIR_THREADS = 2


def apply_fir(samples: Samples, fir: npt.NDArray[np.float32], delay: int) -> Samples:
    """``samples`` filtered by ``fir`` (each channel), shifted ``delay`` frames earlier.

    Output frame ``n`` is ``sum_k fir[k] · x[n + delay − k]``. Computed by overlap-add FFT
    convolution in pieces of :data:`FIR_PIECE_FRAMES` output frames, two pieces at a time
    (the FFTs release the interpreter's lock), into one output array.
    """
    channels, frames = samples.shape
    out = np.empty((channels, frames), np.float32)
    before = fir.size - 1 - delay  # input frames before an output frame that reach it

    def piece(start: int) -> None:
        stop = min(frames, start + FIR_PIECE_FRAMES)
        lo, hi = max(0, start - before), min(frames, stop + delay)
        full = scipy.signal.oaconvolve(samples[:, lo:hi], fir[None, :], axes=1)
        # full[:, j] is output frame lo + j − delay.
        out[:, start:stop] = full[:, start - lo + delay : stop - lo + delay]

    with ThreadPoolExecutor(max_workers=FIR_THREADS, thread_name_prefix="stemforge-fir") as pool:
        for done in pool.map(piece, range(0, frames, FIR_PIECE_FRAMES)):
            del done
    return out


def match_reference(
    samples: Samples,
    sample_rate: int,
    reference: Reference,
    *,
    amount_percent: float,
    phase: str = "linear",
) -> tuple[Samples, TonalStage]:
    """Correct the long-term spectrum of ``samples`` toward ``reference``.

    Parameters
    ----------
    samples : np.ndarray, float32, shape (channels, frames)
    sample_rate : int
        In Hz.
    reference : Reference
    amount_percent : float
        0 returns ``samples`` untouched; 100 applies the full (limited) correction.
    phase : str
        ``"linear"`` (symmetric FIR, no phase change) or ``"minimum"`` (no pre-ringing).

    Returns
    -------
    samples : np.ndarray, float32, shape (channels, frames)
    stage : TonalStage
    """
    # Distances come from the long-term spectra (the output's is the input's times the
    # filter's power response), which saves two passes of the analyser over the song.
    mix_freqs, mix_psd = long_term_psd(_array_blocks(samples, _frame_length(sample_rate)), sample_rate)
    ref_bands_hz, ref_bands_db = psd_third_octaves(reference.psd_freqs_hz, reference.psd, reference.sample_rate)
    before_hz, before_db = psd_third_octaves(mix_freqs, mix_psd, sample_rate)
    distance_before = spectral_distance_db(before_hz, before_db, ref_bands_hz, ref_bands_db)
    if amount_percent <= 0.0:
        stage = TonalStage(False, 0.0, phase, 0, (), (), distance_before, distance_before, reference.sample_rate)
        return samples, stage
    top = min(HIGH_HZ, 0.45 * sample_rate, 0.45 * reference.sample_rate)
    octaves = math.log2(top / LOW_HZ)
    grid = LOW_HZ * 2.0 ** (np.arange(int(octaves * POINTS_PER_OCTAVE) + 1) / POINTS_PER_OCTAVE)
    mix_db = smoothed_db(mix_freqs, mix_psd, grid)
    ref_db = smoothed_db(reference.psd_freqs_hz, reference.psd, grid)
    # Any difference in the two spectra's scaling (frame length, rate) is a constant,
    # removed with the mean below.
    difference = ref_db - mix_db
    # Where the material has (almost) nothing, do not boost noise.
    floor_db = mix_db.max() - 80.0
    difference = np.where(mix_db < floor_db, 0.0, difference)
    centre = (grid >= 100.0) & (grid <= 8000.0)
    difference -= difference[centre].mean() if centre.any() else difference.mean()
    curve = np.clip(difference, -MAX_CORRECTION_DB, MAX_CORRECTION_DB) * (amount_percent / 100.0)

    taps = int(2 ** math.ceil(math.log2(sample_rate / 6.0))) + 1
    nyquist = sample_rate / 2.0
    design_hz = np.concatenate([[0.0], grid[grid < nyquist], [nyquist]])
    design_db = np.concatenate([[curve[0]], curve[grid < nyquist], [curve[-1]]])
    fir = scipy.signal.firwin2(taps, design_hz, 10.0 ** (design_db / 20.0), fs=sample_rate, window="hann")
    if phase == "minimum":
        fir = scipy.signal.minimum_phase(fir, method="homomorphic", half=False)
        delay = 0
    else:
        delay = (taps - 1) // 2
    out = apply_fir(samples, fir.astype(np.float32), delay)
    _w, response = scipy.signal.freqz(fir, worN=mix_freqs, fs=sample_rate)
    after_hz, after_db = psd_third_octaves(mix_freqs, mix_psd * np.abs(response) ** 2, sample_rate)
    distance_after = spectral_distance_db(after_hz, after_db, ref_bands_hz, ref_bands_db)
    stage = TonalStage(
        applied=True,
        amount_percent=amount_percent,
        phase=phase,
        taps=int(fir.size),
        curve_hz=tuple(float(f) for f in grid),
        curve_db=tuple(float(round(c, 3)) for c in curve),
        distance_before_db=distance_before,
        distance_after_db=distance_after,
        reference_sample_rate=reference.sample_rate,
    )
    return out, stage


__all__ = ["Reference", "TonalStage", "analyse_reference", "apply_fir", "long_term_psd", "match_reference", "spectral_distance_db"]
