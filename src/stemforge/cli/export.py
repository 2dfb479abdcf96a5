"""``stemforge export ni-stems SOURCE -o SONG.stem.mp4 [--map role=slot ...]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stemforge.cli._common import out, print_json, progress
from stemforge.cli.main import app

export_app = typer.Typer(help="Export stems to other formats (NI Stems).", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("ni-stems")
def ni_stems(
    source: Annotated[Path, typer.Argument(metavar="SOURCE", help="A render folder (with render.json) or a session file.")],
    output: Annotated[Path, typer.Option("--output", "-o", metavar="SONG.stem.mp4", help="The NI Stems file to write.")],
    mapping: Annotated[list[str] | None, typer.Option("--map", metavar="ROLE=SLOT",
                                                      help="Send a stem (by role or name) to drums, bass, other or vocals; repeatable.")] = None,
    bitrate: Annotated[int, typer.Option("--bitrate", help="AAC bit rate per stream, kbit/s.")] = 320,
    codec: Annotated[str, typer.Option("--codec", help="aac (default) or alac (lossless, larger).")] = "aac",
    fmt: Annotated[str, typer.Option("--format", help="Audio format when SOURCE is a session (rendered first).")] = "wav24",
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Write a Native Instruments Stems file: the mix plus drums / bass / other / vocals, AAC, with stem metadata."""
    from stemforge.export.ni_stems import export_ni_stems, parse_mapping

    overrides = parse_mapping(mapping or [])
    with progress("exporting NI Stems", total=None) as advance:
        result = export_ni_stems(source, out=output, mapping=overrides, bitrate_kbps=bitrate, codec=codec, fmt=fmt,
                                 on_progress=advance)
    if json_output:
        print_json({"path": str(result.path), "bytes": result.bytes,
                    "slots": {k: list(v) for k, v in result.assignment.items()}, "metadata": result.metadata})
        return
    table = Table("track", "name", "colour", "stems", title=str(result.path))
    table.add_row("0", "Master", "", "the mix")
    for i, (slot, entry) in enumerate(zip(result.assignment, result.metadata["stems"], strict=True), start=1):
        table.add_row(str(i), entry["name"], entry["color"], ", ".join(result.assignment[slot]) or "(silent)")
    out.print(table)
    out.print(f"wrote {result.path} ({result.bytes / 1e6:.1f} MB)", markup=False)
