"""``stemforge check STEMS_DIR [--mix MIX] [--json] [--report check.html]``: stem delivery QA.

Exit 0 when every check passes (warnings allowed), 1 when one fails, 2 on a usage or
input error (missing folder, no audio files).
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stemforge.audio import write_text_atomic
from stemforge.cli._common import err, out, print_json, progress
from stemforge.cli.main import app
from stemforge.errors import OutputError
from stemforge.qa import CODES, DeliveryReport, Severity

_STYLE = {Severity.PASS: "green", Severity.WARN: "yellow", Severity.FAIL: "bold red"}


@app.command()
def check(
    stems_dir: Annotated[Path, typer.Argument(metavar="STEMS_DIR", help="Folder of stems, or a render folder.")],
    mix: Annotated[Path | None, typer.Option("--mix", help="The mix the stems should sum to (null test).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Also write an HTML report to this file.")] = None,
    min_clip_run: Annotated[int, typer.Option(help="Consecutive full-scale samples that count as clipping.")] = 3,
    headroom: Annotated[float, typer.Option("--headroom-dbtp", help="Warn when a stem's true peak is above this.")] = -1.0,
    max_shift_s: Annotated[float, typer.Option(help="Largest stem shift searched for, in seconds.")] = 1.0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List passed checks too.")] = False,
) -> None:
    """Check a stem delivery: formats, lengths, levels, stereo, names and, with --mix, the null test."""
    from stemforge.qa import check_delivery

    if report is not None and report.resolve() in _inputs(stems_dir, mix):
        raise OutputError(f"{report}: the report would overwrite an input")
    with progress("checking stems", total=1.0) as advance:
        result = check_delivery(stems_dir, mix=mix, min_clip_run=min_clip_run, headroom_dbtp=headroom,
                                max_lag_s=max_shift_s, progress=advance)
    if report is not None:
        write_text_atomic(report, render_html(result))
    if json_output:
        print_json(result.to_json())
    else:
        _print_table(result, verbose=verbose)
        if report is not None:
            err.print(f"report: {report}", markup=False)
    if not result.passed:
        raise typer.Exit(1)


def _inputs(stems_dir: Path, mix: Path | None) -> set[Path]:
    paths = {p.resolve() for p in stems_dir.rglob("*")} if stems_dir.is_dir() else set()
    if mix is not None:
        paths.add(mix.resolve())
    return paths


def _print_table(result: DeliveryReport, *, verbose: bool) -> None:
    table = Table("code", "check", "status", "file", "finding", title=f"stem check: {result.stems_dir}")
    for f in result.findings:
        if f.severity is Severity.PASS and not verbose:
            continue
        status = f"[{_STYLE[f.severity]}]{f.severity.value}[/]"
        table.add_row(f.code, f.slug, status, f.file or "", f.message)
    passed_codes = sorted({f.code for f in result.findings} - {f.code for f in result.findings if f.severity is not Severity.PASS})
    if table.row_count:
        out.print(table)
    if not verbose and passed_codes:
        out.print(f"passed: {', '.join(passed_codes)}", markup=False)
    null = ""
    if result.null_residual_db is not None:
        null = f", null residual {result.null_residual_db:.1f} dB"
    verdict = {Severity.PASS: "PASS", Severity.WARN: "PASS with warnings", Severity.FAIL: "FAIL"}[result.severity]
    out.print(f"[{_STYLE[result.severity]}]{verdict}[/]: {len(result.stems)} stems{null} ({result.elapsed_s:.1f} s)")


def render_html(result: DeliveryReport) -> str:
    """A self-contained HTML page of the check's findings and per-stem levels."""
    rows = "".join(
        f"<tr class='{f.severity.value}'><td>{f.code}</td><td>{html.escape(f.slug)}</td><td>{f.severity.value}</td>"
        f"<td>{html.escape(f.file or '')}</td><td>{html.escape(f.message)}</td></tr>"
        for f in result.findings
    )

    def num(value: float | None, unit: str) -> str:
        return "" if value is None or not math.isfinite(value) else f"{value:.1f} {unit}"

    stems = "".join(
        f"<tr><td>{html.escape(s.file)}</td><td>{s.sample_rate or ''}</td><td>{s.channels or ''}</td><td>{s.frames or ''}</td>"
        f"<td>{s.bit_depth or ''}</td><td>{num(s.peak_dbfs, 'dBFS')}</td><td>{num(s.true_peak_dbtp, 'dBTP')}</td>"
        f"<td>{num(s.rms_dbfs, 'dBFS')}</td></tr>"
        for s in result.stems
    )
    null = "" if result.null_residual_db is None else f"<p>Null residual: {result.null_residual_db:.1f} dB relative to the mix.</p>"
    body = (
        f"<h1>Stem check: {html.escape(result.stems_dir)}</h1>"
        f"<p class='{result.severity.value}'>Result: <b>{result.severity.value.upper()}</b>"
        f"{' against ' + html.escape(result.mix) if result.mix else ''}</p>{null}"
        "<h2>Findings</h2><table><tr><th>code</th><th>check</th><th>status</th><th>file</th><th>finding</th></tr>"
        f"{rows}</table>"
        "<h2>Stems</h2><table><tr><th>file</th><th>Hz</th><th>ch</th><th>frames</th><th>bits</th><th>peak</th>"
        f"<th>true peak</th><th>RMS</th></tr>{stems}</table>"
        "<h2>Codes</h2><ul>" + "".join(f"<li>{c.code} {c.slug}: {html.escape(c.title)}</li>" for c in CODES.values()) + "</ul>"
    )
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}.fail{color:#b00}.warn{color:#a60}.pass{color:#070}"
    )
    return f"<!doctype html><html><head><meta charset='utf-8'><title>stemforge check</title><style>{style}</style></head><body>{body}</body></html>\n"
