"""``stemforge info FILE...``: what an audio file's header says."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stemforge.audio import read_info
from stemforge.cli._common import out, print_json
from stemforge.cli.main import app


@app.command()
def info(
    files: Annotated[list[Path], typer.Argument(help="Audio files to describe.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show sample rate, channels, length, format and BWF time reference of audio files."""
    infos = [read_info(path) for path in files]
    rows = [
        {
            "path": str(i.path),
            "sample_rate": i.sample_rate,
            "channels": i.channels,
            "frames": i.frames,
            "duration_s": round(i.duration_s, 6),
            "format": i.container,
            "subtype": i.subtype,
            "bit_depth": i.bit_depth,
            "bwf_time_reference": i.time_reference,
        }
        for i in infos
    ]
    if json_output:
        print_json(rows)
        return
    table = Table("file", "rate", "ch", "length", "format", "BWF time ref")
    for i in infos:
        bwf = "" if i.time_reference is None else f"{i.time_reference / i.sample_rate:.3f} s"
        table.add_row(i.path.name, f"{i.sample_rate} Hz", str(i.channels), f"{i.duration_s:.3f} s", f"{i.container} {i.subtype}", bwf)
    out.print(table)
