"""``stemforge master INPUT -o OUT_DIR``: master a mix, a folder of stems or a session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stemforge.cli._common import err, out, print_json, warn
from stemforge.cli.main import app
from stemforge.errors import InputNotFoundError, UsageError
from stemforge.session.model import TARGETS


def _default_out_dir(source: Path) -> Path:
    if source.is_file() and source.suffix.lower() == ".toml":
        return source.parent / "master"
    return source.parent / f"{source.stem if source.is_file() else source.name}-master"


@app.command()
def master(
    source: Annotated[Path, typer.Argument(metavar="INPUT", help="A mix file, a folder of stems (a render folder or plain stem files), or a session .toml.")],
    out_dir: Annotated[Path | None, typer.Option("-o", "--output", help="Output folder (default: INPUT-master beside the input).")] = None,
    target: Annotated[str | None, typer.Option(help=f"Delivery target: {', '.join(f'{k} ({v[0]:g} LUFS, {v[1]:g} dBTP)' for k, v in TARGETS.items())}. Default: the session's, else streaming.")] = None,
    lufs: Annotated[float | None, typer.Option(help="Integrated loudness to reach, in LUFS (overrides the target's).")] = None,
    ceiling: Annotated[float | None, typer.Option(help="True-peak ceiling in dBTP (overrides the target's).")] = None,
    reference: Annotated[Path | None, typer.Option(help="Reference track whose tonal balance (and loudness) to match.")] = None,
    match_amount: Annotated[float, typer.Option(help="How far to move toward the reference, 0-100 %.")] = 100.0,
    match_phase: Annotated[str, typer.Option(help="Correction filter phase: linear or minimum.")] = "linear",
    stem: Annotated[list[str] | None, typer.Option("--stem", help="A stem move: NAME=+1.5dB, NAME:high_shelf=8000:-1.5dB, NAME:peak=3000:-2dB:1.4, NAME:highpass=30, NAME:compress=-18:2. Repeatable.")] = None,
    preset: Annotated[str | None, typer.Option(help="Bus settings to start from: transparent, glue, wide (115 %, mono below 120 Hz), modern (glue + 110 % + mono below 120 Hz).")] = None,
    glue: Annotated[bool, typer.Option("--glue", help="Gentle stereo-linked bus compression.")] = False,
    width: Annotated[float | None, typer.Option(help="Stereo width in percent (100 leaves it as it is).")] = None,
    mono_below: Annotated[float | None, typer.Option(help="Make the low end mono below this frequency (Hz).")] = None,
    max_gr_db: Annotated[float, typer.Option(help="Most limiter gain reduction to spend on reaching the target (dB).")] = 6.0,
    deliver: Annotated[str, typer.Option(help="Files to deliver, comma-separated: master (24-bit WAV at the input's rate), flac, cd (44.1 kHz/16-bit WAV), mp3 (320 kbit/s).")] = "master,flac,cd,mp3",
    json_output: Annotated[bool, typer.Option("--json", help="Print report.json instead of a table.")] = False,
) -> None:
    """Master INPUT to a loudness target with a verified true-peak ceiling; writes every deliverable and a report."""
    from stemforge.mastering import (
        MasterSettings,
        merge_moves,
        open_input,
        parse_stem_option,
        resolve_target,
    )
    from stemforge.mastering import master as run_master
    from stemforge.mastering.settings import PRESETS, StemMove

    if preset is not None and preset not in PRESETS:
        raise UsageError(f"--preset={preset!r} is not known; choose one of: {', '.join(PRESETS)}")
    bus = PRESETS.get(preset or "transparent", {})

    if not source.exists():
        raise InputNotFoundError(f"{source}: no such file or folder")
    if reference is not None and not reference.exists():
        raise InputNotFoundError(f"--reference {reference}: no such file")
    moves: list[StemMove] = []
    explicit_loudness = target is not None or lufs is not None
    src = open_input(source)
    session_master = getattr(src.session, "master", None)
    if session_master is not None:
        moves.extend(getattr(session_master, "stems", ()) or ())
        # The session's [master] gives the defaults; a target named on the command line
        # replaces all three, and --lufs / --ceiling replace one each.
        if target is None:
            target = session_master.target
            lufs = lufs if lufs is not None else session_master.lufs
            ceiling = ceiling if ceiling is not None else session_master.ceiling_dbtp
    moves.extend(parse_stem_option(option) for option in (stem or []))
    target_name, target_lufs, ceiling_dbtp = resolve_target(target, lufs=lufs, ceiling_dbtp=ceiling)
    settings = MasterSettings(
        target=target_name,
        target_lufs=target_lufs,
        ceiling_dbtp=ceiling_dbtp,
        reference=reference,
        match_amount=match_amount,
        match_phase=match_phase,
        loudness_from_reference=reference is not None and not explicit_loudness,
        stems=merge_moves(moves),
        glue=glue or bool(bus.get("glue", False)),
        width_percent=width if width is not None else float(bus.get("width_percent", 100.0)),  # type: ignore[arg-type]
        mono_below_hz=mono_below if mono_below is not None else bus.get("mono_below_hz"),  # type: ignore[arg-type]
        preset=preset,
        max_reduction_db=max_gr_db,
        deliverables=tuple(dict.fromkeys(name.strip() for name in deliver.split(",") if name.strip())),
    )
    if src.kind == "mix" and settings.stems:
        raise UsageError(f"--stem needs stems, but {source} is a mix file", tip="give a folder of stems or a session to rebalance stems")
    out_dir = out_dir if out_dir is not None else _default_out_dir(source)
    show = err.is_terminal and not json_output

    def on_stage(name: str) -> None:
        if show:
            err.print(f"  {name} …", markup=False)

    result = run_master(src, settings, out_dir=out_dir, on_stage=on_stage)
    for message in result.warnings:
        warn(message)
    if json_output:
        print_json(json.loads((result.out_dir / "report.json").read_text(encoding="utf-8")))
        return
    limit = result.level.limit
    used = result.settings
    name = used.target or "custom"
    if used.loudness_from_reference and used.match_amount > 0:
        name = f"{name}, loudness moved toward the reference"
    title = f"{Path(result.input.path).name} → {name} ({used.target_lufs:.1f} LUFS, {used.ceiling_dbtp:+.1f} dBTP)"
    table = Table("file", "format", "rate", "integrated", "true peak", title=title)
    for d in result.deliverables:
        lufs_text = "–" if d.integrated_lufs is None else f"{d.integrated_lufs:.2f} LUFS"
        table.add_row(str(result.out_dir / d.file), d.format, f"{d.sample_rate} Hz", lufs_text, f"{d.true_peak_dbtp:+.2f} dBTP")
    out.print(table)
    before = result.before.integrated_lufs
    out.print(
        f"{before:.1f} → {limit.output_lufs:.2f} LUFS, true peak {limit.output_true_peak_dbtp:+.2f} dBTP, "
        f"largest gain reduction {limit.max_reduction_db:.1f} dB · report: {result.out_dir / 'report.html'} · {result.seconds:.1f} s"
        if before is not None
        else f"master at {limit.output_lufs:.2f} LUFS"
    )
    if not limit.reached_target:
        out.print(f"target not reached: {limit.output_lufs:.2f} LUFS (limited to {settings.max_reduction_db:g} dB of gain reduction; raise --max-gr-db to push harder)")
