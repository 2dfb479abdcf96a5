"""``stemforge check STEMS_DIR [--mix MIX] [--json] [--report check.html]``: stem delivery QA.

Exit 0 when every check passes (warnings allowed), 1 when one fails, 2 on a usage or
input error (missing folder, no audio files).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stemforge.cli._common import err, out, print_json, progress
from stemforge.cli.main import app
from stemforge.errors import OutputError
from stemforge.qa import DeliveryReport, Severity

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
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too (for delivery gates in CI).")] = False,
) -> None:
    """Check a stem delivery: formats, lengths, levels, stereo, names and, with --mix, the null test."""
    from stemforge.qa import check_delivery

    if report is not None and report.resolve() in _inputs(stems_dir, mix):
        raise OutputError(f"{report}: the report would overwrite an input")
    with progress("checking stems", total=1.0) as advance:
        result = check_delivery(stems_dir, mix=mix, min_clip_run=min_clip_run, headroom_dbtp=headroom,
                                max_lag_s=max_shift_s, progress=advance)
    if report is not None:
        from stemforge.qa.page import check_page

        check_page(result).write(report)
    if json_output:
        print_json(result.to_json())
    else:
        _print_table(result, verbose=verbose)
        if report is not None:
            err.print(f"report: {report}", markup=False)
    if not result.passed or (strict and result.severity is Severity.WARN):
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
