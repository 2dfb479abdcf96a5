"""The HTML page of ``stemforge analyze --report``: a comparison, then each file with its plots."""

from __future__ import annotations

from collections.abc import Sequence

from stemforge.analysis import LoudnessReport
from stemforge.report.html import HtmlReport
from stemforge.report.plots import loudness_png, spectrum_png, waveform_envelope_png
from stemforge.report.summary import comparison_rows, display_name, loudness_rows


def loudness_report_page(reports: Sequence[LoudnessReport], *, target_lufs: float | None = None, title: str = "Loudness report") -> HtmlReport:
    """Build the page for one or more measured files.

    Parameters
    ----------
    reports : sequence of LoudnessReport
    target_lufs : float, optional
        Drawn as a line on the loudness plots, with the gain needed to reach it.
    """
    subtitle = "ITU-R BS.1770-4 / EBU R 128 (Tech 3341, Tech 3342)"
    if target_lufs is not None:
        subtitle += f" · target {target_lufs:g} LUFS"
    page = HtmlReport(title, subtitle=subtitle)
    if len(reports) > 1:
        headers, rows = comparison_rows(reports)
        page.section("Comparison").table(headers, rows).paragraph(
            "Each file's integrated loudness relative to the loudest file (for stems, against their mix)."
        )
    for report in reports:
        name = display_name(report)
        section = page.section(name)
        if report.path:
            section.paragraph(report.path, css_class="subtitle")
        section.key_values(dict(loudness_rows(report, target_lufs=target_lufs)))
        section.figure(
            waveform_envelope_png(report.envelope_times_s, report.envelope_min, report.envelope_max),
            alt=f"waveform envelope of {name}",
        )
        section.figure(
            loudness_png(
                report.momentary_times_s,
                report.momentary_lufs,
                report.short_term_times_s,
                report.short_term_lufs,
                integrated_lufs=report.integrated_lufs,
                target_lufs=target_lufs,
            ),
            alt=f"loudness over time of {name}",
            caption="Momentary (400 ms) and short-term (3 s) loudness every 100 ms.",
        )
        if report.spectrum_centres_hz.size:
            section.figure(
                spectrum_png(report.spectrum_centres_hz, report.spectrum_levels_db),
                alt=f"1/3-octave spectrum of {name}",
                caption="Long-term average spectrum in 1/3-octave bands (a full-scale sine reads -3 dB).",
            )
    return page


__all__ = ["loudness_report_page"]
