"""``stemforge analyze FILE... [--json] [--report report.html] [--target LUFS]``: loudness and levels."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stemforge.analysis import LoudnessReport, analyze_file
from stemforge.audio import AUDIO_EXTENSIONS, read_info
from stemforge.cli._common import out, print_json, progress
from stemforge.cli.main import app
from stemforge.errors import OutputError, UsageError
from stemforge.report.summary import comparison_rows, display_name, gain_to_target_db, loudness_rows

#: Range accepted for ``--target``, in LUFS.
TARGET_RANGE_LUFS = (-70.0, 0.0)


def _check_target(target_lufs: float | None) -> None:
    low, high = TARGET_RANGE_LUFS
    if target_lufs is not None and (not math.isfinite(target_lufs) or not low <= target_lufs <= high):
        raise UsageError(f"--target={target_lufs:g} must be between {low:g} and {high:g} LUFS", tip="streaming is about -14, EBU R 128 broadcast -23")


def _check_report_path(report_path: Path, inputs: list[Path]) -> None:
    resolved = report_path.resolve()
    if any(resolved == path.resolve() for path in inputs):
        raise OutputError(f"{report_path}: --report would overwrite an input file")
    if report_path.is_dir():
        raise OutputError(f"{report_path}: --report names a folder; give a file such as report.html")


def _expand(paths: list[Path]) -> list[Path]:
    """Files as given; a folder stands for the audio files directly inside it, by name."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS and not p.name.startswith("."))
            if not inside:
                raise UsageError(f"{path}: folder holds no audio files", tip=f"stemforge reads {', '.join(sorted(AUDIO_EXTENSIONS))}")
            files.extend(inside)
        else:
            files.append(path)
    return files


def _json(report: LoudnessReport, target_lufs: float | None) -> dict[str, object]:
    data = report.to_json()
    if target_lufs is not None:
        data["target_lufs"] = target_lufs
        data["gain_to_target_db"] = gain_to_target_db(report, target_lufs)
    return data


def _print_tables(reports: list[LoudnessReport], target_lufs: float | None) -> None:
    for report in reports:
        table = Table(show_header=False, title=display_name(report), title_justify="left")
        table.add_column("measure")
        table.add_column("value", justify="right")
        for name, value in loudness_rows(report, target_lufs=target_lufs):
            table.add_row(name, value)
        out.print(table)
    if len(reports) > 1:
        headers, rows = comparison_rows(reports)
        table = Table(*headers, title="comparison (loudness relative to the loudest file)", title_justify="left")
        for column in table.columns[1:]:
            column.justify = "right"
        for row in rows:
            table.add_row(*row)
        out.print(table)


@app.command()
def analyze(
    files: Annotated[list[Path], typer.Argument(metavar="FILE", help="Audio files, or folders of them, to measure (never modified).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print a JSON list, one object per file.")] = False,
    report_path: Annotated[Path | None, typer.Option("--report", metavar="REPORT.html", help="Also write a self-contained HTML report with plots.")] = None,
    target_lufs: Annotated[float | None, typer.Option("--target", metavar="LUFS", help="Loudness target: shows the gain to reach it and draws it on the plots.")] = None,
) -> None:
    """Measure loudness (BS.1770-4 / EBU R 128), true peak, loudness range and levels of audio files."""
    _check_target(target_lufs)
    files = _expand(files)
    infos = [read_info(path) for path in files]  # every input is checked before any work
    if report_path is not None:
        _check_report_path(report_path, files)
    total = sum(info.frames for info in infos)
    reports: list[LoudnessReport] = []
    with progress("analyzing", total=total) as advance:
        for info in infos:
            reports.append(analyze_file(info.path, on_progress=advance))
    if report_path is not None:
        from stemforge.report.loudness_page import loudness_report_page  # matplotlib: only when asked

        loudness_report_page(reports, target_lufs=target_lufs).write(report_path)
    if json_output:
        print_json([_json(report, target_lufs) for report in reports])
        return
    _print_tables(reports, target_lufs)
    if report_path is not None:
        out.print(f"wrote {report_path}")
