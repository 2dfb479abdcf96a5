"""Loudness measurements as rows of text, shared by the terminal tables and the HTML report."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from stemforge.analysis import LoudnessReport

DASH = "—"


def fmt_db(value: float | None, unit: str, *, digits: int = 1, signed: bool = False) -> str:
    """``-14.2 LUFS``; a dash for a missing value, ``-inf`` for silence."""
    if value is None or math.isnan(value):
        return DASH
    if math.isinf(value):
        return f"{'-' if value < 0 else '+'}inf {unit}".strip()
    text = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return f"{text} {unit}".strip()


def gain_to_target_db(report: LoudnessReport, target_lufs: float | None) -> float | None:
    """Gain that would bring the integrated loudness to ``target_lufs``."""
    if target_lufs is None or report.integrated_lufs is None:
        return None
    return target_lufs - report.integrated_lufs


def display_name(report: LoudnessReport) -> str:
    """The file name of the report's path, or ``audio``."""
    return Path(report.path).name if report.path else "audio"


def loudness_rows(report: LoudnessReport, *, target_lufs: float | None = None) -> list[tuple[str, str]]:
    """Name/value rows describing one measurement."""
    rows = [
        ("Integrated loudness", fmt_db(report.integrated_lufs, "LUFS")),
        ("Loudness range", fmt_db(report.loudness_range_lu, "LU")),
        ("True peak", fmt_db(report.true_peak_dbtp, "dBTP")),
        ("Sample peak", fmt_db(report.sample_peak_dbfs, "dBFS")),
        ("Max momentary", fmt_db(report.momentary_max_lufs, "LUFS")),
        ("Max short-term", fmt_db(report.short_term_max_lufs, "LUFS")),
        ("PLR", fmt_db(report.plr_db, "dB")),
        ("RMS", fmt_db(report.rms_dbfs, "dBFS")),
        ("Crest factor", fmt_db(report.crest_db, "dB")),
        ("DC offset", f"{report.dc_offset * 100:+.3f} %"),
        ("Correlation", DASH if report.correlation is None else f"{report.correlation:+.2f}"),
        ("Clipped runs", str(report.clipped_runs)),
    ]
    if target_lufs is not None:
        rows.append((f"Gain to {target_lufs:g} LUFS", fmt_db(gain_to_target_db(report, target_lufs), "dB", signed=True)))
    rows.append(("Format", f"{report.sample_rate} Hz, {report.channels} ch, {report.duration_s:.2f} s"))
    return rows


def comparison_rows(reports: Sequence[LoudnessReport]) -> tuple[list[str], list[list[str]]]:
    """Headers and rows comparing files: each one's loudness relative to the loudest."""
    loudest = max((r.integrated_lufs for r in reports if r.integrated_lufs is not None), default=None)
    headers = ["file", "integrated", "vs loudest", "LRA", "true peak", "PLR"]
    rows = []
    for report in reports:
        relative = None if loudest is None or report.integrated_lufs is None else report.integrated_lufs - loudest
        rows.append(
            [
                display_name(report),
                fmt_db(report.integrated_lufs, "LUFS"),
                fmt_db(relative, "LU", signed=True),
                fmt_db(report.loudness_range_lu, "LU"),
                fmt_db(report.true_peak_dbtp, "dBTP"),
                fmt_db(report.plr_db, "dB"),
            ]
        )
    return headers, rows


__all__ = ["DASH", "comparison_rows", "display_name", "fmt_db", "gain_to_target_db", "loudness_rows"]
