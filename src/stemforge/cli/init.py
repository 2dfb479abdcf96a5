"""``stemforge init FOLDER -o session.toml``: a session from a client's folder of tracks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stemforge.cli._common import err, out, print_json
from stemforge.cli.main import app
from stemforge.errors import OutputError, UsageError
from stemforge.importers.folder import import_folder, init_header
from stemforge.session import EXCLUDE, save_session


def _files_label(files: tuple[Path, ...], base: Path) -> str:
    names = [f.name for f in files]
    return " + ".join(names)


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Folder of audio files (WAV, AIFF, FLAC, MP3; BWF time stamps honoured).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Session file to write.")] = Path("session.toml"),
    title: Annotated[str | None, typer.Option(help="Song title (default: the folder's name).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing session file.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Read a folder of tracks, propose a stem for each, and write a session file."""
    if output.suffix.lower() != ".toml":
        raise UsageError(f"{output}: a session file must end in .toml")
    if output.exists() and not force:
        raise OutputError(f"{output}: already exists; refusing to overwrite it", tip="pass --force to replace it, or -o another.toml")
    session, found, proposals = import_folder(folder, title=title)
    if output.resolve() in {f.resolve() for t in found for f in t.files}:
        raise OutputError(f"{output}: is one of the input files; refusing to overwrite it")
    comments = {
        t.name: f"{'excluded: ' if p.role == EXCLUDE else ''}{p.confidence:.2f} {p.reason}" for t, p in zip(found, proposals, strict=True)
    }
    save_session(session, output, comments=comments, header=init_header(folder))

    if json_output:
        print_json(
            {
                "session": str(output),
                "title": session.title,
                "sample_rate": session.sample_rate,
                "tracks": [
                    {
                        "name": t.name,
                        "files": [str(f) for f in t.files],
                        "channels": t.channels,
                        "sample_rate": t.sample_rate,
                        "duration_s": round(t.duration_s, 6),
                        "offset_s": t.offset_s,
                        "stem": p.role,
                        "confidence": round(p.confidence, 3),
                        "reason": p.reason,
                    }
                    for t, p in zip(found, proposals, strict=True)
                ],
                "stems": [s.name for s in session.stems],
            }
        )
        return
    table = Table("#", "track", "file", "ch", "rate", "length", "offset", "stem", "conf", "why", title=f"{session.title} — {len(found)} tracks")
    for i, (t, p) in enumerate(zip(found, proposals, strict=True), start=1):
        rate = f"{t.sample_rate / 1000:g}k"
        if t.sample_rate != session.sample_rate:
            rate += " →resample"
        table.add_row(
            str(i), t.name, _files_label(t.files, folder), str(t.channels), rate, f"{t.duration_s:.1f}s",
            f"{t.offset_s:.3f}s" if t.offset_s else "", p.role, f"{p.confidence:.2f}", p.reason,
        )
    out.print(table)
    stems = ", ".join(s.name for s in session.stems)
    out.print(f"wrote {output}: {len(session.tracks)} tracks → {len(session.stems)} stems ({stems}) at {session.sample_rate} Hz")
    err.print(f"next: edit the stems in {output} if needed, then `stemforge render {output} -o render`", markup=False)
