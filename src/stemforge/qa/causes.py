"""What a residual left after shift and polarity corrections says about the delivery.

Stages 2–5 of the cause finding (see :mod:`stemforge.qa.diagnose`), on one
:class:`~stemforge.qa.align.AnalysisWindow`: clipping of an integer mix (SF507), a mix
level offset (SF505), stems at another level than in the mix (SF508), dynamics on the
mix bus (SF504), EQ on the mix bus (SF509), a missing stem (SF503), or unexplained (SF509).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import signal

from stemforge.audio import Samples
from stemforge.qa.align import MIN_IMPROVEMENT, AnalysisWindow
from stemforge.qa.model import Finding, Severity
from stemforge.qa.null import NULL_PASS_DB, NullResult, energy_db
from stemforge.qa.scan import SEGMENT_FRAMES

#: Samples of the stem sum above this (linear) cannot be held by an integer mix file.
CLIP_LEVEL = 1.0
#: Residual-weighted coherence with the stem sum above which the residual is a filtered copy (EQ).
LINEAR_COHERENCE = 0.8
#: A per-stem level fit must explain at least this share of the residual (SF508).
STEM_LEVEL_SHARE = 0.9


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


def explain_rest(
    window: AnalysisWindow,
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


def _stem_levels(window: AnalysisWindow, names: Sequence[str], residual: Samples) -> list[tuple[str, float, float]]:
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


__all__ = ["explain_rest"]
