"""``check_delivery``: every check on a folder of stems, in one streaming pass.

Stages, top-down:

1. find the stem files (a render folder's ``stems/`` and its ``mix.wav`` are used as such);
2. read every header (SF101) and compare formats (SF110–SF114);
3. one lock-step pass over all stems and the mix, block by block: per-file statistics
   (:mod:`~stemforge.qa.scan`) and the null test's residual (:mod:`~stemforge.qa.null`);
4. true peak on the loudest segments only (SF202), level, stereo and duplicate checks;
5. naming (SF401/SF402);
6. when the null test fails, the cause (:mod:`~stemforge.qa.diagnose`).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from stemforge.analysis.truepeak import TruePeakDetector
from stemforge.audio import AUDIO_EXTENSIONS, AudioInfo, BlockReader, read_info
from stemforge.errors import InputNotFoundError, StemforgeError, UsageError
from stemforge.qa.checks import (
    clip_level,
    duplicate_checks,
    format_checks,
    is_float,
    level_checks,
    reference_format,
    stereo_checks,
)
from stemforge.qa.diagnose import diagnose
from stemforge.qa.model import DeliveryReport, Finding, Severity, StemSummary
from stemforge.qa.naming import naming_checks
from stemforge.qa.null import NULL_PASS_DB, NullAccumulator, NullResult
from stemforge.qa.scan import SEGMENT_FRAMES, StemScan, StemScanner
from stemforge.qa.window import dbfs

#: Frames per block of the streaming pass (a multiple of SEGMENT_FRAMES).
BLOCK_FRAMES = 1 << 16
#: Segments around the loudest peaks in which true peak is measured, per stem.
TRUE_PEAK_SEGMENTS = 24


def find_stem_files(stems_dir: Path, *, exclude: Sequence[Path] = ()) -> tuple[Path, Path | None]:
    """Resolve the folder holding the stems, and the mix a render folder names.

    Returns
    -------
    (Path, Path or None)
        The folder to list and, for a render folder (``render.json`` beside ``stems/``),
        its mix file.
    """
    if not stems_dir.exists():
        raise InputNotFoundError(f"{stems_dir}: no such folder")
    if not stems_dir.is_dir():
        raise UsageError(f"{stems_dir}: is a file; check expects a folder of stems",
                         tip="pass the folder that holds the stems, and the mix with --mix")
    manifest = stems_dir / "render.json"
    if manifest.is_file() and (stems_dir / "stems").is_dir():
        mix = None
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            data = json.loads(manifest.read_text(encoding="utf-8"))
            candidate = stems_dir / str(data["mix"]["file"])
            mix = candidate if candidate.is_file() else None
        return stems_dir / "stems", mix
    return stems_dir, None


def _audio_files(folder: Path, exclude: Sequence[Path]) -> list[Path]:
    skip = {p.resolve() for p in exclude}
    files = [
        p for p in sorted(folder.iterdir(), key=lambda p: p.name.casefold())
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in AUDIO_EXTENSIONS
        and p.resolve() not in skip
    ]
    return files


def _true_peak_dbtp(path: Path, scan: StemScan) -> float:
    """True peak (BS.1770-4 Annex 2, the analysis module's interpolator) of the loudest segments only.

    The true peak exceeds the sample peak by a few dB at most, so it is measured on the
    :data:`TRUE_PEAK_SEGMENTS` segments with the highest sample peaks instead of on the
    whole file. Each segment is preceded by a margin fed only to fill the interpolator's
    history (its outputs are discarded), so no window edge is mistaken for a step.
    """
    peaks = scan.segment_peak
    if peaks.size == 0 or float(peaks.max()) <= 0:
        return float("-inf")
    order = sorted(int(i) for i in np.argsort(peaks)[::-1][:TRUE_PEAK_SEGMENTS])
    best = float(peaks.max())
    margin = 64
    with BlockReader(path) as reader:
        fresh = TruePeakDetector(reader.sample_rate, reader.channels)
        for seg in order:
            first = seg * SEGMENT_FRAMES
            detector = fresh.copy()
            if first > 0:
                reader.seek(max(first - margin, 0))
                detector.process(np.nan_to_num(reader.read(first - max(first - margin, 0))))
                detector.peaks[:] = 0.0
            reader.seek(first)
            detector.process(np.nan_to_num(reader.read(SEGMENT_FRAMES + margin)))
            best = max(best, float(detector.peaks.max()))
    return dbfs(best)


def _stream(
    infos: Sequence[AudioInfo],
    mix: AudioInfo | None,
    in_null: Sequence[bool],
    *,
    min_clip_run: int,
    advance: Callable[[float], None],
    workers: int = 2,
) -> tuple[list[StemScan], NullResult | None, StemScan | None]:
    """One pass over every stem (and the mix): per-file scans plus the null residual.

    Each block of every file is read and scanned on a small thread pool (libsndfile and
    numpy release the GIL), then the stems are summed in a fixed order on this thread.
    """
    scanners = [StemScanner(i.channels, clip_level=clip_level(i), min_clip_run=min_clip_run) for i in infos]
    mix_scanner = StemScanner(mix.channels, clip_level=clip_level(mix), min_clip_run=min_clip_run) if mix else None
    total = max([i.frames for i in infos] + ([mix.frames] if mix else []))
    with contextlib.ExitStack() as stack:
        readers = [stack.enter_context(BlockReader(i.path)) for i in infos]
        jobs: list[tuple[BlockReader, StemScanner]] = list(zip(readers, scanners, strict=True))
        if mix is not None and mix_scanner is not None:
            jobs.append((stack.enter_context(BlockReader(mix.path)), mix_scanner))
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=max(1, workers)))
        acc = NullAccumulator(mix.channels) if mix else None
        position = 0
        while position < total:
            n = min(BLOCK_FRAMES, total - position)
            blocks = list(pool.map(lambda job, n=n: job[1].feed(job[0].read(n)), jobs))
            if acc is not None and mix is not None:
                mix_block = blocks[-1]
                stem_sum = np.zeros((mix.channels, mix_block.shape[1]), np.float32)
                for block, use in zip(blocks[:-1], in_null, strict=True):
                    m = min(block.shape[1], stem_sum.shape[1])
                    if not use or m == 0:
                        continue
                    if block.shape[0] == 1 or block.shape[0] == stem_sum.shape[0]:
                        stem_sum[:, :m] += block[:, :m]
                    else:
                        stem_sum[: block.shape[0], :m] += block[: stem_sum.shape[0], :m]
                if mix_block.shape[1]:
                    acc.feed(mix_block, stem_sum)
            position += n
            advance(n)
    return [s.finish() for s in scanners], (acc.finish() if acc else None), (mix_scanner.finish() if mix_scanner else None)


def check_delivery(
    stems_dir: str | os.PathLike[str],
    *,
    mix: str | os.PathLike[str] | None = None,
    min_clip_run: int = 3,
    headroom_dbtp: float = -1.0,
    max_lag_s: float = 1.0,
    progress: Callable[[float], None] | None = None,
) -> DeliveryReport:
    """Check a stem delivery; optionally null it against its mix and find why it fails.

    Parameters
    ----------
    stems_dir : path
        A folder of stem files, or a render folder (``stems/``, ``mix.wav``, ``render.json``),
        whose mix is used when ``mix`` is not given.
    mix : path, optional
        The mix the stems should sum to.
    min_clip_run : int
        Consecutive full-scale samples that count as clipping.
    headroom_dbtp : float
        True-peak level above which a stem gets a headroom warning.
    max_lag_s : float
        Largest stem shift searched for when the null test fails, in seconds.
    progress : callable, optional
        Called with the fraction of work done since the last call (0 … 1 in total).

    Raises
    ------
    InputNotFoundError
        ``stems_dir`` or ``mix`` does not exist.
    UsageError
        ``stems_dir`` holds no audio files, or an option is out of range.
    AudioFormatError
        The mix is not readable audio.
    """
    started = time.perf_counter()
    if min_clip_run < 1:
        raise UsageError(f"min_clip_run={min_clip_run} must be a positive number of samples")
    if max_lag_s <= 0:
        raise UsageError(f"max_lag_s={max_lag_s} must be positive (seconds)")
    root = Path(stems_dir)
    folder, render_mix = find_stem_files(root)
    mix_path = Path(mix) if mix is not None else render_mix
    mix_info = read_info(mix_path) if mix_path is not None else None
    files = _audio_files(folder, [mix_path] if mix_path else [])
    if not files:
        raise UsageError(f"{folder}: no audio files to check",
                         tip="stems are read from " + ", ".join(sorted(AUDIO_EXTENSIONS)) + " files")
    names = {p: p.name for p in files}

    findings: list[Finding] = []
    infos: list[AudioInfo] = []
    for path in files:
        try:
            infos.append(read_info(path))
        except StemforgeError as exc:
            findings.append(Finding("SF101", Severity.FAIL, f"cannot be read: {exc.message.split(': ', 1)[-1]}", path.name))
    if not any(f.code == "SF101" for f in findings):
        findings.append(Finding("SF101", Severity.PASS, f"all {len(files)} files are readable audio"))
    if not infos:
        return DeliveryReport(str(root), str(mix_path) if mix_path else None, (), tuple(findings),
                              elapsed_s=time.perf_counter() - started)

    by_info = {i: names[i.path] for i in infos}
    ref = reference_format(infos, mix_info)
    findings += format_checks(infos, ref, by_info)

    in_null = [mix_info is not None and i.sample_rate == mix_info.sample_rate for i in infos]
    skip_null = mix_info is not None and not all(in_null)
    total = float(max([i.frames for i in infos] + ([mix_info.frames] if mix_info else [])))
    advance = (lambda n: progress(n / total)) if progress else (lambda n: None)
    scans, null, mix_scan = _stream(infos, mix_info if mix_info and not skip_null else None, in_null,
                          min_clip_run=min_clip_run, advance=advance)
    scan_by_name = {by_info[i]: s for i, s in zip(infos, scans, strict=True)}
    true_peaks = {by_info[i]: _true_peak_dbtp(i.path, s) for i, s in zip(infos, scans, strict=True)}
    rates = {by_info[i]: i.sample_rate for i in infos}
    floats = frozenset(by_info[i] for i in infos if is_float(i))
    findings += level_checks(scan_by_name, true_peaks, rates, min_clip_run=min_clip_run, headroom_dbtp=headroom_dbtp,
                             float_files=floats)
    findings += stereo_checks(scan_by_name)
    findings += duplicate_checks(scan_by_name)
    findings += naming_checks([p.name for p in files])

    if mix_info is not None and mix_path is not None:
        findings += _mix_findings(mix_info, ref_frames=ref.frames, infos=infos, names=by_info, null=null,
                                  skip=skip_null, max_lag_s=max_lag_s)
        if mix_scan is not None and not any(f.code == "SF507" for f in findings):
            findings.append(_mix_clip_finding(mix_info, mix_scan, min_clip_run=min_clip_run))

    summaries = tuple(
        StemSummary(
            file=by_info[i], sample_rate=i.sample_rate, channels=i.channels, frames=i.frames, bit_depth=i.bit_depth,
            peak_dbfs=_finite(dbfs(float(s.peak.max()))), true_peak_dbtp=_finite(true_peaks[by_info[i]]),
            rms_dbfs=_finite(10 * np.log10(float(s.mean_square.mean())) if float(s.mean_square.mean()) > 0 else float("-inf")),
        )
        for i, s in zip(infos, scans, strict=True)
    ) + tuple(StemSummary(f.file or "", None, None, None, None, None, None, None) for f in findings
              if f.code == "SF101" and f.severity is Severity.FAIL)
    return DeliveryReport(
        stems_dir=str(root),
        mix=str(mix_path) if mix_path else None,
        stems=summaries,
        findings=tuple(findings),
        null_residual_db=None if null is None else _finite(null.residual_db, floor=-200.0),
        elapsed_s=time.perf_counter() - started,
    )


def _mix_clip_finding(mix: AudioInfo, scan: StemScan, *, min_clip_run: int) -> Finding:
    """SF507 from the streaming scan of the mix (fail; a warning for a float mix over full scale)."""
    if not scan.clip_runs:
        return Finding("SF507", Severity.PASS, "the mix does not clip")
    at = (scan.first_clip_frame or 0) / mix.sample_rate
    details = {"clip_runs": scan.clip_runs, "clipped_samples": scan.clipped_samples, "first_clip_s": round(at, 6),
               "peak_dbfs": _finite(dbfs(float(scan.peak.max())))}
    if is_float(mix):
        return Finding("SF507", Severity.WARN,
                       f"the mix goes over full scale (peak {dbfs(float(scan.peak.max())):+.1f} dBFS): fine in float, "
                       "clips in any fixed-point copy; lower the mix bus before mastering", mix.path.name, details)
    return Finding("SF507", Severity.FAIL,
                   f"the mix clips: {scan.clip_runs} run(s) of {min_clip_run}+ samples at full scale, first at {at:.3f} s",
                   mix.path.name, details)


def _finite(value: float, *, floor: float | None = None) -> float | None:
    if value == float("-inf"):
        return floor
    if not np.isfinite(value):
        return None
    return round(float(value), 2)


def _mix_findings(
    mix: AudioInfo,
    *,
    ref_frames: int,
    infos: Sequence[AudioInfo],
    names: dict[AudioInfo, str],
    null: NullResult | None,
    skip: bool,
    max_lag_s: float,
) -> list[Finding]:
    """SF506 mix format, SF500 null test and, when it fails, SF501–SF509."""
    findings: list[Finding] = []
    odd = [i for i in infos if i.sample_rate != mix.sample_rate]
    if not any(i.sample_rate == mix.sample_rate for i in infos):
        findings.append(Finding("SF506", Severity.FAIL,
                                f"the mix is at {mix.sample_rate} Hz but no stem is", mix.path.name,
                                {"sample_rate": mix.sample_rate}))
    else:
        findings.append(Finding("SF506", Severity.PASS, f"mix at {mix.sample_rate} Hz, {mix.channels} channel(s), {mix.frames} frames"))
    if skip or null is None:
        which = ", ".join(names[i] for i in odd[:3])
        findings.append(Finding("SF500", Severity.WARN,
                                f"null test not run: {which} {'is' if len(odd) == 1 else 'are'} not at the mix's {mix.sample_rate} Hz (see SF110)",
                                None, {"skipped": True}))
        return findings
    residual = null.residual_db
    shown = "-inf" if residual == float("-inf") else f"{residual:.1f}"
    details = {"residual_db": _finite(residual, floor=-200.0), "residual_peak_dbfs": _finite(null.residual_peak_dbfs, floor=-200.0),
               "threshold_db": NULL_PASS_DB}
    if null.passed:
        findings.append(Finding("SF500", Severity.PASS, f"stems null against the mix: residual {shown} dB", None, details))
        return findings
    findings.append(Finding("SF500", Severity.FAIL,
                            f"stems do not sum to the mix: residual {shown} dB relative to the mix (limit {NULL_PASS_DB:g} dB)",
                            None, details))
    used = [i for i in infos if i.sample_rate == mix.sample_rate]
    findings += diagnose(mix.path, [i.path for i in used], [names[i] for i in used], null,
                         sample_rate=mix.sample_rate, channels=mix.channels, max_lag_s=max_lag_s)
    return findings


__all__ = ["BLOCK_FRAMES", "check_delivery", "find_stem_files"]
