"""Finding stems that are shifted or polarity-inverted against the mix (SF501, SF502).

An :class:`AnalysisWindow` holds a few seconds of the mix, every stem and the residual
``R = mix − Σ stems``, each extended by the largest lag searched on both sides.
:func:`find_corrections` first correlates the mix with the sum of all stems (the whole mix
printed from another start), then searches stem by stem: a stem ``f`` that belongs in the
mix appears there as ``T = R + f``; its whitened cross-correlation with ``T``
(cross-spectrum over the stem's power spectrum) peaks sharply at the lag the stem is late
by, with the sign of its polarity, and the plain correlation ``r`` predicts how much
residual the correction removes (``2·(s·r[k] − r[0])``). The best few candidates are tried
for real, the first that removes enough is applied, and the search repeats. Correlations are
linear in ``T``, so the stems' spectra are computed once per window and only the
residual's is recomputed per round.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import fft as sp_fft

from stemforge.audio import Samples
from stemforge.qa.null import energy_db
from stemforge.qa.scan import SEGMENT_FRAMES
from stemforge.qa.window import read_window

#: A correction must remove at least this fraction of the window's residual energy.
MIN_IMPROVEMENT = 0.5
#: ... or at least this fraction when the shifted stem correlates with the mix this well.
MIN_SHARE_MATCHED = 0.05
MATCHED_CORRELATION = 0.9
#: A shift of 1–2 samples must leave at most this fraction of the residual energy.
SMALL_SHIFT_REMAINDER = 0.1
#: Regularization of the whitened correlation, relative to the stem's mean power.
WHITENING_FLOOR = 1e-3
#: Candidate corrections tried per round, best predicted first.
CANDIDATES_TRIED = 4
#: A whole-mix offset must leave at most this fraction of the residual energy.
MIX_OFFSET_REMAINDER = 0.1
#: At most this many stems are corrected before giving up on shifts.
MAX_CORRECTIONS = 8


@dataclass(frozen=True)
class Correction:
    """A stem that lines up with the mix once shifted by ``lag_frames`` and/or inverted.

    Attributes
    ----------
    index : int
        Index into the stems list.
    lag_frames : int
        How late the stem is relative to the mix (negative: early).
    inverted : bool
    correlation : float
        Normalized cross-correlation at the lag (−1 … 1).
    residual_drop_db : float
        How much the window's residual dropped once this stem was corrected.
    """

    index: int
    lag_frames: int
    inverted: bool
    correlation: float
    residual_drop_db: float


def window_frames(sample_rate: int, seconds: float) -> int:
    return max(SEGMENT_FRAMES, int(math.ceil(seconds * sample_rate / SEGMENT_FRAMES)) * SEGMENT_FRAMES)


def _rfft_channels(x: Samples, nfft: int) -> npt.NDArray[np.complex64]:
    return sp_fft.rfft(x, n=nfft, axis=1, workers=-1)


def _irfft(spectrum: npt.NDArray[np.complex64], nfft: int, keep: int) -> npt.NDArray[np.float64]:
    return sp_fft.irfft(spectrum, n=nfft, workers=-1)[:keep].astype(np.float64)


class AnalysisWindow:
    """Mix, stems and residual over ``[start − lag, start + frames + lag)``."""

    def __init__(
        self,
        mix: Path,
        stems: Sequence[Path],
        *,
        start: int,
        frames: int,
        lag: int,
        channels: int,
        known: Mapping[int, tuple[int, int]] | None = None,
    ) -> None:
        self.start, self.frames, self.lag, self.channels = start, frames, lag, channels
        self.paths = list(stems)
        known = known or {}
        # Frames left out at both ends of the centre once stems were shifted.
        self.trim = max((abs(late) for late, _ in known.values()), default=0)
        ext = frames + 2 * lag
        self.mix = read_window(mix, start_frame=start - lag, frames=ext, channels=channels)
        self.stems = []
        for i, p in enumerate(stems):
            late, sign = known.get(i, (0, 1))
            data = read_window(p, start_frame=start - lag + late, frames=ext, channels=channels)
            self.stems.append(data if sign > 0 else -data)
        self.residual = self.mix - np.sum(self.stems, axis=0, dtype=np.float32) if stems else self.mix.copy()

    def center(self, x: Samples) -> Samples:
        trim = min(self.trim, self.frames // 4)
        return x[:, self.lag + trim : self.lag + self.frames - trim]

    def energy(self, x: Samples) -> float:
        c = self.center(x).astype(np.float64)
        return float(np.sum(c * c))


def _mix_offset(window: AnalysisWindow, templates: list[npt.NDArray[np.complex64]], nfft: int) -> Correction | None:
    """The whole mix shifted against every stem: correlate the mix with the stem sum.

    Applied (every stem re-read at the offset, residual updated) when it removes at least
    90 % of the residual; returned as a :class:`Correction` with ``index == -1``.
    """
    lag, frames = window.lag, window.frames
    res_energy = window.energy(window.residual)
    if len(window.stems) < 2 or res_energy <= 0:
        return None
    stem_sum = np.sum(templates, axis=0)
    r = _irfft(np.sum(_rfft_channels(window.mix, nfft) * np.conj(stem_sum), axis=0), nfft, 2 * lag + 1)
    j = int(np.argmax(r))
    late = lag - j
    if late == 0 or r[j] <= r[lag]:
        return None
    fixed = [read_window(p, start_frame=window.start - lag + late, frames=frames + 2 * lag, channels=window.channels)
             for p in window.paths]
    new_residual = window.mix - np.sum(fixed, axis=0, dtype=np.float32)
    new_energy = window.energy(new_residual)
    # A true offset nulls (almost) completely; filters with group delay (EQ) also peak
    # off zero but leave most of the residual, so ask for a 10 dB drop here.
    if new_energy > MIX_OFFSET_REMAINDER * res_energy:
        return None
    window.residual, window.stems = new_residual, fixed
    return Correction(-1, late, False, 1.0, round(energy_db(res_energy, max(new_energy, 1e-30)), 1))


def find_corrections(window: AnalysisWindow, *, sample_rate: int, skip: frozenset[int] = frozenset()) -> list[Correction]:
    """Greedy shift/polarity search (stage 1); updates ``window.residual`` in place.

    Stems in ``skip`` (already corrected in an earlier window) are left as they are.
    """
    lag, frames = window.lag, window.frames
    nfft = sp_fft.next_fast_len(frames + 2 * lag, real=True)
    # Templates span the whole centre (untrimmed): lag 0 is then index `lag` of the correlation.
    centers = [s[:, lag : lag + frames] for s in window.stems]
    center_energy = [float(np.sum(c.astype(np.float64) ** 2)) for c in centers]
    # Spectra of each stem's centre (correlation template) and of its extended window.
    templates = [_rfft_channels(c, nfft) for c in centers]
    extended = [_rfft_channels(s, nfft) for s in window.stems]
    autos = [_irfft(np.sum(e * np.conj(t), axis=0), nfft, 2 * lag + 1) for e, t in zip(extended, templates, strict=True)]
    # Whitened (phase-transform-like) correlation picks the lag: a delayed copy gives a sharp
    # peak whatever the stem's spectrum, where the plain correlation of a bass is broad.
    whiteners = []
    for t in templates:
        power = np.sum(np.abs(t) ** 2, axis=0)
        whiteners.append(np.conj(t) / (power + WHITENING_FLOOR * float(power.mean()) + 1e-30))
    white_autos = [_irfft(np.sum(e * w, axis=0), nfft, 2 * lag + 1) for e, w in zip(extended, whiteners, strict=True)]
    corrections: list[Correction] = []
    offset = None if skip else _mix_offset(window, templates, nfft)
    if offset is not None:
        corrections.append(offset)
        return corrections
    done: set[int] = set(skip)
    for _ in range(MAX_CORRECTIONS):
        res_energy = window.energy(window.residual)
        if res_energy <= 0:
            break
        res_spec = _rfft_channels(window.residual, nfft)
        candidates: list[tuple[float, int, int, int, float]] = []  # gain, index, j, sign, r
        for i, template in enumerate(templates):
            if i in done or center_energy[i] <= 0:
                continue
            r = _irfft(np.sum(res_spec * np.conj(template), axis=0), nfft, 2 * lag + 1) + autos[i]
            h = _irfft(np.sum(res_spec * whiteners[i], axis=0), nfft, 2 * lag + 1) + white_autos[i]
            j = int(np.argmax(np.abs(h)))
            sign = 1 if h[j] >= 0 else -1
            gain = sign * r[j] - r[lag]  # index `lag` is lag 0
            if 2 * gain >= MIN_SHARE_MATCHED * res_energy:
                candidates.append((float(gain), i, j, sign, float(r[j])))
        # The predicted gain ignores the window's edges; try the most promising few for real.
        accepted = None
        for _, i, j, sign, r_peak in sorted(candidates, reverse=True)[:CANDIDATES_TRIED]:
            late = lag - j
            fixed = sign * read_window(window.paths[i], start_frame=window.start - lag + late,
                                       frames=frames + 2 * lag, channels=window.channels)
            new_residual = window.residual + window.stems[i] - fixed
            new_energy = window.energy(new_residual)
            t_energy = window.energy(window.residual + window.stems[i])
            rho = r_peak / math.sqrt(center_energy[i] * t_energy) if t_energy > 0 else 0.0
            rho = max(-1.0, min(1.0, rho))
            # Accept a correction that removes half the residual, or a smaller share when the
            # stem matches the mix almost perfectly at that lag (other problems dominate).
            small = sign > 0 and abs(late) <= 2
            matched = abs(rho) >= MATCHED_CORRELATION and not small
            # EQ's group delay on the mix also looks like a sample or two: such a small shift
            # must remove nearly all (90 %) of the residual, as a real one does.
            needed = SMALL_SHIFT_REMAINDER if small else 1 - MIN_IMPROVEMENT
            if new_energy <= needed * res_energy or (matched and new_energy <= (1 - MIN_SHARE_MATCHED) * res_energy):
                accepted = (i, late, sign, rho, new_residual, new_energy, fixed)
                break
        if accepted is None:
            break
        i, late, sign, rho, new_residual, new_energy, fixed = accepted
        corrections.append(Correction(i, late, sign < 0, float(rho), round(energy_db(res_energy, max(new_energy, 1e-30)), 1)))
        window.residual = new_residual
        window.stems[i] = fixed
        done.add(i)
    return corrections


__all__ = ["AnalysisWindow", "Correction", "find_corrections", "window_frames"]
