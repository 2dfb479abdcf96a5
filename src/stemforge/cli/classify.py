"""``stemforge classify NAME_OR_FILE... [--json] [--names-only]``: role, confidence and reason per input.

An input that is an existing file is classified from its name and a few seconds of its
loudest part; anything else is taken as a track name. All inputs are reasoned about
together, as one session (several vocal takes keep one lead). Inputs are only read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stemforge.cli._common import out, print_json, progress
from stemforge.cli.main import app
from stemforge.errors import AudioFormatError


@dataclass(frozen=True)
class _Input:
    name: str
    files: tuple[Path, ...]


def _parse(text: str) -> _Input:
    path = Path(text)
    if path.is_dir():
        raise AudioFormatError(
            f"{path}: is a folder, not an audio file or a name",
            tip=f"to classify every file of a folder and write a session, run: stemforge init {path}",
        )
    if path.is_file():
        return _Input(path.name, (path,))
    return _Input(text, ())


@app.command()
def classify(
    inputs: Annotated[list[str], typer.Argument(metavar="NAME_OR_FILE", help="Track names or audio files.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    names_only: Annotated[bool, typer.Option("--names-only", help="Do not listen to files; classify by name.")] = False,
) -> None:
    """Propose a stem role for each track name or audio file, with confidence and reason."""
    from stemforge.audio import read_info
    from stemforge.classify import classify_session

    tracks = [_parse(text) for text in inputs]
    if not names_only:
        for track in tracks:
            for file in track.files:
                read_info(file)  # a one-line error for an unreadable file, before any work
    listening = not names_only and any(track.files for track in tracks)
    with progress("listening", total=len(tracks), enabled=None if listening else False) as advance:
        results = classify_session(tracks, audio=not names_only, progress=advance)
    if json_output:
        print_json(
            [
                {
                    "input": text,
                    "name": track.name,
                    "file": str(track.files[0]) if track.files else None,
                    "role": result.role,
                    "confidence": result.confidence,
                    "reason": result.reason,
                }
                for text, track, result in zip(inputs, tracks, results, strict=True)
            ]
        )
        return
    table = Table("input", "role", "confidence", "reason")
    for text, result in zip(inputs, results, strict=True):
        table.add_row(text, result.role, f"{result.confidence:.2f}", result.reason)
    out.print(table)
