"""Stages 4 and 5: gain to the target loudness, then the true-peak limiter, searched together.

Limiting lowers loudness, so the gain that reaches the target is found by iteration: a
candidate gain is limited, the loudness of the result is predicted
(:class:`~stemforge.mastering.measure.GainLoudnessModel`) and the gain corrected by the secant
method until the prediction is within 0.01 LU. The chosen gain is then rendered through
:func:`~stemforge.mastering.limiter.limit_true_peak` (which verifies the ceiling with the
project's true-peak meter) and the result re-measured with the project's loudness meter; a
last correction runs if the two disagree by more than 0.03 LU.

When the target needs more gain reduction than ``max_reduction_db`` on the loudest peak, the
gain stops there: the ceiling is still honoured, and the result says which loudness was reached.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from stemforge.analysis import LoudnessReport
from stemforge.audio.buffer import Samples
from stemforge.errors import AnalysisError
from stemforge.mastering.limiter import (
    DEFAULT_MARGIN_DB,
    GainedSource,
    LimiterResult,
    LimiterSettings,
    envelope_db,
    limit_true_peak,
    linear_gain,
    reduction_curve,
    slot_peaks,
    true_peak_envelope,
)
from stemforge.mastering.measure import GainLoudnessModel

#: Loudness tolerance of the search's prediction and of the final measurement, in LU.
SEARCH_TOLERANCE_LU = 0.01
FINAL_TOLERANCE_LU = 0.03
#: Spacing of the gain-reduction series kept for the report, in seconds.
GAIN_REDUCTION_HOP_S = 0.1


@dataclass(frozen=True)
class GainStage:
    """Stage 4: the gain that moves the material to the target loudness.

    Attributes
    ----------
    input_lufs : float
        Integrated loudness entering the stage.
    target_lufs : float
    gain_db : float
        Gain applied before the limiter (includes what makes up for limiting).
    capped : bool
        True when the gain was held back by the limiting budget.
    """

    input_lufs: float
    target_lufs: float
    gain_db: float
    capped: bool


@dataclass(frozen=True)
class LimitStage:
    """Stage 5: the true-peak limiter and what it reached.

    Attributes
    ----------
    ceiling_dbtp : float
    max_reduction_db, mean_reduction_db : float
        Largest and average (over frames being limited) gain reduction, in dB.
    limited_fraction : float
        Fraction of frames with any gain reduction.
    output_lufs : float
        Integrated loudness of the result (project meter).
    output_true_peak_dbtp : float
        True peak of the result (project meter).
    reached_target : bool
        True when ``output_lufs`` is within 0.1 LU of the target.
    iterations : int
        Gains tried by the search.
    lookahead_ms, release_ms, max_reduction_budget_db : float
        The settings used.
    """

    ceiling_dbtp: float
    max_reduction_db: float
    mean_reduction_db: float
    limited_fraction: float
    output_lufs: float
    output_true_peak_dbtp: float
    reached_target: bool
    iterations: int
    lookahead_ms: float
    release_ms: float
    max_reduction_budget_db: float


@dataclass(frozen=True)
class LevelResult:
    """Stages 4 and 5 together.

    Attributes
    ----------
    samples : np.ndarray, float32, shape (channels, frames)
        The limited master (floating point, before dither).
    gain : GainStage
    limit : LimitStage
    gain_reduction_db : np.ndarray, float32, shape (ceil(frames / hop),)
        The limiter's largest reduction in each :data:`GAIN_REDUCTION_HOP_S` (dB, positive):
        what the report plots (the per-frame curve is not kept, for memory).
    report : LoudnessReport or None
        The project meter's full report on ``samples`` (made while verifying the ceiling).
    source : np.ndarray, float32, shape (channels, frames)
        The limiter's input (before the gain), kept so a deliverable can be limited again
        lower (:func:`limited_source`) without a new detector pass.
    level_db : np.ndarray, float32, shape (frames,)
        The detector's true-peak envelope of ``source``, in dB.
    limiter : LimiterSettings
    sample_rate : int
    """

    samples: Samples
    gain: GainStage
    limit: LimitStage
    gain_reduction_db: np.ndarray
    report: LoudnessReport | None
    source: Samples
    level_db: np.ndarray
    limiter: LimiterSettings
    sample_rate: int


@dataclass(frozen=True)
class Candidate:
    """A limited master before the meter has verified it, and what made it.

    Handed to ``reach_loudness``'s ``on_candidate`` so that slow deliverables can start
    from it while it is measured; it becomes the master when the measurement passes.

    Attributes
    ----------
    samples : np.ndarray, float32, shape (channels, frames)
        The limited audio.
    gain_db : float
        The gain before the limiter.
    source : np.ndarray, float32, shape (channels, frames)
        The limiter's input (before the gain).
    level_db : np.ndarray, float32, shape (frames,)
        The detector's true-peak envelope of ``source``, in dB.
    limiter : LimiterSettings
    sample_rate : int
    """

    samples: Samples
    gain_db: float
    source: Samples
    level_db: np.ndarray
    limiter: LimiterSettings
    sample_rate: int


def gain_reduction_series(reduction_db: np.ndarray, sample_rate: int) -> np.ndarray:
    """Largest limiter gain reduction (dB) in each :data:`GAIN_REDUCTION_HOP_S`."""
    hop = max(1, round(GAIN_REDUCTION_HOP_S * sample_rate))
    whole = reduction_db.size // hop
    out = np.zeros(math.ceil(reduction_db.size / hop), np.float32)
    if whole:
        np.max(reduction_db[: whole * hop].reshape(whole, hop), axis=1, out=out[:whole])
    if whole < out.size:
        out[whole] = max(0.0, float(reduction_db[whole * hop :].max()))
    return out


def limited_source(level: LevelResult | Candidate, ceiling_dbtp: float) -> GainedSource:
    """The same gain as ``level`` limited to a lower ``ceiling_dbtp``, computed block by block.

    Not verified (for an MP3's source, measured after decoding); the samples are made only
    as the encoder reads them.
    """
    gain_db = level.gain_db if isinstance(level, Candidate) else level.gain.gain_db
    reduction = reduction_curve(
        level.level_db,
        level.sample_rate,
        threshold_db=ceiling_dbtp - DEFAULT_MARGIN_DB - gain_db,
        lookahead_ms=level.limiter.lookahead_ms,
        release_ms=level.limiter.release_ms,
    )
    return GainedSource(level.source, gain_db, reduction)


def _offer(on_candidate: Callable[[Candidate], None], samples: Samples, *, gain_db: float, source: Samples, level_db: np.ndarray, limiter: LimiterSettings, sample_rate: int) -> None:
    on_candidate(Candidate(samples, gain_db, source, level_db, limiter, sample_rate))


def reach_loudness(
    samples: Samples,
    sample_rate: int,
    *,
    target_lufs: float,
    limiter: LimiterSettings,
    max_reduction_db: float = 6.0,
    on_candidate: Callable[[Candidate], None] | None = None,
    on_detector: Callable[[], None] | None = None,
) -> LevelResult:
    """Gain ``samples`` to ``target_lufs`` and limit them to the ceiling.

    Parameters
    ----------
    samples : np.ndarray, float32, shape (channels, frames)
    sample_rate : int
        In Hz.
    target_lufs : float
        Integrated loudness to reach.
    limiter : LimiterSettings
        Ceiling and time constants.
    max_reduction_db : float
        Largest peak gain reduction allowed to reach the target.
    on_candidate : callable, optional
        Called with every limited result before the meter verifies it (usually once).
    on_detector : callable, optional
        Called when the oversampled detector (the step that uses both cores) is done.

    Raises
    ------
    AnalysisError
        If the material has no measurable loudness (silence, or shorter than 0.4 s).
    """
    model = GainLoudnessModel(samples, sample_rate)
    input_lufs = model.lufs()
    if input_lufs is None:
        raise AnalysisError("the material is silent or shorter than 0.4 s: it has no integrated loudness to adjust")
    threshold_base = limiter.ceiling_dbtp - DEFAULT_MARGIN_DB
    iterations = 0
    slot = model.slot_frames
    slot_rate = sample_rate / slot

    def slot_levels(level_db: np.ndarray) -> np.ndarray:
        """The loudest level in each slot of the model (a limiter driven by it reduces at least as much)."""
        columns = level_db[: model.slots * slot].reshape(model.slots, slot)
        out = columns[:, 0].copy()
        for k in range(1, slot):  # one position of the slot at a time (see slot_peaks)
            np.maximum(out, columns[:, k], out=out)
        return out

    def curve_for(level_db: np.ndarray, rate: float, gain_db: float) -> tuple[np.ndarray, np.ndarray | float]:
        gr = reduction_curve(level_db, rate, threshold_db=threshold_base - gain_db, lookahead_ms=limiter.lookahead_ms, release_ms=limiter.release_ms)
        curve = linear_gain(gain_db, gr) if gr.any() else 10.0 ** (gain_db / 20.0)
        return gr, curve

    def secant(tried: list[tuple[float, float]]) -> float:
        slope = 1.0
        if len(tried) >= 2:
            (g0, l0), (g1, l1) = tried[-2], tried[-1]
            if abs(g1 - g0) > 1e-6:
                slope = min(1.0, max(0.05, (l1 - l0) / (g1 - g0)))
        return slope

    def search(level_db: np.ndarray, gain_db: float) -> tuple[float, bool, np.ndarray | None]:
        """The gain whose limited result the model puts on target, and its reduction curve.

        The secant search runs on the model's slots (the slot's loudest level driving a
        limiter at the slot rate: 16 times less work); the gain it finds is then checked,
        and corrected if need be, with the per-frame reduction the limiter will apply.
        """
        nonlocal iterations
        gain_limit_db = max_reduction_db + threshold_base - float(level_db.max())
        capped = False
        levels = slot_levels(level_db)
        tried: list[tuple[float, float]] = []
        for _ in range(12):
            capped = gain_db >= gain_limit_db  # at the limit counts: the limit holds it there
            gain_db = min(gain_db, gain_limit_db)
            _gr, curve = curve_for(levels, slot_rate, gain_db)
            predicted = model.lufs_slots(curve)
            lufs = -math.inf if predicted is None else predicted
            iterations += 1
            tried.append((gain_db, lufs))
            error = target_lufs - lufs
            if abs(error) <= SEARCH_TOLERANCE_LU or (capped and error > 0):
                break
            gain_db += error / secant(tried)
        del levels
        slope = secant(tried)
        tried = []
        for _ in range(6):
            capped = gain_db >= gain_limit_db  # at the limit counts: the limit holds it there
            gain_db = min(gain_db, gain_limit_db)
            gr = reduction_curve(level_db, sample_rate, threshold_db=threshold_base - gain_db, lookahead_ms=limiter.lookahead_ms, release_ms=limiter.release_ms)
            predicted = model.lufs_reduction(gain_db, gr)
            lufs = -math.inf if predicted is None else predicted
            iterations += 1
            tried.append((gain_db, lufs))
            error = target_lufs - lufs
            if abs(error) <= SEARCH_TOLERANCE_LU or (capped and error > 0):
                return gain_db, capped, gr
            gain_db += error / (secant(tried) if len(tried) >= 2 else slope)
        return gain_db, capped, None  # the last curve was for another gain

    # A first search on the sample peaks tells roughly which frames the limiter will touch;
    # the detector's oversampled envelope is then computed only where it can matter (frames
    # within reach of the threshold, with 3 dB to spare for the search moving on and for
    # deliverables limited up to 1.5 dB lower), and the search finishes on it.
    # (The slots' loudest sample, in dB: the log of 16 times fewer values.)
    levels = envelope_db(slot_peaks(samples, slot, model.slots), in_place=True)
    loudest_sample_db = float(levels.max())
    rough_gain_db = target_lufs - input_lufs
    tried: list[tuple[float, float]] = []
    for _ in range(12):
        rough_gain_db = min(rough_gain_db, max_reduction_db + threshold_base - loudest_sample_db)
        _gr, curve = curve_for(levels, slot_rate, rough_gain_db)
        predicted = model.lufs_slots(curve)
        iterations += 1
        tried.append((rough_gain_db, -math.inf if predicted is None else predicted))
        error = target_lufs - tried[-1][1]
        if abs(error) <= 0.1 or not math.isfinite(error):
            break
        rough_gain_db += error / secant(tried)
    del levels
    floor_gain_db = rough_gain_db
    for _refine in range(3):
        level_db = envelope_db(true_peak_envelope(samples, sample_rate, floor=10.0 ** ((threshold_base - floor_gain_db - 3.0) / 20.0)), in_place=True)
        if on_detector is not None:
            on_detector()
        gain_db, capped, gr = search(level_db, rough_gain_db)
        if gain_db <= floor_gain_db + 1.5:
            break
        floor_gain_db = gain_db
    result: LimiterResult | None = None
    output_lufs = input_lufs
    for _outer in range(4):
        offer = None
        if on_candidate is not None:
            offer = partial(_offer, on_candidate, gain_db=gain_db, source=samples, level_db=level_db, limiter=limiter, sample_rate=sample_rate)
        result = limit_true_peak(samples, sample_rate, limiter, gain_db=gain_db, level_db=level_db, reduction=gr, on_output=offer)
        measured = result.integrated_lufs
        output_lufs = -math.inf if measured is None else measured
        error = target_lufs - output_lufs
        if abs(error) <= FINAL_TOLERANCE_LU or (capped and error > 0):
            break
        gain_db, capped, gr = search(level_db, gain_db + error)
    if result is None:  # pragma: no cover - the loop always runs
        raise AnalysisError("loudness search did not run")
    # The search's working arrays go before the statistics are made (memory).
    del gr
    model.release()
    reduction = result.gain_db
    np.negative(reduction, out=reduction)  # the result's own array: reduction in dB, positive
    limited = reduction > 1e-3
    count = int(np.count_nonzero(limited))
    limit = LimitStage(
        ceiling_dbtp=limiter.ceiling_dbtp,
        max_reduction_db=float(reduction.max(initial=0.0)),
        mean_reduction_db=float(np.sum(reduction, where=limited, dtype=np.float64) / count) if count else 0.0,
        limited_fraction=count / limited.size if limited.size else 0.0,
        output_lufs=output_lufs,
        output_true_peak_dbtp=result.true_peak_dbtp,
        reached_target=abs(output_lufs - target_lufs) <= 0.1,
        iterations=iterations,
        lookahead_ms=limiter.lookahead_ms,
        release_ms=limiter.release_ms,
        max_reduction_budget_db=max_reduction_db,
    )
    gain = GainStage(input_lufs=input_lufs, target_lufs=target_lufs, gain_db=gain_db, capped=capped)
    del limited
    series = gain_reduction_series(reduction, sample_rate)
    del reduction
    return LevelResult(
        samples=result.samples,
        gain=gain,
        limit=limit,
        gain_reduction_db=series,
        report=result.report,
        source=samples,
        level_db=level_db,
        limiter=limiter,
        sample_rate=sample_rate,
    )


__all__ = ["GAIN_REDUCTION_HOP_S", "Candidate", "GainStage", "LevelResult", "LimitStage", "gain_reduction_series", "limited_source", "reach_loudness"]
