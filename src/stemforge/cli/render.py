"""``stemforge render SESSION -o DIR``: stems, mix and render.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stemforge.audio.formats import FORMATS, output_format
from stemforge.cli._common import out, print_json, progress, warn
from stemforge.cli.main import app
from stemforge.errors import UsageError
from stemforge.render import DEFAULT_BLOCK_FRAMES, plan_render, render_session
from stemforge.session import load_session


@app.command()
def render(
    session_file: Annotated[Path, typer.Argument(metavar="SESSION", help="The session file (session.toml).")],
    out_dir: Annotated[Path | None, typer.Option("-o", "--output", help="Output folder (default: render/ beside the session).")] = None,
    fmt: Annotated[str, typer.Option("--format", help=f"Output format: {', '.join(FORMATS)}.")] = "wav24",
    block_frames: Annotated[int, typer.Option(help="Frames per processing block.")] = DEFAULT_BLOCK_FRAMES,
    master_chain: Annotated[bool, typer.Option("--master-chain", help="Run the mix through [[master.inserts]] (the stems stay pre-master).")] = False,
    tail_max_s: Annotated[float | None, typer.Option("--tail-max", help="Longest reverb/delay tail past the last clip, seconds (default: the session's tail_max_s).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print render.json instead of a table.")] = False,
) -> None:
    """Render every stem and the mix, sample-aligned and of equal length."""
    fmt_spec = output_format(fmt)
    if not 64 <= block_frames <= 1 << 22:
        raise UsageError(f"--block-frames={block_frames} must be between 64 and 4194304")
    if tail_max_s is not None and not 0 <= tail_max_s <= 600:
        raise UsageError(f"--tail-max={tail_max_s:g} must be between 0 and 600 seconds")
    session = load_session(session_file)
    out_dir = out_dir if out_dir is not None else session_file.parent / "render"
    plan = plan_render(session, master_chain=master_chain, tail_max_s=tail_max_s)
    with progress(f"rendering {session.title}", total=plan.frames) as advance:
        result = render_session(session, out_dir=out_dir, fmt=fmt_spec, block_frames=block_frames, on_progress=advance, plan=plan)
    for message in result.warnings:
        warn(message)
    if json_output:
        print_json(json.loads(result.report.read_text(encoding="utf-8")))
        return
    table = Table("output", "peak dBFS", title=f"{session.title}: {result.duration_s:.2f} s at {result.sample_rate} Hz, {fmt_spec.name}")
    for name, path in result.stems.items():
        peak = result.peaks_dbfs.get(name)
        table.add_row(str(path), "silent" if peak is None else f"{peak:+.2f}")
    peak = result.peaks_dbfs.get("mix")
    table.add_row(str(result.mix), "silent" if peak is None else f"{peak:+.2f}")
    out.print(table)
    if result.latency_frames or result.tail_frames or plan.master_chain:
        out.print(
            f"tap point {result.tap_point}; {result.latency_frames} frames of latency compensated; "
            f"tail {result.tail_frames / result.sample_rate:.2f} s past the last clip"
        )
    speed = result.duration_s / result.seconds if result.seconds > 0 else float("inf")
    out.print(f"wrote {len(result.stems)} stems, the mix and {result.report} in {result.seconds:.2f} s ({speed:.0f}× real time)")
