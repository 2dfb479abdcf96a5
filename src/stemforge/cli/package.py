"""``stemforge package SOURCE -o NAME.zip`` and ``stemforge verify NAME.zip [--extract DIR]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stemforge.cli._common import err, out, print_json, progress
from stemforge.cli.main import app


@app.command()
def package(
    source: Annotated[Path, typer.Argument(metavar="SOURCE", help="A render folder (with render.json) or a session file.")],
    output: Annotated[Path, typer.Option("--output", "-o", metavar="NAME.zip", help="The package to write.")],
    fmt: Annotated[str, typer.Option("--format", help="Audio format when SOURCE is a session (rendered first).")] = "wav24",
    no_checks: Annotated[bool, typer.Option("--no-checks", help="Skip the delivery checks recorded in the manifest.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Write a stem package: stems, mix, manifest.json (checksums, lengths, loudness) and a README."""
    from stemforge.export import build_package

    with progress("packaging", total=None) as advance:
        result = build_package(source, out=output, fmt=fmt, run_checks=not no_checks, on_progress=advance)
    manifest = result.manifest
    if json_output:
        print_json({"path": str(result.path), "bytes": result.bytes, "manifest": manifest})
        return
    table = Table("file", "role", "frames", "loudness", "true peak", title=f"{manifest['title']}: {result.path}")
    for entry in [manifest["mix"] | {"role": "mix"}, *manifest["stems"]]:
        lufs = entry.get("integrated_lufs")
        tp = entry.get("true_peak_dbtp")
        table.add_row(entry["file"], str(entry.get("role") or ""), str(entry["frames"]),
                      "n/a" if lufs is None else f"{lufs:.1f} LUFS", "n/a" if tp is None else f"{tp:+.1f} dBTP")
    out.print(table)
    qa = manifest.get("qa")
    if qa:
        null = qa.get("null_residual_db")
        err.print(f"checks: {qa['status']}" + (f", null residual {null:.1f} dB" if null is not None else "")
                  + (f"; failed: {', '.join(qa['failed'])} (see `stemforge check`)" if qa["failed"] else ""), markup=False)
    out.print(f"wrote {result.path} ({result.bytes / 1e6:.1f} MB, {len(manifest['stems'])} stems + mix)", markup=False)


@app.command()
def verify(
    package_zip: Annotated[Path, typer.Argument(metavar="NAME.zip", help="A stem package.")],
    extract: Annotated[Path | None, typer.Option("--extract", metavar="DIR", help="Extract into DIR when it verifies.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Verify a stem package's checksums, lengths and schema; optionally extract it safely."""
    from stemforge.export import verify_package

    report = verify_package(package_zip, extract=extract)
    if json_output:
        print_json(report.to_json())
    else:
        title = (report.manifest or {}).get("title", "?")
        for issue in report.issues:
            style = "bold red" if issue.severity == "fail" else "yellow"
            out.print(f"[{style}]{issue.severity}[/]: {issue.file or ''}: {issue.message}")
        if report.ok:
            out.print(f"[green]OK[/]: {package_zip} ({title}): {report.files_checked} files match their checksums and lengths")
        else:
            out.print(f"[bold red]FAIL[/]: {package_zip}: {sum(i.severity == 'fail' for i in report.issues)} problem(s)"
                      + ("; nothing was extracted" if extract is not None else ""))
        if report.extracted_to is not None:
            out.print(f"extracted into {report.extracted_to}", markup=False)
    if not report.ok:
        raise typer.Exit(1)
