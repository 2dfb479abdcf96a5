"""Per-file checks: header consistency, levels, stereo image and duplicates.

Each function takes what the header reads or the streaming scan measured and returns
findings; a check that finds nothing returns a single ``pass`` finding that says so.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from stemforge.audio import AudioInfo
from stemforge.qa.model import Finding, Severity
from stemforge.qa.scan import StemScan
from stemforge.qa.window import dbfs

#: Default thresholds; see docs/qa.md.
SILENT_PEAK_DBFS = -90.0
NEAR_SILENT_PEAK_DBFS = -50.0
DC_OFFSET_DBFS = -50.0
HEADROOM_DBTP = -1.0
NEGATIVE_CORRELATION = -0.3


@dataclass(frozen=True)
class Reference:
    """The format every stem is expected to share (the mix's, else the majority's)."""

    sample_rate: int
    frames: int
    channels: int
    source: str  # "the mix" or "most stems"


def reference_format(infos: Sequence[AudioInfo], mix: AudioInfo | None) -> Reference:
    """The format stems are compared against: the mix's when given, else the most common."""
    if mix is not None:
        return Reference(mix.sample_rate, mix.frames, mix.channels, "the mix")
    rate = Counter(i.sample_rate for i in infos).most_common(1)[0][0]
    same_rate = [i for i in infos if i.sample_rate == rate] or list(infos)
    frames = Counter(i.frames for i in same_rate).most_common(1)[0][0]
    channels = Counter(i.channels for i in infos).most_common(1)[0][0]
    return Reference(rate, frames, channels, "most stems")


def _pass(code: str, message: str) -> list[Finding]:
    return [Finding(code, Severity.PASS, message)]


def format_checks(infos: Sequence[AudioInfo], ref: Reference, names: Mapping[AudioInfo, str]) -> list[Finding]:
    """SF110 rate, SF111 bit depth, SF112 channels, SF113 length, SF114 BWF start."""
    findings: list[Finding] = []
    n = len(infos)
    bad = [
        Finding("SF110", Severity.FAIL, f"is at {i.sample_rate} Hz while {ref.source} are at {ref.sample_rate} Hz",
                names[i], {"sample_rate": i.sample_rate, "expected_sample_rate": ref.sample_rate})
        for i in infos if i.sample_rate != ref.sample_rate
    ]
    findings += bad or _pass("SF110", f"all {n} stems at {ref.sample_rate} Hz")

    depths = Counter(i.bit_depth for i in infos if i.bit_depth is not None)
    usual = depths.most_common(1)[0][0] if depths else None
    bad = []
    for i in infos:
        if i.bit_depth is None:
            bad.append(Finding("SF111", Severity.WARN, f"is lossy ({i.container}); stems should be lossless WAV, AIFF or FLAC",
                               names[i], {"container": i.container, "subtype": i.subtype}))
        elif usual is not None and i.bit_depth != usual:
            bad.append(Finding("SF111", Severity.WARN, f"is {i.bit_depth}-bit while the other stems are {usual}-bit",
                               names[i], {"bit_depth": i.bit_depth, "expected_bit_depth": usual}))
    findings += bad or _pass("SF111", f"all stems {usual}-bit" if usual else "bit depths consistent")

    bad = [
        Finding("SF112", Severity.WARN, f"has {i.channels} channel(s) while {ref.source} have {ref.channels}",
                names[i], {"channels": i.channels, "expected_channels": ref.channels})
        for i in infos if i.channels != ref.channels
    ]
    findings += bad or _pass("SF112", f"all stems have {ref.channels} channel(s)")

    bad = []
    for i in infos:
        if i.sample_rate == ref.sample_rate and i.frames != ref.frames:
            diff = i.frames - ref.frames
            word = "longer" if diff > 0 else "shorter"
            ms = abs(diff) / i.sample_rate * 1000.0
            bad.append(Finding("SF113", Severity.FAIL,
                               f"is {abs(diff)} frames ({ms:.1f} ms) {word} than {ref.source} ({ref.frames} frames)",
                               names[i], {"frames": i.frames, "expected_frames": ref.frames, "difference_frames": diff,
                                          "difference_ms": round(diff / i.sample_rate * 1000.0, 3)}))
    findings += bad or _pass("SF113", f"all stems are {ref.frames} frames long")

    refs = {i: i.time_reference for i in infos if i.time_reference is not None}
    if len(set(refs.values())) > 1:
        usual_ref = Counter(refs.values()).most_common(1)[0][0]
        findings += [
            Finding("SF114", Severity.FAIL,
                    f"starts at BWF time {t / i.sample_rate:.3f} s while the others start at {usual_ref / i.sample_rate:.3f} s",
                    names[i], {"time_reference": t, "expected_time_reference": usual_ref,
                               "difference_frames": t - usual_ref})
            for i, t in refs.items() if t != usual_ref
        ]
    else:
        findings += _pass("SF114", "stems share one start point" if refs else "no BWF time references to compare")
    return findings


def is_float(info: AudioInfo) -> bool:
    """True for floating-point files (levels above full scale survive)."""
    return info.subtype in ("FLOAT", "DOUBLE")


def clip_level(info: AudioInfo) -> float:
    """The sample value that counts as full scale for a file's format (linear)."""
    if info.subtype.startswith("PCM") and info.bit_depth:
        return (2 ** (info.bit_depth - 1) - 1) / 2 ** (info.bit_depth - 1)
    return 1.0


def level_checks(
    scans: Mapping[str, StemScan],
    true_peaks_dbtp: Mapping[str, float],
    sample_rates: Mapping[str, int],
    *,
    min_clip_run: int,
    headroom_dbtp: float = HEADROOM_DBTP,
    float_files: frozenset[str] = frozenset(),
) -> list[Finding]:
    """SF102 NaN/Inf, SF201 clipping, SF202 headroom, SF203 silent, SF204 near-silent, SF205 DC.

    In ``float_files`` (floating-point formats) samples past full scale are not clipped;
    runs of them are a warning (they clip in any fixed-point copy).
    """
    found: dict[str, list[Finding]] = {c: [] for c in ("SF102", "SF201", "SF202", "SF203", "SF204", "SF205")}
    for name, scan in scans.items():
        peak_dbfs = dbfs(float(scan.peak.max()))
        if scan.non_finite:
            found["SF102"].append(Finding("SF102", Severity.FAIL, f"holds {scan.non_finite} NaN or Inf samples",
                                          name, {"non_finite_samples": scan.non_finite}))
        if scan.clip_runs:
            at = (scan.first_clip_frame or 0) / sample_rates[name]
            details = {"clip_runs": scan.clip_runs, "clipped_samples": scan.clipped_samples,
                       "longest_run_frames": scan.longest_clip_run, "first_clip_s": round(at, 6)}
            if name in float_files:
                found["SF201"].append(Finding(
                    "SF201", Severity.WARN,
                    f"goes over full scale (peak {peak_dbfs:+.1f} dBFS, first at {at:.3f} s): fine in float, "
                    "clips in any fixed-point copy", name, details | {"float": True}))
            else:
                found["SF201"].append(Finding(
                    "SF201", Severity.FAIL,
                    f"clips: {scan.clip_runs} run(s) of {min_clip_run}+ samples at full scale, the longest "
                    f"{scan.longest_clip_run} samples, first at {at:.3f} s", name, details))
        if peak_dbfs <= SILENT_PEAK_DBFS:
            found["SF203"].append(Finding("SF203", Severity.FAIL,
                                          "is silent" + ("" if peak_dbfs == -math.inf else f" (peak {peak_dbfs:.1f} dBFS)"),
                                          name, {"peak_dbfs": None if peak_dbfs == -math.inf else round(peak_dbfs, 2)}))
            continue
        if peak_dbfs <= NEAR_SILENT_PEAK_DBFS:
            found["SF204"].append(Finding("SF204", Severity.WARN, f"is nearly silent (peak {peak_dbfs:.1f} dBFS)",
                                          name, {"peak_dbfs": round(peak_dbfs, 2)}))
        tp = true_peaks_dbtp.get(name)
        if tp is not None and tp > headroom_dbtp and not scan.clip_runs:
            what = "inter-sample overs" if tp > 0 else f"less than {-headroom_dbtp:g} dB headroom"
            found["SF202"].append(Finding("SF202", Severity.WARN, f"true peak {tp:+.2f} dBTP: {what}",
                                          name, {"true_peak_dbtp": round(tp, 2), "limit_dbtp": headroom_dbtp}))
        dc = float(np.max(np.abs(scan.mean)))
        if dbfs(dc) > DC_OFFSET_DBFS:
            found["SF205"].append(Finding("SF205", Severity.WARN, f"has a DC offset of {dbfs(dc):.1f} dBFS",
                                          name, {"dc_offset": [round(float(m), 6) for m in scan.mean],
                                                 "dc_offset_dbfs": round(dbfs(dc), 2)}))
    passes = {
        "SF102": "no NaN or Inf samples",
        "SF201": "no clipping",
        "SF202": f"all true peaks at or below {headroom_dbtp:g} dBTP",
        "SF203": "no silent stems",
        "SF204": "no near-silent stems",
        "SF205": "no DC offset",
    }
    out: list[Finding] = []
    for code, items in found.items():
        out += items or _pass(code, passes[code])
    return out


def stereo_checks(scans: Mapping[str, StemScan]) -> list[Finding]:
    """SF301 dual mono, SF302 negative inter-channel correlation."""
    dual: list[Finding] = []
    negative: list[Finding] = []
    for name, scan in scans.items():
        if scan.channels != 2 or float(scan.peak.max()) <= 10 ** (SILENT_PEAK_DBFS / 20):
            continue
        ms_l, ms_r = (float(v) for v in scan.mean_square)
        if scan.identical_channels:
            dual.append(Finding("SF301", Severity.WARN, "is stereo but both channels are identical (dual mono)",
                                name, {"identical_channels": True}))
            continue
        if ms_l > 0 and ms_r > 0:
            rho = scan.lr_product / math.sqrt(ms_l * ms_r)
            if rho < NEGATIVE_CORRELATION:
                negative.append(Finding(
                    "SF302", Severity.WARN,
                    f"left and right are out of phase (correlation {rho:+.2f}); it will thin out or vanish in mono",
                    name, {"correlation": round(rho, 3)}))
    return (dual or _pass("SF301", "no dual-mono stereo files")) + (
        negative or _pass("SF302", "no stems with negative stereo correlation"))


def duplicate_checks(scans: Mapping[str, StemScan]) -> list[Finding]:
    """SF303: stems with identical audio (fail) or the same audio at another level (warn)."""
    names = [n for n, s in scans.items() if s.segment_energy.sum() > 0]
    out: list[Finding] = []
    seen: set[str] = set()
    for a_i, a in enumerate(names):
        for b in names[a_i + 1:]:
            if b in seen:
                continue
            ea, eb = scans[a].segment_energy, scans[b].segment_energy
            if ea.shape != eb.shape:
                continue
            if np.allclose(ea, eb, rtol=1e-6, atol=1e-12):
                out.append(Finding("SF303", Severity.FAIL, f"holds the same audio as {a}", b, {"duplicate_of": a}))
                seen.add(b)
                continue
            active = (ea > ea.max() * 1e-6) & (eb > eb.max() * 1e-6)
            if active.sum() < 8:
                continue
            ratio_db = 10 * np.log10(ea[active] / eb[active])
            if float(np.std(ratio_db)) < 0.01 and float(np.mean(active)) > 0.5:
                gain = float(np.mean(ratio_db))
                out.append(Finding("SF303", Severity.WARN, f"holds the same audio as {a} at {-gain:+.1f} dB",
                                   b, {"duplicate_of": a, "gain_db": round(-gain, 2)}))
                seen.add(b)
    return out or _pass("SF303", "no duplicate stems")


__all__ = [
    "Reference",
    "clip_level",
    "is_float",
    "duplicate_checks",
    "format_checks",
    "level_checks",
    "reference_format",
    "stereo_checks",
]
