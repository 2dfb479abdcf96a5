"""The mastering chain, top to bottom: each stage a function returning a frozen dataclass.

::

    input ─ 1 stem rebalance ─ 2 tonal EQ / reference match ─ 3 glue + width
          ─ 4 loudness gain ─ 5 true-peak limiter (4 and 5 searched together)
          ─ 6 deliverables (SRC, dither, encoding; each verified) ─ previews ─ report

Every stage is optional and reported; stages that are off leave the samples untouched
(the same array goes on), so the chain after the stem sum is deterministic and identical for
a mix and for the stems that sum to it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import soundfile as sf

from stemforge.analysis import LoudnessReport, analyze
from stemforge.audio.buffer import AudioBuffer, Samples
from stemforge.analysis._blas import use_one_blas_thread
from stemforge.audio.heap import tune_memory
from stemforge.errors import AnalysisError, OutputError, UsageError
from stemforge.mastering.bus import GlueStage, WidthStage, glue_compress, set_width
from stemforge.mastering.delivery import (
    Deliverable,
    SlowDeliverables,
    StagedOutputs,
    behind_the_encoder,
    deliver,
)
from stemforge.mastering.inputs import MasterInput, open_input
from stemforge.mastering.limiter import LimiterSettings
from stemforge.mastering.loudness import LevelResult, reach_loudness
from stemforge.mastering.preview import Previews, match_previews, preview_window
from stemforge.mastering.settings import MasterSettings
from stemforge.mastering.stems import RebalanceStage, StemReport, rebalance_stems
from stemforge.mastering.tonal import (
    Reference,
    TonalStage,
    analyse_reference,
    match_reference,
)

_T = TypeVar("_T")
_BACKGROUND = ThreadPoolExecutor(max_workers=2, thread_name_prefix="stemforge-analysis", initializer=behind_the_encoder)

#: Inputs shorter than this get a warning: their integrated loudness means little.
SHORT_INPUT_S = 3.0
#: Consecutive full-scale samples that count as a clipped run.
CLIPPED_RUN_FRAMES = 3

StageCallback = Callable[[str], None]


@dataclass(frozen=True)
class InputStage:
    """What came in.

    Attributes
    ----------
    kind : str
        ``mix``, ``stems`` or ``session``.
    path : str
    sample_rate, channels, frames : int
    duration_s : float
    stems : tuple of str
    """

    kind: str
    path: str
    sample_rate: int
    channels: int
    frames: int
    duration_s: float
    stems: tuple[str, ...]


@dataclass(frozen=True)
class MasterResult:
    """Everything a master did and wrote.

    Attributes
    ----------
    settings : MasterSettings
        As used (the target loudness after any move toward the reference).
    input : InputStage
    rebalance : RebalanceStage
    tonal : TonalStage
    glue : GlueStage
    width : WidthStage
    level : LevelResult
        Stages 4 and 5 (``level.gain``, ``level.limit``).
    deliverables : tuple of Deliverable
    before, after : LoudnessReport
        The unmastered mix and the master (float, before dither).
    reference : Reference or None
    previews : Previews
    out_dir : Path
    files : tuple of Path
        Every file written, under its final name.
    warnings : tuple of str
    seconds : float
        Wall-clock time.
    """

    settings: MasterSettings
    input: InputStage
    rebalance: RebalanceStage
    tonal: TonalStage
    glue: GlueStage
    width: WidthStage
    level: LevelResult
    deliverables: tuple[Deliverable, ...]
    before: LoudnessReport
    after: LoudnessReport
    reference: Reference | None
    previews: Previews
    out_dir: Path
    files: tuple[Path, ...]
    warnings: tuple[str, ...]
    seconds: float

    @property
    def reached_target(self) -> bool:
        return self.level.limit.reached_target


#: Frames looked at a time by the checks of the material (no array as long as the song is
#: made: on this machine, fresh memory costs about 3 ms a megabyte to touch).
_CHECK_FRAMES = 1 << 18


def _clipped_runs(samples: Samples) -> int:
    """Runs of CLIPPED_RUN_FRAMES or more equal samples at full scale (flat tops), per channel.

    A float mix may peak over full scale without being clipped; a clipped one repeats the
    same full-scale value. Only pieces whose peak reaches full scale are looked at.
    """
    full_scale = np.float32(0.9999)
    frames = samples.shape[1]
    need = CLIPPED_RUN_FRAMES - 1  # links between equal neighbours a run needs
    runs = 0
    for channel in samples:
        for start in range(0, frames, _CHECK_FRAMES):
            stop = min(start + _CHECK_FRAMES, frames)
            piece = channel[start:stop]
            if max(float(piece.max()), -float(piece.min())) < full_scale:
                continue
            # One frame before (was the run already going?) and enough after to see its length.
            lo, hi = max(0, start - 1), min(frames, stop + need)
            window = channel[lo:hi]
            hot = np.abs(window) >= full_scale
            link = hot[1:] & hot[:-1] & (window[1:] == window[:-1])  # link[k]: k and k + 1
            begins = hot.copy()
            begins[1:] &= ~link
            if need > 0:
                long_enough = np.convolve(link.astype(np.int32), np.ones(need, np.int32), mode="valid") == need
                begins[: long_enough.size] &= long_enough
                begins[long_enough.size :] = False
            runs += int(np.count_nonzero(begins[start - lo : start - lo + stop - start]))
    return runs


def _import_plotting() -> None:
    import matplotlib.backends.backend_agg
    import matplotlib.figure  # noqa: F401


def _refuse_overwriting_inputs(source: MasterInput, out_dir: Path, names: tuple[str, ...]) -> None:
    inputs = set(source.files)
    for name in names:
        target = (out_dir / name).resolve()
        if target in inputs:
            raise OutputError(f"{target}: is one of the inputs; refusing to overwrite it", tip="choose another output folder with -o")
    # master.wav among the stems would be taken for a stem by the next check or master.
    stem_folders = {stem.path.resolve().parent for stem in source.stems if stem.path is not None}
    if out_dir.resolve() in stem_folders:
        raise OutputError(
            f"{out_dir}: holds the stems being mastered; the master's files would be read as stems next time",
            tip="choose another output folder with -o (the default is INPUT-master beside the input)",
        )


def _check_material(samples: Samples, sample_rate: int, label: str, warnings: list[str]) -> None:
    for start in range(0, samples.shape[1], _CHECK_FRAMES):
        if not np.isfinite(samples[:, start : start + _CHECK_FRAMES]).all():
            raise AnalysisError(f"{label}: holds NaN or infinite samples", tip="export the mix again")
    if samples.shape[1] == 0 or not np.any(samples):
        raise AnalysisError(f"{label}: is silent; there is nothing to master")
    duration = samples.shape[1] / sample_rate
    if duration < 0.4:
        raise AnalysisError(f"{label}: is {duration:.2f} s long; loudness needs at least 0.4 s", tip="master the whole song")
    if duration < SHORT_INPUT_S:
        warnings.append(f"{label}: only {duration:.1f} s long; its integrated loudness (and the target) mean little for so short a piece")
    runs = _clipped_runs(samples)
    if runs:
        warnings.append(f"{label}: clipped ({runs} runs of {CLIPPED_RUN_FRAMES}+ full-scale samples); mastering cannot restore them — ask for an unclipped mix if you can")


def master(
    source: str | Path | MasterInput,
    settings: MasterSettings,
    *,
    out_dir: str | Path,
    on_stage: StageCallback | None = None,
) -> MasterResult:
    """Master ``source`` with ``settings`` into ``out_dir``.

    Parameters
    ----------
    source : path or MasterInput
        A mix file, a folder of stems (a render folder or plain stem files), or a session.
    settings : MasterSettings
    out_dir : path
        Receives ``master.wav``, ``master-cd.wav``, ``master.flac``, ``master.mp3``,
        ``preview-before.wav``, ``preview-after.wav``, ``report.html`` and ``report.json``,
        all renamed into place together at the end.
    on_stage : callable, optional
        Called with each stage's name as it starts (progress display).

    Raises
    ------
    UsageError, AudioFormatError, AnalysisError, OutputError, InputNotFoundError
        For inputs or options that cannot be mastered; nothing is left in ``out_dir``.
    """
    # The unmastered mix is analysed in the background once the limiter's detector (which
    # uses both cores) is done; whatever happens, the analysis is let go at the end.
    detector_done = threading.Event()
    try:
        return _master(source, settings, out_dir=out_dir, on_stage=on_stage, detector_done=detector_done)
    finally:
        detector_done.set()


def _when(event: threading.Event, fn: Callable[..., _T], *args: Any) -> _T:
    event.wait()
    return fn(*args)


def _master(
    source: str | Path | MasterInput,
    settings: MasterSettings,
    *,
    detector_done: threading.Event,
    out_dir: str | Path,
    on_stage: StageCallback | None = None,
) -> MasterResult:
    """:func:`master`, with the event that releases the analysis of the unmastered mix."""
    started = time.perf_counter()
    tune_memory()  # one malloc arena, no huge pages, freed blocks reused: see stemforge.audio.heap
    use_one_blas_thread()  # the chain runs its matrix products on threads of its own
    notify = on_stage or (lambda _name: None)
    out_dir = Path(out_dir)
    warnings: list[str] = []
    src = source if isinstance(source, MasterInput) else open_input(source)
    from stemforge.mastering.report import OUTPUT_NAMES

    _refuse_overwriting_inputs(src, out_dir, OUTPUT_NAMES)
    rate = src.sample_rate
    label = str(src.path)
    # The reference is read and measured beside the input (NumPy, SciPy, libsndfile and
    # soxr release the GIL).
    reference_future = _BACKGROUND.submit(analyse_reference, Path(settings.reference)) if settings.reference is not None else None

    # The report's plotting library is imported meanwhile too (half a CPU-second, which
    # would otherwise fall while the MP3 encodes and every core is busy).
    _BACKGROUND.submit(_import_plotting)

    # -- 1. stem rebalance --------------------------------------------------------------
    notify("stems")
    if src.kind == "mix":
        if settings.stems:
            raise UsageError(f"--stem needs stems, but {src.path} is a mix file", tip="give a folder of stems or a session to rebalance stems")
        before = src.read_mix()
        bus = before
        rebalance = RebalanceStage(applied=False, stems=())
    else:
        summed = rebalance_stems(src, settings.stems, warnings=warnings)
        before, bus = summed.plain_mix, summed.mix
        rebalance = summed.stage
        del summed
    _check_material(before, rate, label, warnings)
    # The "before" analysis runs beside the chain (NumPy and SciPy release the GIL).
    before_analysis = _BACKGROUND.submit(_when, detector_done, analyze, AudioBuffer(before, rate))
    if bus is not before:
        _check_material(bus, rate, f"{label} (after the stem moves)", [])
    if before.shape[0] == 1:
        warnings.append(f"{label}: mono; mastered and delivered as mono")

    # -- 2. tonal EQ / reference matching -----------------------------------------------
    reference: Reference | None = None
    target_lufs = settings.target_lufs
    tonal = TonalStage(False, 0.0, settings.match_phase, 0, (), (), None, None, None)
    if settings.reference is not None:
        notify("reference")
        reference = reference_future.result() if reference_future is not None else analyse_reference(Path(settings.reference))
        if reference.sample_rate != rate:
            warnings.append(
                f"reference {reference.path.name} is at {reference.sample_rate} Hz and the input at {rate} Hz: "
                f"spectra compared up to {min(20000.0, 0.45 * min(rate, reference.sample_rate)) / 1000:.1f} kHz (no resampling needed)"
            )
        bus, tonal = match_reference(bus, rate, reference, amount_percent=settings.match_amount, phase=settings.match_phase)
        if settings.loudness_from_reference and reference.integrated_lufs is not None and settings.match_amount > 0:
            target_lufs = settings.target_lufs + settings.match_amount / 100.0 * (reference.integrated_lufs - settings.target_lufs)
            target_lufs = float(min(0.0, max(-40.0, target_lufs)))

    # -- 3. glue and width --------------------------------------------------------------
    glue = GlueStage(applied=False)
    if settings.glue:
        notify("glue")
        bus, glue = glue_compress(bus, rate)
    width = WidthStage(applied=False)
    if settings.width_percent != 100.0 or settings.mono_below_hz is not None:
        if bus.shape[0] != 2:
            warnings.append("width and mono-below need a stereo input; skipped")
        else:
            notify("width")
            bus, width = set_width(bus, rate, width_percent=settings.width_percent, mono_below_hz=settings.mono_below_hz)

    # The previews' excerpt: the loudest stretch of the limiter's input (the master's, as
    # limiting keeps the order of loudness). Cut now, the unmastered mix can go before the
    # limiter's work (memory).
    preview_start, preview_length = preview_window(bus, rate, length_s=settings.preview_s)
    preview_before = before[:, preview_start : preview_start + preview_length].copy()
    input_stage = InputStage(src.kind, str(src.path), rate, before.shape[0], before.shape[1], before.shape[1] / rate, tuple(s.name for s in src.stems))
    del before

    # -- 4 + 5. loudness and true-peak limiting -----------------------------------------
    outputs = StagedOutputs(out_dir)
    slow = SlowDeliverables(outputs=outputs, ceiling_dbtp=settings.ceiling_dbtp, kinds=settings.deliverables)
    try:
        notify("loudness")
        limiter = LimiterSettings(settings.ceiling_dbtp)
        # The CD's conversion and the MP3 start from the limited master while it is verified.
        level = reach_loudness(
            bus,
            rate,
            target_lufs=target_lufs,
            limiter=limiter,
            max_reduction_db=settings.max_reduction_db,
            on_candidate=slow.offer,
            on_detector=detector_done.set,
        )
        if not level.limit.reached_target:
            warnings.append(
                f"reaching {target_lufs:.1f} LUFS needs more than {settings.max_reduction_db:g} dB of limiting: the master reaches "
                f"{level.limit.output_lufs:.1f} LUFS at the {settings.ceiling_dbtp:+.1f} dBTP ceiling"
            )

        # -- 6. deliverables, previews, report --------------------------------------------
        notify("previews")
        preview_after = level.samples[:, preview_start : preview_start + preview_length]
        previews = match_previews(preview_before, preview_after, rate, start=preview_start)
        for name, samples in (("preview-before.wav", previews.before), ("preview-after.wav", previews.after)):
            sf.write(str(outputs.temp(name)), samples.T, rate, subtype="PCM_24", format="WAV")
        before_report = before_analysis.result()
        after_report = level.report or analyze(AudioBuffer(level.samples, rate))
        used = replace(settings, target_lufs=target_lufs)
        result = MasterResult(
            settings=used,
            input=input_stage,
            rebalance=rebalance,
            tonal=tonal,
            glue=glue,
            width=width,
            level=level,
            deliverables=(),
            before=before_report,
            after=after_report,
            reference=reference,
            previews=previews,
            out_dir=out_dir,
            files=(),
            warnings=tuple(warnings),
            seconds=0.0,
        )
        from stemforge.mastering.report import render_figures, write_reports

        figures: dict[str, bytes] = {}
        notify("deliverables")
        # The report's figures are drawn while the MP3 is encoded.
        deliverables = deliver(
            level,
            outputs=outputs,
            ceiling_dbtp=settings.ceiling_dbtp,
            kinds=settings.deliverables,
            seed=settings.seed,
            slow=slow,
            meanwhile=lambda: figures.update(render_figures(result)),
        )
        slow.close()
        for item in deliverables:
            if not item.within_ceiling:  # deliver() raises first; kept as a last line of defence
                raise AnalysisError(f"{item.file}: true peak {item.true_peak_dbtp:+.2f} dBTP is over the ceiling")
        notify("report")
        result = replace(result, deliverables=deliverables)
        write_reports(result, outputs, figures or None)
        files = outputs.commit()
    except BaseException:
        slow.close(abandon=True)
        outputs.discard()
        raise
    return replace(result, files=tuple(files), seconds=time.perf_counter() - started)


__all__ = ["InputStage", "MasterResult", "StemReport", "master"]
