"""Writing a render to disk: stems, mix and ``render.json``, all or nothing.

Every output is written under a temporary name; only when all of them are complete are
they renamed, ``render.json`` last. An interrupted render (even SIGKILL) leaves no file
under a final name.
"""

from __future__ import annotations

import json
import math
import re
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from stemforge import __version__
from stemforge.audio.formats import OutputFormat, output_format
from stemforge.audio.io import AtomicWriter, sha256_file, write_text_atomic
from stemforge.errors import OutputError
from stemforge.render.engine import (
    BUS_CHANNELS,
    DEFAULT_BLOCK_FRAMES,
    TAIL_THRESHOLD_DBFS,
    ProgressCallback,
    RenderBlock,
    RenderPlan,
    RenderStats,
    plan_render,
    render_blocks,
)
from stemforge.render.mixer import ReturnResidual
from stemforge.session.model import Session

RENDER_SCHEMA_VERSION = 1
TAP_POINT = "pre-master"
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@dataclass(frozen=True)
class RenderResult:
    """What a render wrote.

    Attributes
    ----------
    out_dir : Path
    mix : Path
    stems : dict of str to Path
        Stem name → file, in session order.
    report : Path
        ``render.json``.
    frames : int
    sample_rate : int
    format : OutputFormat
    peaks_dbfs : dict of str to float
        Sample peak of each output (``"mix"`` and each stem name).
    warnings : tuple of str
    seconds : float
        Wall-clock time of the render.
    tap_point : str
        Where the mix was taken: ``pre-master`` (default) or ``post-master``.
    latency_frames : int
        Plugin latency compensated (dropped from the start of every output).
    tail_frames : int
        Frames rendered past the end of the last clip for reverb and delay tails.
    residuals : tuple of ReturnResidual
        For each non-linear return: how far its per-stem instances are from one shared instance.
    """

    out_dir: Path
    mix: Path
    stems: dict[str, Path]
    report: Path
    frames: int
    sample_rate: int
    format: OutputFormat
    peaks_dbfs: dict[str, float]
    warnings: tuple[str, ...]
    seconds: float
    tap_point: str = TAP_POINT
    latency_frames: int = 0
    tail_frames: int = 0
    residuals: tuple[ReturnResidual, ...] = ()

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate


def safe_filename(text: str) -> str:
    """``text`` with characters that file systems refuse replaced by ``_``."""
    cleaned = _UNSAFE.sub("_", text).strip().strip(".")
    return cleaned or "untitled"


def output_paths(session: Session, out_dir: Path, fmt: OutputFormat) -> tuple[Path, dict[str, Path]]:
    """Where the mix and each stem of ``session`` go under ``out_dir``."""
    title = safe_filename(session.title)
    stems = {s.name: out_dir / "stems" / f"{title} - {safe_filename(s.name)}{fmt.extension}" for s in session.stems}
    return out_dir / f"mix{fmt.extension}", stems


def _refuse_overwriting_inputs(session: Session, out_dir: Path, targets: list[Path]) -> None:
    inputs = {f.resolve() for f in session.input_files}
    if session.path is not None:
        inputs.add(session.path.resolve())
    for target in targets:
        if target.resolve() in inputs:
            raise OutputError(f"{target}: is one of the session's inputs; refusing to overwrite it", tip="choose another output folder with -o")
    for folder in (out_dir, out_dir / "stems"):
        folder = folder.resolve()
        held = sorted(f for f in inputs if f.parent == folder and f.suffix.lower() != ".toml")
        if held:
            raise OutputError(
                f"{folder}: holds the session's input files (e.g. {held[0].name}); refusing to render into it",
                tip="choose an output folder of its own with -o",
            )


def _dbfs(peak: float) -> float | None:
    return round(20 * math.log10(peak), 2) if peak > 0 else None


def render_session(
    session: Session,
    *,
    out_dir: str | Path,
    fmt: str | OutputFormat = "wav24",
    block_frames: int = DEFAULT_BLOCK_FRAMES,
    workers: int = 2,
    on_progress: ProgressCallback | None = None,
    plan: RenderPlan | None = None,
    master_chain: bool = False,
    tail_max_s: float | None = None,
) -> RenderResult:
    """Render ``session``'s stems and mix into ``out_dir``.

    Writes ``out_dir/stems/<title> - <stem>.wav``, ``out_dir/mix.wav`` and
    ``out_dir/render.json``. All outputs start at the session's zero and have the same
    length.

    Parameters
    ----------
    session : Session
    out_dir : path
    fmt : str or OutputFormat
        ``wav24`` (default), ``wav32f``, ``flac24``, ``wav16``, ``flac16``.
    block_frames : int
        Frames per block (memory scales with it, results do not).
    workers : int
        Decoding threads.
    on_progress : callable, optional
        Called with the number of frames done after each block.
    plan : RenderPlan, optional
        A plan already made with :func:`plan_render` (it then decides ``master_chain``
        and ``tail_max_s``).
    master_chain : bool
        Run the mix through ``[[master.inserts]]`` (tap point ``post-master``); the stems
        stay pre-master.
    tail_max_s : float, optional
        Longest reverb/delay tail past the last clip (default: the session's).

    Raises
    ------
    OutputError
        If an output would overwrite an input, or cannot be written.
    AudioFormatError
        If a track's file is unreadable.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    fmt = output_format(fmt) if isinstance(fmt, str) else fmt
    mix_path, stem_paths = output_paths(session, out_dir, fmt)
    report_path = out_dir / "render.json"
    _refuse_overwriting_inputs(session, out_dir, [mix_path, *stem_paths.values(), report_path])
    plan = plan or plan_render(session, master_chain=master_chain, tail_max_s=tail_max_s)
    stats = RenderStats()

    hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stemforge-hash")
    hashes = {f: hasher.submit(sha256_file, f) for f in dict.fromkeys(session.input_files)}
    writers = {name: AtomicWriter(path, sample_rate=session.sample_rate, channels=BUS_CHANNELS, fmt=fmt, deferred=True) for name, path in stem_paths.items()}
    mix_writer = AtomicWriter(mix_path, sample_rate=session.sample_rate, channels=BUS_CHANNELS, fmt=fmt, deferred=True)
    everything = [*writers.values(), mix_writer]
    warnings: list[str] = []
    try:
        for w in everything:
            w.__enter__()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stemforge-write") as write_pool:
            in_flight: Future[None] | None = None

            def write(block: RenderBlock) -> None:
                for name, samples in block.stems.items():
                    writers[name].write(samples)
                mix_writer.write(block.mix)

            for block in render_blocks(plan, block_frames=block_frames, workers=workers, warnings=warnings, stats=stats):
                if in_flight is not None:
                    in_flight.result()
                in_flight = write_pool.submit(write, block)
                if on_progress is not None:
                    on_progress(block.frames)
            if in_flight is not None:
                in_flight.result()
        for w in everything:
            w.__exit__(None, None, None)
        digests = {f: h.result() for f, h in hashes.items()}
    except BaseException as exc:
        for w in everything:
            w.__exit__(type(exc), exc, None)
            w.discard()
        raise
    finally:
        hasher.shutdown(wait=False, cancel_futures=True)

    peaks = {name: w.peak for name, w in writers.items()} | {"mix": mix_writer.peak}
    if not fmt.is_float:
        for name, w in [*writers.items(), ("mix", mix_writer)]:
            if w.clipped_samples:
                label = "mix" if name == "mix" else f"stem {name!r}"
                warnings.append(
                    f"{label} peaks at {20 * math.log10(w.peak):+.2f} dBFS: {w.clipped_samples} samples clipped in {fmt.name}; "
                    "lower the gain or render with --format wav32f"
                )
    for stem in session.stems:
        if not any(p.audible and p.track.stem == stem.name for p in plan.tracks):
            warnings.append(f"stem {stem.name!r} has no audible track; it is silent")
    warnings.extend(_mixer_warnings(plan, stats))
    worst = _worst_residual(stats.residuals)
    routing = plan.routing

    report = {
        "schema_version": RENDER_SCHEMA_VERSION,
        "generator": f"stemforge {__version__}",
        "title": session.title,
        "artist": session.artist,
        "tempo_bpm": session.tempo_bpm,
        "key": session.key,
        "session": str(session.path) if session.path else None,
        "sample_rate": session.sample_rate,
        "frames": stats.frames,
        "duration_s": round(stats.frames / session.sample_rate, 6),
        "format": fmt.name,
        "bit_depth": fmt.bit_depth,
        "tap_point": plan.tap_point,
        "stems_tap_point": TAP_POINT,
        "latency_frames": routing.latency_frames if routing else 0,
        "tail": {
            "frames": stats.tail_frames,
            "seconds": round(stats.tail_frames / session.sample_rate, 6),
            "threshold_dbfs": TAIL_THRESHOLD_DBFS,
            "max_s": plan.tail_max_frames / session.sample_rate,
            "capped": stats.tail_capped,
        },
        "nulling": {
            "mix_is": "sum of stems" if not plan.master_chain else "master chain over the sum of stems",
            "stems_sum_to_mix": not plan.master_chain or not session.master.inserts,
            "master_chain_residual_peak_dbfs": stats.master_residual_peak_dbfs,
            "master_chain_residual_rms_dbfs": stats.master_residual_rms_dbfs,
            "exact_against_shared_returns": not stats.residuals,
            "non_linear_returns": [
                {
                    "name": r.name,
                    "stems": list(r.stems),
                    "residual_peak_dbfs": r.residual_peak_dbfs,
                    "residual_rms_dbfs": r.residual_rms_dbfs,
                    "shared_peak_dbfs": r.shared_peak_dbfs,
                }
                for r in stats.residuals
            ],
        },
        "returns": [
            {
                "name": r.name,
                "gain_db": r.ret.gain_db,
                "inserts": [e.to_table() for e in r.ret.inserts],
                "linear": r.linear,
                "latency_frames": r.latency_frames,
                "stems": list(r.stems),
            }
            for r in (routing.returns if routing else ())
        ],
        "mix": {"file": mix_path.relative_to(out_dir).as_posix(), "peak_dbfs": _dbfs(peaks["mix"])},
        "stems": [
            {
                "name": stem.name,
                "role": stem.role,
                "file": stem_paths[stem.name].relative_to(out_dir).as_posix(),
                "gain_db": stem.gain_db,
                "peak_dbfs": _dbfs(peaks[stem.name]),
                "tracks": [p.track.name for p in plan.tracks if p.track.stem == stem.name],
                "inserts": [e.to_table() for e in stem.inserts],
                "returns": [r.name for r in (routing.returns if routing else ()) if stem.name in r.stems],
                "nulls_against_shared_returns": stem.name not in worst,
                "null_residual_dbfs": worst.get(stem.name),
            }
            for stem in session.stems
        ],
        "inputs": [
            {
                "track": p.track.name,
                "stem": p.track.stem,
                "audible": p.audible,
                "offset_frames": p.offset_frames,
                "gain_db": p.track.gain_db,
                "pan": p.track.pan,
                "invert": p.track.invert,
                "inserts": [e.to_table() for e in p.track.inserts],
                "sends": [{"to": x.to, "level_db": x.level_db, "pre_fader": x.pre_fader} for x in p.track.sends],
                "clips": len(p.track.clips),
                "latency_frames": p.latency_frames,
                "files": [
                    {"path": str(f), "sha256": digests[f], "sample_rate": p.file_rate, "resampled": p.resampled}
                    for f in p.track.files
                ],
            }
            for p in plan.tracks
        ],
        "excluded": [t.name for t in session.tracks if t not in {p.track for p in plan.tracks}],
        "warnings": warnings,
    }
    try:
        for w in everything:
            w.commit()
        write_text_atomic(report_path, json.dumps(report, indent=2) + "\n")
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot write the render ({exc.strerror})") from None
    return RenderResult(
        out_dir=out_dir,
        mix=mix_path,
        stems=stem_paths,
        report=report_path,
        frames=stats.frames,
        sample_rate=session.sample_rate,
        format=fmt,
        peaks_dbfs={k: v for k, v in ((k, _dbfs(p)) for k, p in peaks.items()) if v is not None},
        warnings=tuple(warnings),
        seconds=time.perf_counter() - started,
        tap_point=plan.tap_point,
        latency_frames=routing.latency_frames if routing else 0,
        tail_frames=stats.tail_frames,
        residuals=tuple(stats.residuals),
    )


def _worst_residual(residuals: list[ReturnResidual]) -> dict[str, float | None]:
    """Stem → the largest peak residual among the non-linear returns it carries."""
    worst: dict[str, float | None] = {}
    for r in residuals:
        for stem in r.stems:
            current = worst.get(stem)
            value = r.residual_peak_dbfs
            if stem not in worst or (value is not None and (current is None or value > current)):
                worst[stem] = value
    return worst


def _mixer_warnings(plan: RenderPlan, stats: RenderStats) -> list[str]:
    messages = []
    for r in stats.residuals:
        kinds = ", ".join(sorted({e.type_name for e in next(p.ret for p in plan.routing.returns if p.name == r.name).inserts if not e.linear})) if plan.routing else ""
        level = "exactly 0" if r.residual_peak_dbfs is None else f"{r.residual_peak_dbfs:+.1f} dBFS peak ({r.residual_rms_dbfs:+.1f} dBFS RMS)"
        messages.append(
            f"stems {', '.join(r.stems)} carry their own instance of non-linear return {r.name!r} ({kinds}): "
            f"they sum to the mix, but cannot null exactly against a mix through one shared {r.name!r}; residual {level}"
        )
    if plan.master_chain and plan.session.master.inserts:
        peak, rms = stats.master_residual_peak_dbfs, stats.master_residual_rms_dbfs
        by = "exactly 0" if peak is None else f"{peak:+.1f} dBFS peak ({rms:+.1f} dBFS RMS)"
        messages.append(f"the mix is taken post-master (--master-chain) while the stems are pre-master: the stems do not sum to this mix (mix − Σ stems: {by})")
    if stats.tail_capped:
        messages.append(f"tails still ring above {TAIL_THRESHOLD_DBFS:g} dBFS at the tail_max_s cap ({plan.tail_max_frames / plan.sample_rate:g} s); the outputs are cut there")
    return messages


__all__ = ["RENDER_SCHEMA_VERSION", "TAP_POINT", "RenderResult", "output_paths", "render_session", "safe_filename"]
