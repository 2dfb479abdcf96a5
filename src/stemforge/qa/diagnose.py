"""Why a null test failed: shifted or polarity-inverted stems, stem levels, a missing stem, mix-bus processing.

Works on windows of a few seconds of the residual ``R = mix − Σ stems`` (read from the
files, never the whole song): the loudest part first, then up to two more elsewhere with
the corrections found so far applied. In each window, in stages:

1. **Shift and polarity (SF501, SF502).** First the mix against the sum of all stems (the
   whole mix offset). Then per stem: a stem ``f`` that belongs in the mix appears there as
   ``T = R + f`` (the mix minus every *other* stem). Its whitened cross-correlation with
   ``T`` (cross-spectrum over the stem's power spectrum, lags within ±``max_lag_s``) peaks
   sharply at the lag the stem is late by, with the sign of its polarity; the plain
   correlation ``r`` predicts how much residual the correction removes
   (``2·(s·r[k] − r[0])``). The best few candidates are tried for real; the first that
   removes half the residual (or less, for a near-perfect match that is not a 1–2 sample
   shift) is applied and the search repeated. Correlations are linear in ``T``, so the
   stems' spectra are computed once and only the residual's is recomputed per round.
2. **Clipping, levels and dynamics (SF507, SF505, SF508, SF504).** With ``S`` the corrected
   stem sum: the stem sum over full scale where an integer mix clipped; a single gain ``g``
   with ``mix ≈ g·S`` (mix level offset); a least-squares fit of ``R`` onto the stems
   (stems printed at another level than the mix holds them); a gain that changes segment
   by segment (≈21 ms) and is lowest where the mix is loudest (a limiter or compressor on
   the mix bus; the residual then tracks the mix's peaks).
3. **EQ (SF509).** A residual that is a linear filter of the stems (high coherence between
   the two) is EQ on the mix bus; the mix/stems transfer function says where and how much.
4. **Missing stem (SF503).** A residual unrelated to the stems (uncorrelated, low
   coherence) is material the mix has and no stem carries; its level and spectrum are reported.
5. Anything else is reported as unexplained (SF509: saturation, width on the mix bus).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import fft as sp_fft
from scipy import signal

from stemforge.audio import Samples
from stemforge.qa.model import Finding, Severity
from stemforge.qa.null import NULL_PASS_DB, NullResult, energy_db
from stemforge.qa.scan import SEGMENT_FRAMES
from stemforge.qa.window import read_window

#: A correction must remove at least this fraction of the window's residual energy.
MIN_IMPROVEMENT = 0.5
#: Samples of the stem sum above this (linear) cannot be held by an integer mix file.
CLIP_LEVEL = 1.0
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
#: Residual-weighted coherence with the stem sum above which the residual is a filtered copy (EQ).
LINEAR_COHERENCE = 0.8
#: A per-stem level fit must explain at least this share of the residual (SF508).
STEM_LEVEL_SHARE = 0.9
#: Windows analysed at most, each at the loudest residual not yet looked at.
MAX_WINDOWS = 3
#: A later window is analysed only if its residual is at least this share of the loudest (−20 dB).
WINDOW_MIN_SHARE = 0.01
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


def _samples(n: int) -> str:
    return "sample" if abs(n) == 1 else "samples"


def _window_frames(sample_rate: int, seconds: float) -> int:
    return max(SEGMENT_FRAMES, int(math.ceil(seconds * sample_rate / SEGMENT_FRAMES)) * SEGMENT_FRAMES)


def _rfft_channels(x: Samples, nfft: int) -> npt.NDArray[np.complex64]:
    return sp_fft.rfft(x, n=nfft, axis=1, workers=-1)


def _irfft(spectrum: npt.NDArray[np.complex64], nfft: int, keep: int) -> npt.NDArray[np.float64]:
    return sp_fft.irfft(spectrum, n=nfft, workers=-1)[:keep].astype(np.float64)


class _Window:
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


def _mix_offset(window: _Window, templates: list[npt.NDArray[np.complex64]], nfft: int) -> Correction | None:
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


def find_corrections(window: _Window, *, sample_rate: int, skip: frozenset[int] = frozenset()) -> list[Correction]:
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


def _band_profile(residual: Samples, sample_rate: int) -> dict[str, object]:
    """Where the residual's energy lies: dominant third-octave band and low/mid/high shares."""
    x = residual.astype(np.float64)
    spectrum = np.sum(np.abs(np.fft.rfft(x * np.hanning(x.shape[1]), axis=1)) ** 2, axis=0)
    freqs = np.fft.rfftfreq(x.shape[1], 1 / sample_rate)
    total = float(spectrum[freqs >= 20].sum()) or 1.0
    centers = [1000 * 2 ** (k / 3) for k in range(-17, 14)]  # 20 Hz … 20 kHz
    bands = []
    for fc in centers:
        lo, hi = fc / 2 ** (1 / 6), fc * 2 ** (1 / 6)
        bands.append(float(spectrum[(freqs >= lo) & (freqs < hi)].sum()))
    dominant = centers[int(np.argmax(bands))]
    low = float(spectrum[(freqs >= 20) & (freqs < 250)].sum()) / total
    high = float(spectrum[freqs >= 4000].sum()) / total
    mid = max(0.0, 1.0 - low - high)
    return {
        "dominant_band_hz": round(dominant, 1),
        "low_share": round(low, 3),
        "mid_share": round(mid, 3),
        "high_share": round(high, 3),
        "third_octave_db": [round(10 * math.log10(b / total), 1) if b > 0 else None for b in bands],
        "third_octave_hz": [round(c, 1) for c in centers],
    }


def _describe_band(profile: dict[str, object]) -> str:
    low, mid, high = (float(profile[k]) for k in ("low_share", "mid_share", "high_share"))  # type: ignore[arg-type]
    if low >= 0.6:
        return "mostly low frequencies (bass or kick)"
    if high >= 0.5:
        return "mostly high frequencies (cymbals, percussion, air)"
    if mid >= 0.6:
        return "mostly mid-range (vocals, guitars, keys)"
    return "broadband"


def _segment_dot(a: Samples, b: Samples) -> npt.NDArray[np.float64]:
    n = a.shape[1] // SEGMENT_FRAMES * SEGMENT_FRAMES
    sa = a[:, :n].reshape(a.shape[0], -1, SEGMENT_FRAMES).astype(np.float64)
    sb = b[:, :n].reshape(b.shape[0], -1, SEGMENT_FRAMES).astype(np.float64)
    return np.einsum("csf,csf->s", sa, sb)


def diagnose(
    mix: Path,
    stems: Sequence[Path],
    names: Sequence[str],
    null: NullResult,
    *,
    sample_rate: int,
    channels: int,
    max_lag_s: float = 1.0,
    window_s: float = 3.0,
) -> list[Finding]:
    """Explain a failed null test; returns SF501–SF509 findings (empty if the null passed).

    Parameters
    ----------
    mix : Path
    stems : sequence of Path
        The stems that were summed for the null test, in the same order as ``names``.
    names : sequence of str
        File names for messages.
    null : NullResult
        The streaming null test's result (its per-segment residual picks the window).
    sample_rate : int
        Hz, shared by the mix and the stems.
    channels : int
        The mix's channel count.
    max_lag_s : float
        Largest shift searched for, in seconds either way.
    window_s : float
        Length of each analysed window, in seconds (rounded up to whole segments).

    Up to :data:`MAX_WINDOWS` windows are analysed, each around the loudest residual not
    yet covered, with the stem corrections found so far applied; this finds problems
    that live in different parts of the song (a shifted stem in the verse, a missing one in
    the bridge).
    """
    if null.passed or null.frames == 0 or not null.segment_residual.size:
        return []
    frames = min(_window_frames(sample_rate, window_s), max(null.frames, SEGMENT_FRAMES))
    frames = frames // SEGMENT_FRAMES * SEGMENT_FRAMES or SEGMENT_FRAMES
    lag = min(int(round(max_lag_s * sample_rate)), max(null.frames - 1, 1))
    residual = null.segment_residual
    used = np.zeros(residual.size, dtype=bool)
    known: dict[int, tuple[int, int]] = {}
    findings: list[Finding] = []
    seen: set[tuple[str, str | None]] = set()
    for round_index in range(MAX_WINDOWS):
        candidates = np.where(used, 0.0, residual)
        loudest = int(np.argmax(candidates))
        if candidates[loudest] <= 0 or (round_index and candidates[loudest] < WINDOW_MIN_SHARE * residual.max()):
            break
        center = loudest * SEGMENT_FRAMES + SEGMENT_FRAMES // 2
        start = min(max(center - frames // 2, 0), max(null.frames - frames, 0))
        # The window and one window-length either side: the next look is elsewhere in the song.
        used[max(start - frames, 0) // SEGMENT_FRAMES : (start + 2 * frames) // SEGMENT_FRAMES + 1] = True
        window = _Window(mix, stems, start=start, frames=frames, lag=lag, channels=channels, known=known)
        found, explained = _diagnose_window(window, mix=mix, names=names, null=null, sample_rate=sample_rate,
                                            known=known)
        new = [f for f in found if (f.code, f.file) not in seen]
        seen.update((f.code, f.file) for f in new)
        findings += new
        if round_index and not new and explained:
            break  # this window is explained by what was already found: so, most likely, is the rest
    return findings


def _diagnose_window(
    window: _Window,
    *,
    mix: Path,
    names: Sequence[str],
    null: NullResult,
    sample_rate: int,
    known: dict[int, tuple[int, int]],
) -> tuple[list[Finding], bool]:
    """Stages 1–5 on one window; records stem corrections in ``known``.

    Returns the findings and whether the window's residual is explained (at or below the
    null test's limit once corrected).
    """
    start = window.start
    findings: list[Finding] = []
    corrections = find_corrections(window, sample_rate=sample_rate, skip=frozenset(known))
    if corrections and corrections[0].index == -1:
        known.update({i: (corrections[0].lag_frames, 1) for i in range(len(window.stems))})
    else:
        known.update({c.index: (c.lag_frames, -1 if c.inverted else 1) for c in corrections})
    # A shifted stem leaves its edge (the part moved past the window) in the residual.
    window.trim = max([window.trim] + [abs(c.lag_frames) for c in corrections])
    mix_energy = window.energy(window.mix)
    shifted = [c for c in corrections if c.lag_frames != 0]
    active = [i for i, s in enumerate(window.stems) if window.energy(s) > mix_energy * 1e-6]
    whole_mix = corrections[:1] if corrections and corrections[0].index == -1 else []
    if not whole_mix and len(shifted) >= 2 and len({c.lag_frames for c in shifted}) == 1 and {c.index for c in shifted} >= set(active):
        whole_mix = shifted[:1]
    if whole_mix:
        late = whole_mix[0].lag_frames  # how late the stems are against the mix
        ms = late / sample_rate * 1000
        findings.append(Finding(
            "SF501", Severity.FAIL,
            f"the mix is {abs(late)} {_samples(late)} ({abs(ms):.2f} ms) {'early' if late > 0 else 'late'} against every stem; "
            "re-print the mix or the stems from the same start",
            mix.name, {"shift_frames": -late, "shift_ms": round(-ms, 3), "stems": len(window.stems),
                       "residual_drop_db": whole_mix[0].residual_drop_db}))
    else:
        for c in corrections:
            name = names[c.index]
            details = {"shift_frames": c.lag_frames, "shift_ms": round(c.lag_frames / sample_rate * 1000, 3),
                       "correlation": round(c.correlation, 4), "residual_drop_db": c.residual_drop_db,
                       "window_start_s": round(start / sample_rate, 3)}
            if c.lag_frames:
                ms = abs(c.lag_frames) / sample_rate * 1000
                when = "late" if c.lag_frames > 0 else "early"
                extra = " and polarity-inverted" if c.inverted else ""
                findings.append(Finding(
                    "SF501", Severity.FAIL,
                    f"is shifted by {c.lag_frames:+d} {_samples(c.lag_frames)} ({ms:.2f} ms {when}){extra} against the mix; "
                    f"move it {'earlier' if c.lag_frames > 0 else 'later'} by {abs(c.lag_frames)} {_samples(c.lag_frames)}",
                    name, details))
            if c.inverted:
                findings.append(Finding("SF502", Severity.FAIL, "has inverted polarity against the mix; flip it",
                                        name, details))

    remaining = window.energy(window.residual)
    remaining_db = energy_db(remaining, mix_energy)
    if remaining_db <= NULL_PASS_DB:
        return findings, True
    findings += _explain_rest(window, sample_rate=sample_rate, null=null, remaining_db=remaining_db,
                              explained_any=bool(corrections) or bool(known), mix_name=mix.name, names=names)
    return findings, False


def _explain_rest(
    window: _Window,
    *,
    sample_rate: int,
    null: NullResult,
    remaining_db: float,
    explained_any: bool,
    mix_name: str,
    names: Sequence[str],
) -> list[Finding]:
    """Stages 2–4 on the residual left after shift/polarity corrections."""
    m = window.center(window.mix)
    r = window.center(window.residual)
    s = m - r  # corrected stem sum
    e_s = float(np.sum(s.astype(np.float64) ** 2))
    e_r = float(np.sum(r.astype(np.float64) ** 2))
    e_m = float(np.sum(m.astype(np.float64) ** 2))
    dot_ms = float(np.sum(m.astype(np.float64) * s))
    base = {"residual_db": round(null.residual_db, 1), "window_residual_db": round(remaining_db, 1),
            "window_start_s": round(window.start / sample_rate, 3)}
    over = np.abs(s) > CLIP_LEVEL
    if over.any() and float(np.abs(m).max()) <= CLIP_LEVEL:  # a float mix over full scale did not clip
        near = np.zeros_like(over)
        for channel in range(over.shape[0]):  # clipped samples and their neighbours
            hits = np.flatnonzero(over[channel])
            for offset in (-1, 0, 1):
                near[channel, np.clip(hits + offset, 0, over.shape[1] - 1)] = True
        share = float(np.sum(r[near].astype(np.float64) ** 2)) / e_r if e_r > 0 else 0.0
        if share >= 0.5:
            return [Finding(
                "SF507", Severity.FAIL,
                f"the mix is clipped where the stems sum above full scale ({int(over.sum())} samples in the "
                f"analysed {window.frames / sample_rate:.1f} s); render the mix in floating point or lower the mix bus",
                mix_name, base | {"clipped_share_of_residual": round(share, 3),
                                  "stem_sum_peak_dbfs": round(20 * math.log10(float(np.abs(s).max())), 2)})]
    if e_s <= 0:
        profile = _band_profile(r, sample_rate)
        return [Finding("SF503", Severity.FAIL,
                        f"the stems are silent where the mix is not: material at {null.residual_db:.1f} dB is missing",
                        None, base | profile)]
    g = dot_ms / e_s
    e_global = max(e_m - dot_ms * g, 0.0)
    seg_ss = _segment_dot(s, s)
    seg_ms = _segment_dot(m, s)
    seg_mm = _segment_dot(m, m)
    loud = seg_ss > seg_ss.max() * 1e-4
    seg_g = np.where(loud, seg_ms / np.where(loud, seg_ss, 1.0), 1.0)
    e_segment = float(np.sum(np.where(loud, np.maximum(seg_mm - seg_ms * seg_g, 0.0), seg_mm)))
    gain_db = 20 * math.log10(g) if g > 0 else -math.inf

    if g > 0 and energy_db(e_global, e_m) <= NULL_PASS_DB + 10 and abs(gain_db) > 0.01:
        word = "louder" if gain_db > 0 else "quieter"
        return [Finding("SF505", Severity.FAIL,
                        f"the mix is {abs(gain_db):.2f} dB {word} than the sum of the stems (a gain change on the mix bus or on every stem)",
                        mix_name, base | {"gain_db": round(gain_db, 3)})]

    levels = _stem_levels(window, names, r)
    if levels:
        return [Finding("SF508", Severity.FAIL,
                        f"is {abs(db):.2f} dB {'quieter' if db < 0 else 'louder'} than in the mix (its fader or gain "
                        "changed after the stems were printed); re-print it at the mix's level",
                        name, base | {"gain_db": round(db, 3), "explained_share": round(share, 3)})
                for name, db, share in levels]

    rho = float(np.sum(r.astype(np.float64) * s)) / math.sqrt(e_r * e_s) if e_r > 0 else 0.0
    if loud.sum() >= 4 and e_segment <= MIN_IMPROVEMENT * e_r:
        g_db = 20 * np.log10(np.clip(seg_g[loud], 1e-6, None))
        level_db = 10 * np.log10(seg_ss[loud])
        spread = float(g_db.max() - g_db.min())
        slope = float(np.corrcoef(level_db, g_db)[0, 1]) if spread > 1e-6 else 0.0
        if spread > 0.3 and slope < -0.3:
            res_seg = _segment_dot(r, r)[loud]
            peak_track = float(np.corrcoef(np.sqrt(res_seg), np.sqrt(seg_mm[loud]))[0, 1])
            return [Finding(
                "SF504", Severity.FAIL,
                f"the mix has dynamics processing the stems lack (limiter or compressor on the mix bus): its level "
                f"against the stems drops by up to {spread:.1f} dB at its loudest passages; print the stems through "
                f"the same mix-bus chain or deliver the mix without it",
                mix_name, base | {"max_gain_reduction_db": round(spread, 2), "makeup_gain_db": round(float(g_db.max()), 2),
                                  "gain_vs_level_correlation": round(slope, 3),
                                  "residual_tracks_mix_peaks": round(peak_track, 3),
                                  "explained_share": round(1 - e_segment / e_r, 3)})]
    coherence, eq = _linear_fit(s, r, sample_rate)
    if coherence >= LINEAR_COHERENCE:
        return [Finding(
            "SF509", Severity.FAIL,
            f"the mix is a filtered copy of the stems (coherence {coherence:.2f}): EQ on the mix bus, "
            f"{eq['max_deviation_db']:+.1f} dB around {eq['at_hz']:.0f} Hz; print the stems through the same EQ "
            "or deliver the mix without it",
            mix_name, base | {"coherence": round(coherence, 3), "residual_stem_correlation": round(rho, 3)} | eq)]
    if abs(rho) < 0.3 or coherence < 0.5:
        profile = _band_profile(r, sample_rate)
        what = _describe_band(profile)
        prefix = "after the corrections above, " if explained_any else ""
        return [Finding(
            "SF503", Severity.FAIL,
            f"{prefix}the mix holds material no stem carries ({what}, {null.residual_db:.1f} dB relative to the mix, "
            f"strongest near {profile['dominant_band_hz']:.0f} Hz): a stem is probably missing",
            None, base | profile | {"residual_stem_correlation": round(rho, 3), "coherence": round(coherence, 3)})]
    return [Finding(
        "SF509", Severity.FAIL,
        f"the residual ({null.residual_db:.1f} dB) follows the stems (correlation {rho:+.2f}) but is not a shift, "
        "polarity, gain, limiter or EQ: likely saturation or stereo processing on the mix bus",
        mix_name, base | {"residual_stem_correlation": round(rho, 3), "coherence": round(coherence, 3)})]


def _stem_levels(window: _Window, names: Sequence[str], residual: Samples) -> list[tuple[str, float, float]]:
    """Stems whose level differs from their level in the mix: ``(name, stem − mix dB, share)``.

    Least squares over the window: ``residual ≈ Σ a_i · stem_i``; the mix then holds stem
    ``i`` at ``1 + a_i`` times its file's level. Reported only when the fit explains at least
    90 % of the residual, the gains differ between stems (equal gains are a mix-level
    offset, SF505) and some stem sits at its mix level (all of them off is mix-bus processing).
    """
    active = [i for i, x in enumerate(window.stems) if window.energy(x) > 0]
    if not active or len(active) > 32:
        return []
    columns = np.stack([window.center(window.stems[i]).astype(np.float64).ravel() for i in active], axis=1)
    target = residual.astype(np.float64).ravel()
    e_r = float(target @ target)
    if e_r <= 0:
        return []
    coef, *_ = np.linalg.lstsq(columns, target, rcond=None)
    rest = target - columns @ coef
    share = 1.0 - float(rest @ rest) / e_r
    if share < STEM_LEVEL_SHARE or float(np.ptp(coef)) < 1e-3:
        return []
    out = []
    for i, a in zip(active, coef, strict=True):
        if 1.0 + a <= 0:
            return []  # not a level change (a polarity or worse), leave it to the other stages
        db = -20.0 * math.log10(1.0 + float(a))  # file level relative to the mix's
        if abs(db) >= 0.1:
            out.append((names[i], db, share))
    # Every stem off by some amount is the mix bus (a compressor's average gain), not the stems.
    return out if len(out) < len(active) else []


def _linear_fit(stem_sum: Samples, residual: Samples, sample_rate: int) -> tuple[float, dict[str, float]]:
    """How much of the residual is a linear filter of the stem sum, and that filter's largest deviation.

    Returns the magnitude-squared coherence between stem sum and residual, averaged over
    frequency weighted by the residual's power (1: the residual is ``h * stems``, as EQ
    leaves it; near 0: unrelated material), and where the mix/stems transfer function
    ``1 + P_sr / P_ss`` departs most from 0 dB (within the band holding 99 % of the energy).
    """
    s = stem_sum.mean(axis=0).astype(np.float64)
    r = residual.mean(axis=0).astype(np.float64)
    nperseg = min(4096, s.size)
    freqs, p_ss = signal.welch(s, fs=sample_rate, nperseg=nperseg)
    _, p_rr = signal.welch(r, fs=sample_rate, nperseg=nperseg)
    _, p_sr = signal.csd(s, r, fs=sample_rate, nperseg=nperseg)
    valid = (p_ss > 0) & (p_rr > 0)
    if not valid.any() or p_rr[valid].sum() <= 0:
        return 0.0, {"max_deviation_db": 0.0, "at_hz": 0.0}
    coherence = np.zeros_like(p_ss)
    coherence[valid] = np.abs(p_sr[valid]) ** 2 / (p_ss[valid] * p_rr[valid])
    weighted = float(np.sum(coherence * p_rr) / np.sum(p_rr))
    transfer = np.ones_like(p_sr)
    transfer[valid] = 1 + p_sr[valid] / p_ss[valid]
    cumulative = np.cumsum(p_ss) / max(float(np.sum(p_ss)), 1e-300)
    band = valid & (cumulative <= 0.99) & (freqs >= 20)
    if not band.any():
        band = valid
    gain_db = 20 * np.log10(np.maximum(np.abs(transfer[band]), 1e-6))
    k = int(np.argmax(np.abs(gain_db)))
    return weighted, {"max_deviation_db": round(float(gain_db[k]), 2), "at_hz": round(float(freqs[band][k]), 1)}


__all__ = ["Correction", "diagnose", "find_corrections"]
