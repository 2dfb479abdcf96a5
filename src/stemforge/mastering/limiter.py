"""A look-ahead true-peak limiter whose ceiling holds by the project's own meter.

Why by hand: pedalboard's ``Limiter`` follows sample peaks and a brick-wall set to −1 dB
still measures about −0.5 dBTP; a mastering ceiling must hold for the *inter-sample* peaks
that BS.1770-4 Annex 2 measures. So the detector here oversamples twice as finely
as the meter's Annex 2 interpolator (so the continuous waveform, not only the meter's 4x
points, stays under the ceiling) and the gain is computed offline
(the whole song is known), vectorised with NumPy:

1. **Detector**: ``peak[n]`` is the largest magnitude, over all channels (stereo-linked), of
   sample ``n`` and of the interpolated points between it and its neighbours.
2. **Required reduction**: ``need_db[n] = max(0, 20·log10(peak[n]) − ceiling_db)``.
3. **Release**: ``gr[n] = max(need_db[n], gr[n−1] · a)`` — instant attack, exponential
   recovery in dB with time constant ``release_ms``; evaluated in closed form as a running
   maximum of ``need_db[k] · a^(−k)`` in chunks (no Python loop over samples).
4. **Look-ahead**: hold ``gr`` at its maximum over the next ``lookahead`` frames, then average
   over the last ``lookahead`` frames. Every value averaged for frame ``n`` is a maximum over a
   window holding ``n``, so the smoothed reduction is never below ``need_db[n]``: the attack is
   a ramp that has fully arrived when the peak does.

The gain curve varies slowly next to the interpolator's length, so the limited signal's true
peak lands within a few hundredths of a dB of the ceiling; :func:`limit_true_peak` measures
the result with :func:`stemforge.analysis.true_peak_dbtp` and lowers its internal ceiling by
any excess until the measured true peak is at or below the ceiling.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.ndimage
import scipy.signal
from numpy.lib.stride_tricks import sliding_window_view

from stemforge.analysis import LoudnessReport, analyze
from stemforge.analysis._blas import single_threaded_blas
from stemforge.audio.buffer import AudioBuffer, Samples
from stemforge.errors import AnalysisError

Envelope = npt.NDArray[np.float32]

#: Taps per polyphase branch of the detector's interpolator, and its Kaiser window shape.
TAPS_PER_PHASE = 32
KAISER_BETA = 9.0
#: How far an inter-sample peak is assumed able to rise above its 32 neighbouring samples
#: when choosing which frames the detector interpolates, in dB.
INTERSAMPLE_ALLOWANCE_DB = 4.0
#: Internal headroom below the ceiling that absorbs the gain curve's own effect on peaks
#: (the gain curve raised the true peak over the detector's by 0.04 dB on the benchmark's
#: mix limited 5 dB and by 0.065 dB on its bright, reference-matched master: with less
#: headroom such masters need a second pass of limiting and measuring).
DEFAULT_MARGIN_DB = 0.1
#: Passes of measure-and-correct before giving up (never reached in practice).
MAX_PASSES = 6


@dataclass(frozen=True)
class LimiterSettings:
    """How the true-peak limiter behaves.

    Attributes
    ----------
    ceiling_dbtp : float
        The true-peak level the output must not exceed, in dBTP.
    lookahead_ms : float
        Attack ramp and look-ahead, in ms.
    release_ms : float
        Time constant of the recovery (in dB), in ms.
    """

    ceiling_dbtp: float
    lookahead_ms: float = 2.0
    release_ms: float = 120.0


@dataclass(frozen=True)
class LimiterResult:
    """What the limiter did.

    Attributes
    ----------
    samples : np.ndarray, float32, shape (channels, frames)
        The limited audio.
    gain_db : np.ndarray, float32, shape (frames,)
        The gain applied to every frame, in dB (0 or negative).
    true_peak_dbtp : float
        True peak of ``samples`` by the project's meter.
    max_reduction_db : float
        Largest gain reduction, in dB (positive).
    passes : int
        Measure-and-correct passes used.
    integrated_lufs : float or None
        Integrated loudness of ``samples`` (measured in the same pass as the true peak).
    report : LoudnessReport or None
        The project meter's full report on ``samples`` (None when not verified).
    """

    samples: Samples
    gain_db: Envelope
    true_peak_dbtp: float
    max_reduction_db: float
    passes: int
    integrated_lufs: float | None = None
    report: LoudnessReport | None = None


def sample_envelope(samples: Samples) -> Envelope:
    """Largest magnitude of any channel at each frame (float32, one channel at a time)."""
    envelope = np.abs(samples[0]).astype(np.float32)
    for channel in samples[1:]:
        np.maximum(envelope, np.abs(channel), out=envelope)
    return envelope


def slot_peaks(samples: Samples, slot_frames: int, slots: int) -> Envelope:
    """Largest magnitude of any channel in each of the first ``slots`` runs of ``slot_frames`` frames.

    Made a block at a time (no array as long as the song, whose fresh memory is slow to touch).
    """
    out = np.empty(slots, np.float32)
    step = slot_frames * 16384
    for start in range(0, slots * slot_frames, step):
        stop = min(slots * slot_frames, start + step)
        peak = np.abs(samples[0, start:stop])
        for channel in samples[1:, start:stop]:
            np.maximum(peak, np.abs(channel), out=peak)
        # The largest of each slot, one position of the slot at a time (numpy reduces a
        # short last axis slowly): slot_frames strided maxima over the block.
        columns = peak.reshape(-1, slot_frames)
        result = out[start // slot_frames : stop // slot_frames]
        result[:] = columns[:, 0]
        for k in range(1, slot_frames):
            np.maximum(result, columns[:, k], out=result)
    return out


def detector_oversampling(sample_rate: int) -> int:
    """Oversampling of the limiter's detector: twice what BS.1770-4 Annex 2 asks of a meter.

    A limiter that pushes every 4x point to the ceiling leaves the continuous waveform free
    to rise between them (by 0.3 dB after heavy limiting, which other meters then read);
    at 8x (48 kHz) the points are close enough that the continuous peak stays within a few
    hundredths of a dB of them.
    """
    if sample_rate >= 176_400:
        return 2
    if sample_rate >= 88_200:
        return 4
    if sample_rate >= 44_100:
        return 8
    return 16


def detector_filter(factor: int) -> npt.NDArray[np.float64]:
    """Kaiser-windowed sinc interpolator (a Nyquist filter: branch 0 is the input itself)."""
    length = factor * TAPS_PER_PHASE
    n = np.arange(length) - length // 2
    return np.sinc(n / factor) * np.kaiser(length + 1, KAISER_BETA)[:-1]


#: Frames per piece when the detector runs over a long signal (its working arrays are a
#: few times a piece, not a few times the song), and the context each piece is given.
ENVELOPE_PIECE_FRAMES = 1 << 20
_PIECE_CONTEXT = 2 * TAPS_PER_PHASE
#: Threads the detector's pieces run on.
ENVELOPE_THREADS = 2
#: Frames per block when finding the stretches a reduction curve must cover.
_ISLAND_BLOCK = 1024


def true_peak_envelope(samples: Samples, sample_rate: int, *, floor: float = 0.0, allowance_db: float | None = None) -> Envelope:
    """Stereo-linked per-frame true-peak magnitude (linear).

    Parameters
    ----------
    samples : np.ndarray, float32, shape (channels, frames)
    sample_rate : int
        In Hz.
    floor : float
        Linear level below which the envelope need not be exact: frames whose 32
        neighbouring samples all lie more than :data:`INTERSAMPLE_ALLOWANCE_DB` below ``floor``
        keep their sample magnitude, which saves most of the work on music. (Band-limited
        audio does not rise that far between its samples — a sine at a quarter of the rate
        sampled at its worst phase rises 3 dB; contrived signals can, and for them the
        meter's verification in :func:`limit_true_peak` still holds the ceiling.)
    allowance_db : float, optional
        Overrides :data:`INTERSAMPLE_ALLOWANCE_DB` (for signals already limited, whose
        inter-sample peaks are known to stay close to their samples).

    Returns
    -------
    np.ndarray, float32, shape (frames,)
        For frame ``n``: the largest magnitude of any channel at ``n`` and at the
        interpolated points between ``n − 1`` and ``n + 1`` (where that can reach ``floor``).
    """
    frames = samples.shape[1]
    if frames <= ENVELOPE_PIECE_FRAMES + 2 * _PIECE_CONTEXT:
        return _envelope_piece(samples, sample_rate, floor=floor, allowance_db=allowance_db)
    # In pieces with context on both sides (a frame's value depends on its 32 neighbours),
    # two at a time: the FFTs and array operations release the interpreter's lock.
    out = np.empty(frames, np.float32)

    def piece(start: int) -> None:
        stop = min(frames, start + ENVELOPE_PIECE_FRAMES)
        lo, hi = max(0, start - _PIECE_CONTEXT), min(frames, stop + _PIECE_CONTEXT)
        values = _envelope_piece(samples[:, lo:hi], sample_rate, floor=floor, allowance_db=allowance_db)
        out[start:stop] = values[start - lo : stop - lo]

    # (BLAS kept to one thread per piece: the pieces are the parallelism.)
    with single_threaded_blas(), ThreadPoolExecutor(max_workers=ENVELOPE_THREADS, thread_name_prefix="stemforge-detector") as pool:
        for done in pool.map(piece, range(0, frames, ENVELOPE_PIECE_FRAMES)):
            del done
    return out


#: Frames whose interpolated values one row of the detector's matrix product computes.
DETECTOR_GROUP = 32


@functools.cache
def _detector_matrix(factor: int) -> npt.NDArray[np.float32]:
    """The banded matrix of the dense detector: column ``offset · phases + p`` applies branch
    ``p + 1`` (reversed: windows run oldest to newest) at ``offset`` within a row's window."""
    h = detector_filter(factor)
    branches = [h[p::factor][::-1] for p in range(1, factor)]
    phases = len(branches)
    matrix = np.zeros((TAPS_PER_PHASE + DETECTOR_GROUP - 1, DETECTOR_GROUP * phases), np.float32)
    for offset in range(DETECTOR_GROUP):
        for p, branch in enumerate(branches):
            matrix[offset : offset + TAPS_PER_PHASE, offset * phases + p] = branch
    return matrix


def _envelope_piece(samples: Samples, sample_rate: int, *, floor: float, allowance_db: float | None) -> Envelope:
    channels, frames = samples.shape
    envelope = sample_envelope(samples)
    factor = detector_oversampling(sample_rate)
    if factor == 1 or frames == 0:
        return envelope
    h = detector_filter(factor)
    branches = np.stack([h[p::factor] for p in range(1, factor)])
    bound = 10.0 ** ((INTERSAMPLE_ALLOWANCE_DB if allowance_db is None else allowance_db) / 20.0)
    half = TAPS_PER_PHASE // 2
    # between[n] is the largest interpolated magnitude between frames n and n + 1; it is
    # computed from x[n − half + 1 .. n + half] (the windows of the polyphase filter).
    window_max = scipy.ndimage.maximum_filter1d(envelope, size=TAPS_PER_PHASE, origin=-1, mode="constant")
    window_max *= np.float32(bound)
    near = window_max >= floor
    del window_max
    # Counted before listed: on dense material the list (8 bytes a frame) is never made.
    count = int(np.count_nonzero(near))
    between = np.zeros(frames, np.float32)
    if count > frames // 6:
        del near
        # Every frame: each row of one matrix product holds DETECTOR_GROUP consecutive
        # frames' windows (x[n − half + 1 .. n + half] for each n), times a banded matrix
        # holding every branch at every offset — BLAS does the work.
        phases = factor - 1
        matrix = _detector_matrix(factor)
        width = TAPS_PER_PHASE + DETECTOR_GROUP - 1
        rows = -(-frames // DETECTOR_GROUP)
        padded = np.zeros((channels, rows * DETECTOR_GROUP + width - 1), np.float32)
        padded[:, half - 1 : half - 1 + frames] = samples
        for channel in range(channels):
            windows = sliding_window_view(padded[channel], width)[:: DETECTOR_GROUP][:rows]
            values = (windows @ matrix).reshape(rows * DETECTOR_GROUP, phases)
            np.abs(values, out=values)
            for phase in range(phases):  # one phase at a time (a short last axis reduces slowly)
                np.maximum(between, values[:frames, phase], out=between)
            del values
    elif count:
        candidates = np.flatnonzero(near)
        del near
        padded = np.pad(samples, ((0, 0), (half - 1, half)))
        taps_t = np.ascontiguousarray(branches[:, ::-1].T, dtype=np.float32)
        offsets = np.arange(TAPS_PER_PHASE)
        for start in range(0, candidates.size, 1 << 15):
            chunk = candidates[start : start + (1 << 15)]
            windows = padded[:, chunk[:, None] + offsets]  # (channels, m, taps)
            values = np.abs(windows @ taps_t).max(axis=(0, 2))
            between[chunk] = values
    # ``between[n]`` lies between n and n + 1: it concerns both neighbours.
    np.maximum(envelope, between, out=envelope)
    np.maximum(envelope[1:], between[:-1], out=envelope[1:])
    return envelope


def _release(level_db: npt.NDArray[np.float32], threshold: np.float32, coefficient: float, chunk: int) -> npt.NDArray[np.float32]:
    """``gr[n] = max(need[n], coefficient · gr[n − 1])`` with ``need = max(0, level_db − threshold)``,
    without a loop over samples.

    Within a chunk, ``gr[n] = a^n · max_k≤n(need[k] · a^(−k))``: a running maximum; the
    chunk is short enough that ``a^(−k)`` stays finite in float32.
    """
    out = np.empty_like(level_db)
    carry = np.float32(0.0)
    # a^(−k) must stay finite in float32 (below e^88): at most 60 time constants a chunk.
    chunk = max(1, min(chunk, int(60.0 / -math.log(coefficient))))
    k = np.arange(min(chunk, level_db.size), dtype=np.float64)
    decay_full = np.exp(-math.log(coefficient) * k).astype(np.float32)  # a^(−k)
    a = np.float32(coefficient)
    zero = np.float32(0.0)
    for start in range(0, level_db.size, chunk):
        part = level_db[start : start + chunk] - threshold
        np.maximum(part, zero, out=part)
        decay = decay_full[: part.size]
        part *= decay
        running = np.maximum.accumulate(part)
        np.maximum(running, carry * a, out=running)
        out[start : start + part.size] = running / decay
        carry = out[start + part.size - 1]
    return out


def envelope_db(envelope: Envelope, *, in_place: bool = False) -> npt.NDArray[np.float32]:
    """An envelope in dB (−inf for zero), float32 (``in_place``: written over ``envelope``)."""
    if in_place and envelope.dtype == np.float32:
        with np.errstate(divide="ignore"):
            np.log10(envelope, out=envelope)
        envelope *= np.float32(20.0)
        return envelope
    with np.errstate(divide="ignore"):
        return (20.0 * np.log10(envelope)).astype(np.float32)


def reduction_curve(
    level_db: npt.NDArray[np.float32], sample_rate: int, *, threshold_db: float, lookahead_ms: float, release_ms: float
) -> npt.NDArray[np.float32]:
    """Gain reduction (dB, positive) that keeps the envelope at or below ``threshold_db``.

    Parameters
    ----------
    level_db : np.ndarray, float32, shape (frames,)
        Per-frame peak level in dB (:func:`envelope_db` of :func:`true_peak_envelope`).
    sample_rate : int
        In Hz.
    threshold_db : float
        Level the envelope times the gain must not exceed.
    lookahead_ms, release_ms : float
        See :class:`LimiterSettings`.

    Returns
    -------
    np.ndarray, float32, shape (frames,)
        Never below the reduction each frame needs. Only the stretches around frames
        over the threshold are computed (the release has died out 30 time constants on).
    """
    frames = level_db.size
    out = np.zeros(frames, np.float32)
    threshold = np.float32(threshold_db)
    # Which blocks of _ISLAND_BLOCK frames hold a frame over the threshold (a few bytes a
    # block, where a list of the frames themselves would take 8 bytes a frame).
    blocks = -(-frames // _ISLAND_BLOCK)
    over = np.zeros(blocks * _ISLAND_BLOCK, np.bool_)
    np.greater(level_db, threshold, out=over[:frames])
    hot = np.flatnonzero(over.reshape(blocks, _ISLAND_BLOCK).any(axis=1))
    del over
    if hot.size == 0:
        return out
    release_frames = max(1.0, release_ms * 1e-3 * sample_rate)
    coefficient = math.exp(-1.0 / release_frames)
    chunk = max(1, int(60 * release_frames))
    lookahead = max(1, round(lookahead_ms * 1e-3 * sample_rate))
    tail = int(30 * release_frames) + lookahead
    # Islands of blocks over the threshold, closer together than the release's tail (an
    # island may start up to a block early: frames under the threshold there need nothing).
    breaks = np.flatnonzero(np.diff(hot) * _ISLAND_BLOCK > 2 * tail)
    firsts = np.concatenate([[hot[0]], hot[breaks + 1]]) * _ISLAND_BLOCK
    lasts = np.concatenate([hot[breaks], [hot[-1]]]) * _ISLAND_BLOCK + _ISLAND_BLOCK - 1
    for first, last in zip(firsts, lasts, strict=True):
        lo = max(0, int(first) - lookahead)
        hi = min(frames, int(last) + tail)
        gr = _release(level_db[lo:hi], threshold, coefficient, chunk)
        if lookahead > 1:
            # hold[n] = max(gr[n .. n + L − 1]); smooth[n] = mean(hold[n − L + 1 .. n]); in
            # pieces with 2L frames of context (the filters reach L − 1 frames either way).
            margin = 2 * lookahead
            for start in range(0, gr.size, ENVELOPE_PIECE_FRAMES):
                stop = min(gr.size, start + ENVELOPE_PIECE_FRAMES)
                a, b = max(0, start - margin), min(gr.size, stop + margin)
                hold = scipy.ndimage.maximum_filter1d(gr[a:b], size=lookahead, origin=-(lookahead // 2), mode="nearest")
                smooth = scipy.ndimage.uniform_filter1d(hold, size=lookahead, origin=(lookahead - 1) // 2, mode="nearest")[start - a : stop - a]
                need = level_db[lo + start : lo + stop] - threshold
                np.maximum(smooth, need, out=smooth)  # max(): float rounding only
                np.maximum(out[lo + start : lo + stop], smooth, out=out[lo + start : lo + stop])
        else:
            np.maximum(out[lo:hi], gr, out=out[lo:hi])
        del gr
    return out


class GainedSource:
    """``source`` times a per-frame gain, computed only for the blocks asked for.

    Sliced as ``source[:, a:b]`` (the only indexing it takes), it returns
    ``source[:, a:b] · 10^((gain_db − reduction_db[a:b]) / 20)``, float32: an encoder fed
    from it never holds the whole limited signal.

    Parameters
    ----------
    source : np.ndarray, float32, shape (channels, frames)
    gain_db : float
    reduction_db : np.ndarray, float32, shape (frames,)
        Gain reduction (positive dB) per frame, from :func:`reduction_curve`.
    """

    def __init__(self, source: Samples, gain_db: float, reduction_db: Envelope) -> None:
        self.source = source
        self.gain_db = np.float32(gain_db)
        self.reduction_db = reduction_db
        self.shape = source.shape

    def __getitem__(self, key: tuple[slice, slice]) -> Samples:
        rows, frames = key
        if rows != slice(None) or not isinstance(frames, slice) or frames.step not in (None, 1):
            raise IndexError("GainedSource takes [:, a:b] only")
        return self.source[:, frames] * linear_gain(self.gain_db, self.reduction_db[frames])


def linear_gain(gain_db: float, reduction_db: Envelope) -> Envelope:
    """``10^((gain_db − reduction_db) / 20)`` per frame, float32."""
    curve = np.float32(gain_db) - reduction_db
    curve *= np.float32(np.log(10.0) / 20.0)
    np.exp(curve, out=curve)
    return curve


def limit_true_peak(
    samples: Samples,
    sample_rate: int,
    settings: LimiterSettings,
    *,
    gain_db: float = 0.0,
    envelope: Envelope | None = None,
    margin_db: float = DEFAULT_MARGIN_DB,
    verify: bool = True,
    reduction: Envelope | None = None,
    on_output: Callable[[Samples], None] | None = None,
    level_db: Envelope | None = None,
) -> LimiterResult:
    """Apply ``gain_db`` then limit so that the true peak is at or below the ceiling.

    Parameters
    ----------
    samples : np.ndarray, float32, shape (channels, frames)
    sample_rate : int
        In Hz.
    settings : LimiterSettings
    gain_db : float
        Gain applied before the limiter, in dB.
    envelope : np.ndarray, float32, shape (frames,), optional
        :func:`true_peak_envelope` of ``samples`` (before ``gain_db``), when already known.
    margin_db : float
        Internal headroom below the ceiling.
    verify : bool
        Measure the result (true peak and loudness, one pass of the project's meter) and
        correct until it is within the ceiling. Only for a source that is measured later
        anyway (an MP3's, measured after decoding) may this be False.
    reduction : np.ndarray, float32, shape (frames,), optional
        :func:`reduction_curve` of ``envelope`` for this gain, ceiling and margin, when
        already computed (the loudness search's last step): the first pass uses it, and
        it becomes the result's ``gain_db`` (negated in place: the caller hands it over).
    on_output : callable, optional
        Called with each pass's limited samples before they are measured (so that work
        that depends on them can start while the meter runs).
    level_db : np.ndarray, float32, shape (frames,), optional
        :func:`envelope_db` of the envelope, when already known (then ``envelope`` is not needed).

    Raises
    ------
    AnalysisError
        If the ceiling cannot be met (not seen in practice; guards the guarantee).
    """
    threshold = settings.ceiling_dbtp - margin_db - gain_db
    if level_db is None:
        if envelope is None:
            envelope = true_peak_envelope(samples, sample_rate, floor=10.0 ** ((threshold - 1.0) / 20.0))
        level_db = envelope_db(envelope)
        del envelope
    for passes in range(1, MAX_PASSES + 1):
        if passes == 1 and reduction is not None:
            gr = reduction
        else:
            gr = reduction_curve(
                level_db, sample_rate, threshold_db=threshold, lookahead_ms=settings.lookahead_ms, release_ms=settings.release_ms
            )
        if gr.any():
            # A block at a time: no song-long gain curve beside the output.
            out = np.empty(samples.shape, np.float32)
            for start in range(0, samples.shape[1], ENVELOPE_PIECE_FRAMES):
                stop = start + ENVELOPE_PIECE_FRAMES
                np.multiply(samples[:, start:stop], linear_gain(gain_db, gr[start:stop]), out=out[:, start:stop])
        else:
            out = samples * np.float32(10.0 ** (gain_db / 20.0))
        if not verify:
            most = float(gr.max(initial=0.0))
            return LimiterResult(out, np.negative(gr, out=gr), math.nan, most, passes, None)
        if on_output is not None:
            on_output(out)
        # One pass of the project's meter gives the true peak, the loudness and the full
        # report (series, spectrum) that describes the result.
        report = analyze(AudioBuffer(out, sample_rate))
        peak = -math.inf if report.true_peak_dbtp is None else float(report.true_peak_dbtp)
        if peak <= settings.ceiling_dbtp:
            most = float(gr.max(initial=0.0))
            # The curve becomes the result's gain (negated in place: it is this call's own,
            # or the ``reduction`` handed over for the first pass).
            return LimiterResult(out, np.negative(gr, out=gr), peak, most, passes, report.integrated_lufs, report)
        threshold -= peak - settings.ceiling_dbtp + 0.01
    raise AnalysisError(f"the true-peak limiter could not reach {settings.ceiling_dbtp:+.2f} dBTP (measured {peak:+.2f})")


__all__ = ["GainedSource", "LimiterResult", "LimiterSettings", "envelope_db", "limit_true_peak", "linear_gain", "reduction_curve", "sample_envelope", "slot_peaks", "true_peak_envelope"]
