"""``stemforge demo OUT``: synthesize the bundled demo song and run the whole flow on it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stemforge.cli._common import err, out, progress, warn
from stemforge.cli.main import app
from stemforge.errors import OutputError, UsageError
from stemforge.importers.folder import import_folder, init_header
from stemforge.render import plan_render, render_session
from stemforge.session import EXCLUDE, load_session, save_session


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Argument(metavar="OUT", help="Folder to write the demo song and its renders into.")],
    bars: Annotated[int | None, typer.Option(help="Make a shorter song (at least 4 bars).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the synthesis.")] = 7,
) -> None:
    """Write the demo song's multitrack, then init → render → analyze → master it, and say where everything is."""
    from stemforge import demo as song
    from stemforge.analysis import analyze_file
    from stemforge.mastering import MasterSettings, master
    from stemforge.report.loudness_page import loudness_report_page

    if bars is not None and bars < 4:
        raise UsageError(f"--bars={bars} must be at least 4")
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: is a file, not a folder")
    tracks_dir = out_dir / "tracks"
    session_file = out_dir / "session.toml"
    render_dir = out_dir / "render"
    analysis_report = out_dir / "loudness.html"
    master_dir = out_dir / "master"

    err.print("1/5 synthesizing the demo multitrack …", markup=False)
    written = song.write_demo_tracks(tracks_dir, seed=seed, bars=bars)

    err.print("2/5 stemforge init: sorting tracks into stems …", markup=False)
    session, found, proposals = import_folder(tracks_dir, title=song.TITLE)
    session = dataclasses.replace(session, artist="stemforge demo band", tempo_bpm=float(song.TEMPO_BPM), key=song.KEY)
    comments = {t.name: f"{'excluded: ' if p.role == EXCLUDE else ''}{p.confidence:.2f} {p.reason}" for t, p in zip(found, proposals, strict=True)}
    save_session(session, session_file, comments=comments, header=init_header(tracks_dir))
    session = load_session(session_file)

    err.print("3/5 stemforge render: stems and mix …", markup=False)
    plan = plan_render(session)
    with progress("rendering", total=plan.frames) as advance:
        result = render_session(session, out_dir=render_dir, plan=plan, on_progress=advance)
    for message in result.warnings:
        warn(message)

    err.print("4/5 stemforge analyze: loudness of the mix and every stem …", markup=False)
    outputs = [result.mix, *result.stems.values()]
    with progress("analyzing", total=plan.frames * len(outputs)) as advance:
        reports = [analyze_file(path, on_progress=advance) for path in outputs]
    target_lufs = session.master.target_lufs
    loudness_report_page(reports, target_lufs=target_lufs, title=f"{session.title}: loudness of the mix and stems").write(analysis_report)
    mix_report = reports[0]

    target = session.master
    err.print(f"5/5 stemforge master: from the stems to {target.target} ({target.target_lufs:g} LUFS, {target.target_ceiling_dbtp:g} dBTP) …", markup=False)
    settings = MasterSettings(target=target.target, target_lufs=target.target_lufs, ceiling_dbtp=target.target_ceiling_dbtp)
    mastered = master(render_dir, settings, out_dir=master_dir)
    for message in mastered.warnings:
        warn(message)

    table = Table("what", "where", title=f"demo song: {session.title}, {result.duration_s:.1f} s, {len(written)} files, {len(session.tracks)} tracks")
    table.add_row("multitrack", str(tracks_dir))
    table.add_row("session", str(session_file))
    for name, path in result.stems.items():
        table.add_row(f"stem {name}", str(path))
    table.add_row("mix", str(result.mix))
    table.add_row("render report", str(result.report))
    table.add_row("loudness report", str(analysis_report))
    for deliverable in mastered.deliverables:
        table.add_row(f"master ({deliverable.format}, {deliverable.sample_rate} Hz)", str(master_dir / deliverable.file))
    table.add_row("master report", str(master_dir / "report.html"))
    out.print(table)
    integrated = "—" if mix_report.integrated_lufs is None else f"{mix_report.integrated_lufs:.1f} LUFS"
    true_peak = "—" if mix_report.true_peak_dbtp is None else f"{mix_report.true_peak_dbtp:+.1f} dBTP"
    out.print(f"mix: {integrated} integrated, {true_peak} true peak")
    after = mastered.after
    out.print(
        f"master: {after.integrated_lufs:.1f} LUFS integrated, {after.true_peak_dbtp:+.1f} dBTP true peak "
        f"(target {target.target}: {target.target_lufs:g} LUFS, ceiling {target.target_ceiling_dbtp:g} dBTP)"
    )
    out.print(f"next: open {master_dir / 'report.html'}, or try `stemforge master {session_file} -o {out_dir / 'master-loud'} --target club`")
