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

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from stemforge.qa.align import AnalysisWindow, find_corrections, window_frames
from stemforge.qa.causes import explain_rest
from stemforge.qa.model import Finding, Severity
from stemforge.qa.null import NULL_PASS_DB, NullResult, energy_db
from stemforge.qa.scan import SEGMENT_FRAMES

#: Windows analysed at most, each at the loudest residual not yet looked at.
MAX_WINDOWS = 3
#: A later window is analysed only if its residual is at least this share of the loudest (−20 dB).
WINDOW_MIN_SHARE = 0.01


def _samples(n: int) -> str:
    return "sample" if abs(n) == 1 else "samples"


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
    frames = min(window_frames(sample_rate, window_s), max(null.frames, SEGMENT_FRAMES))
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
        window = AnalysisWindow(mix, stems, start=start, frames=frames, lag=lag, channels=channels, known=known)
        found, explained = _diagnose_window(window, mix=mix, names=names, null=null, sample_rate=sample_rate,
                                            known=known)
        new = [f for f in found if (f.code, f.file) not in seen]
        seen.update((f.code, f.file) for f in new)
        findings += new
        if round_index and not new and explained:
            break  # this window is explained by what was already found: so, most likely, is the rest
    return findings


def _diagnose_window(
    window: AnalysisWindow,
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
    findings += explain_rest(window, sample_rate=sample_rate, null=null, remaining_db=remaining_db,
                              explained_any=bool(corrections) or bool(known), mix_name=mix.name, names=names)
    return findings, False


__all__ = ["diagnose"]
