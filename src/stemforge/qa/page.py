"""The ``check --report`` HTML page, built with :mod:`stemforge.report`."""

from __future__ import annotations

import math

from stemforge.qa.model import CODES, DeliveryReport, Severity
from stemforge.report import HtmlReport

_CSS = {Severity.PASS: "ok", Severity.WARN: "warn", Severity.FAIL: "bad"}


def _level(value: float | None, unit: str) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.1f} {unit}"


def check_page(result: DeliveryReport) -> HtmlReport:
    """A self-contained page: verdict, findings, per-stem levels, residual spectrum, code list."""
    page = HtmlReport("Stem delivery check", subtitle=result.stems_dir + (f" against {result.mix}" if result.mix else ""))
    verdict = page.section("Result")
    verdict.paragraph(f"{result.severity.value.upper()}: {len(result.stems)} stems", css_class=_CSS[result.severity])
    if result.null_residual_db is not None:
        verdict.paragraph(f"Null residual (mix − Σ stems): {result.null_residual_db:.1f} dB relative to the mix.")
    problems = [f for f in result.findings if f.severity is not Severity.PASS]
    findings = page.section("Findings")
    if problems:
        findings.table(["code", "check", "status", "file", "finding"],
                       [(f.code, f.slug, f.severity.value, f.file or "", f.message) for f in problems])
    else:
        findings.paragraph("Every check passed.", css_class="ok")
    findings.subsection("Passed checks").table(
        ["code", "check", "result"],
        [(f.code, f.slug, f.message) for f in result.findings if f.severity is Severity.PASS],
    )
    page.section("Stems").table(
        ["file", "rate", "channels", "frames", "bits", "sample peak", "true peak", "RMS"],
        [(s.file, s.sample_rate or "", s.channels or "", s.frames or "", s.bit_depth or "",
          _level(s.peak_dbfs, "dBFS"), _level(s.true_peak_dbtp, "dBTP"), _level(s.rms_dbfs, "dBFS")) for s in result.stems],
    )
    spectra = [f for f in problems if "third_octave_db" in f.details]
    if spectra:
        from stemforge.report.plots import spectrum_png

        section = page.section("Residual spectrum")
        for f in spectra:
            levels = [-120.0 if v is None else float(v) for v in f.details["third_octave_db"]]
            section.figure(spectrum_png(f.details["third_octave_hz"], levels, title="mix − Σ stems"),
                           alt="1/3-octave spectrum of the residual",
                           caption="Band energy of the residual relative to its total (dB): what the stems lack.")
    page.section("Check codes").table(["code", "check", "what it checks"], [(c.code, c.slug, c.title) for c in CODES.values()])
    return page


__all__ = ["check_page"]
