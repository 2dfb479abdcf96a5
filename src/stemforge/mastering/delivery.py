"""Stage 6: deliverables — each one verified against the ceiling after its own conversion.

Sample-rate conversion and lossy encoding reshape the waveform, so inter-sample peaks can
grow after the master was limited: every deliverable is measured with the project's
true-peak meter *as it will be delivered* (the dithered integers, the decoded MP3) and
corrected when over:

- ``master.wav``: the input's rate, 24-bit, TPDF dither (never resampled);
- ``master.flac``: the same samples, FLAC 24-bit (for both, the true peak is measured on the
  limited master and the dither's possible contribution bounded: at most 4·10⁻⁶ dB at
  24 bits; when that bound would cross the ceiling the dithered samples are measured);
- ``master-cd.wav``: 44.1 kHz/16-bit — soxr very-high-quality SRC, then TPDF dither; when
  the converted file peaks over, it is trimmed (up to 0.1 dB) or limited again at 44.1 kHz;
- ``master.mp3``: 320 kbit/s (LAME: ffmpeg's, else pedalboard's; see :mod:`.mp3`) from the float master at its rate
  (44.1 kHz when that rate is not an MP3 rate); decoded and measured, and when the codec's
  overshoot crosses the ceiling, its source is re-limited that much lower and encoded again.

All files go to temporary names in the output folder (:class:`StagedOutputs`) and are renamed
together when everything is written, so a failure leaves no file under a final name.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import soundfile as sf

from stemforge.analysis import LoudnessReport, integrated_loudness, true_peak_dbtp
from stemforge.analysis.truepeak import interpolation_filter, oversampling_factor
from stemforge.audio.buffer import Samples
from stemforge.audio.resample import StreamResampler
from stemforge.errors import AnalysisError, OutputError
from stemforge.mastering.dither import to_float, tpdf_frames, tpdf_quantize
from stemforge.mastering.limiter import (
    DEFAULT_MARGIN_DB,
    GainedSource,
    LimiterSettings,
    envelope_db,
    linear_gain,
    reduction_curve,
    true_peak_envelope,
)
from stemforge.mastering.loudness import Candidate, LevelResult, limited_source
from stemforge.mastering.measure import measure_lufs_dbtp, sample_peak_dbfs
from stemforge.mastering.mp3 import encode_and_measure_mp3

_T = TypeVar("_T")

#: Rate of the CD deliverable, in Hz.
CD_SAMPLE_RATE = 44100
#: Sample rates an MP3 can carry at 320 kbit/s (MPEG-1 Layer III).
MP3_RATES = (32000, 44100, 48000)
#: Bit rate of the MP3 deliverable, in kbit/s.
MP3_KBPS = 320
#: First headroom tried for the MP3's source below the ceiling (lossy overshoot), in dB;
#: more when the CD's conversion shows the master's peaks rise more (MP3_OVER_SRC_DB).
MP3_FIRST_MARGIN_DB = 0.8
#: First headroom tried beyond the true-peak rise of a conversion to 44.1 kHz, in dB.
MP3_OVER_SRC_DB = 0.3


@dataclass(frozen=True)
class Deliverable:
    """One delivered file and its measurements.

    Attributes
    ----------
    kind : str
        ``master``, ``flac``, ``cd`` or ``mp3``.
    file : str
        File name inside the output folder.
    format : str
        Container and encoding (``WAV PCM_24``, ``MP3 320 kbit/s`` ...).
    sample_rate : int
    bit_depth : int or None
        None for MP3.
    dither : str or None
        ``"TPDF"`` when the word length was reduced with dither.
    integrated_lufs : float or None
    true_peak_dbtp : float
    sample_peak_dbfs : float
    within_ceiling : bool
    notes : tuple of str
        Corrections made for this deliverable (re-limiting after SRC or encoding).
    """

    kind: str
    file: str
    format: str
    sample_rate: int
    bit_depth: int | None
    dither: str | None
    integrated_lufs: float | None
    true_peak_dbtp: float
    sample_peak_dbfs: float
    within_ceiling: bool
    notes: tuple[str, ...] = ()


class StagedOutputs:
    """Files written under temporary names in ``out_dir``, renamed together by :meth:`commit`."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._staged: list[tuple[Path, Path]] = []
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{out_dir}: cannot create the output folder ({exc.strerror})") from None

    def temp(self, name: str) -> Path:
        """A temporary path for the output called ``name`` (same suffix, hidden name)."""
        final = self.out_dir / name
        temp = self.out_dir / f".{final.stem}.partial-{os.getpid()}-{secrets.token_hex(4)}{final.suffix}"
        self._staged.append((temp, final))
        return temp

    def drop(self, temp: Path) -> None:
        """Remove the staged file ``temp`` (a result that will not be delivered)."""
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        self._staged = [(t, f) for t, f in self._staged if t != temp]

    def commit(self) -> list[Path]:
        """Rename every staged file onto its final name (in the order staged)."""
        done = []
        try:
            for temp, final in self._staged:
                os.replace(temp, final)
                done.append(final)
        except OSError as exc:
            self.discard()
            raise OutputError(f"{self.out_dir}: cannot finish writing ({exc.strerror})") from None
        self._staged.clear()
        return done

    def discard(self) -> None:
        """Remove every temporary file not yet committed."""
        for temp, _final in self._staged:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        self._staged.clear()


def _write_pcm(path: Path, quantized: np.ndarray, sample_rate: int, *, bits: int, container: str) -> None:
    """Write integer samples block by block (memory stays at one block)."""
    subtype = f"PCM_{bits}"
    options = {"compression_level": 0.0} if container == "FLAC" else {}  # FLAC: fastest level, still lossless
    step = 1 << 18
    try:
        with sf.SoundFile(str(path), "w", samplerate=sample_rate, channels=quantized.shape[0], subtype=subtype, format=container, **options) as f:
            for start in range(0, quantized.shape[1], step):
                block = quantized[:, start : start + step].T
                # libsndfile takes the top 24 bits of int32 data.
                f.write(np.ascontiguousarray(block.astype(np.int16) if bits == 16 else block << 8))
    except (OSError, sf.LibsndfileError, RuntimeError) as exc:
        raise OutputError(f"{path}: cannot be written ({exc})") from None


def _write_dithered(targets: list[tuple[Path, str]], samples: Samples, sample_rate: int, *, bits: int, seed: int) -> None:
    """Dither ``samples`` to ``bits`` a block at a time and write each block to every target.

    ``targets`` are ``(path, container)`` pairs (``WAV`` or ``FLAC``): the same integers go to
    each, and only one block of them is ever held.
    """
    subtype = f"PCM_{bits}"
    files: list[sf.SoundFile] = []
    path = targets[0][0]
    try:
        with contextlib.ExitStack() as stack:
            for path, container in targets:
                options = {"compression_level": 0.0} if container == "FLAC" else {}  # FLAC: fastest level, still lossless
                files.append(stack.enter_context(sf.SoundFile(str(path), "w", samplerate=sample_rate, channels=samples.shape[0], subtype=subtype, format=container, **options)))
            # interleaved as written; libsndfile takes the top 24 bits of int32 data
            for data in tpdf_frames(samples, bits=bits, seed=seed, shift=8 if bits == 24 else 0):
                for f in files:
                    path = Path(f.name)
                    f.write(data)
    except (OSError, sf.LibsndfileError, RuntimeError) as exc:
        raise OutputError(f"{path}: cannot be written ({exc})") from None


def _resample(samples: Samples | GainedSource, rate_in: int, rate_out: int) -> Samples:
    """soxr very-high-quality SRC, block by block into one (C-ordered) output array.

    soxr gives ``round(frames · rate_out / rate_in)`` frames; should it give more they are
    dropped, fewer and the rest stays silent.
    """
    stream = StreamResampler(rate_in, rate_out, samples.shape[0])
    total = round(samples.shape[1] * rate_out / rate_in)
    out = np.zeros((samples.shape[0], total), np.float32)
    position = 0
    step = 1 << 18
    for start in range(0, samples.shape[1], step):
        part = stream.process(samples[:, start : start + step], last=start + step >= samples.shape[1])
        take = min(part.shape[1], total - position)
        out[:, position : position + take] = part[:, :take]
        position += take
    return out


_meter = measure_lufs_dbtp

#: Niceness added to the threads that work beside the MP3 encoder (see behind_the_encoder).
BESIDE_ENCODER_NICENESS = 10


def behind_the_encoder() -> None:
    """Lower the calling thread's scheduling priority a little (Linux; elsewhere nothing).

    The MP3 encoder (LAME, one thread) is the master's longest path: it starts with the
    limiter's first result and everything else fits beside it. Sharing a core evenly with
    the conversions and writes, it ran on alone after them with the other core idle (~1.4 s
    of a 4-minute master); threads working beside it now give it way, and fill the idle
    core instead. Only threads of pools that end with the master (or do only its
    background work) are lowered: their priority is never raised again.
    """
    try:
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + BESIDE_ENCODER_NICENESS))
    except (AttributeError, OSError):  # not Linux, or not allowed: the work is the same
        pass


def _deliverable(kind: str, file: str, fmt: str, samples: Samples, sample_rate: int, bits: int | None, ceiling_dbtp: float, notes: list[str], *, lufs: float | None, peak: float) -> Deliverable:
    return Deliverable(
        kind=kind,
        file=file,
        format=fmt,
        sample_rate=sample_rate,
        bit_depth=bits,
        dither="TPDF" if bits is not None else None,
        integrated_lufs=lufs,
        true_peak_dbtp=peak,
        sample_peak_dbfs=sample_peak_dbfs(samples),
        within_ceiling=peak <= ceiling_dbtp,
        notes=tuple(notes),
    )


def dither_peak_bound_dbtp(peak_dbtp: float, *, bits: int, sample_rate: int) -> float:
    """Largest true peak that ``bits``-bit TPDF-dithered samples of a signal peaking at ``peak_dbtp`` can have.

    The meter is linear: the dithered signal's interpolated values are the original's plus
    the interpolated error, whose magnitude is at most ``sum |h|`` (the meter's polyphase
    branch gain) times the largest error, 1.5 LSB (±1 LSB of TPDF, ±0.5 of rounding).
    """
    factor = oversampling_factor(sample_rate)
    h = interpolation_filter(factor)
    gain = max(1.0, float(np.abs(np.stack([h[p::factor] for p in range(factor)])).sum(axis=1).max()))
    error = gain * 1.5 * 2.0 ** -(bits - 1)
    return 20.0 * math.log10(10.0 ** (peak_dbtp / 20.0) + error)


def _master_24(level: LevelResult, *, outputs: StagedOutputs, writer: ThreadPoolExecutor, ceiling_dbtp: float, kinds: tuple[str, ...], seed: int) -> tuple[list[Deliverable], list[Future[None]]]:
    rate = level.sample_rate
    notes: list[str] = []
    samples = level.samples
    peak = level.limit.output_true_peak_dbtp
    lufs: float | None = level.limit.output_lufs
    bound = dither_peak_bound_dbtp(peak, bits=24, sample_rate=rate)
    q24 = None  # made (and measured) only when the dither could cross the ceiling
    if bound <= ceiling_dbtp:
        notes.append(f"true peak measured before dither; the 24-bit dither can add at most {bound - peak:.6f} dB")
    else:
        q24 = tpdf_quantize(samples, bits=24, seed=seed)
        for _attempt in range(4):
            lufs, peak = _meter(to_float(q24, bits=24), rate)
            if peak <= ceiling_dbtp:
                break
            trim = peak - ceiling_dbtp + 0.005
            notes.append(f"lowered {trim:.3f} dB so the dithered 24-bit samples stay within the ceiling")
            samples = samples * np.float32(10.0 ** (-trim / 20.0))
            q24 = tpdf_quantize(samples, bits=24, seed=seed)
        else:
            raise AnalysisError(f"could not keep the 24-bit master within {ceiling_dbtp:+.2f} dBTP")
    results, targets = [], []
    for kind, name, container in (("master", "master.wav", "WAV"), ("flac", "master.flac", "FLAC")):
        if kind not in kinds:
            continue
        targets.append((outputs.temp(name), container))
        results.append(_deliverable(kind, name, f"{container} PCM_24", samples, rate, 24, ceiling_dbtp, notes, lufs=lufs, peak=peak))
    if q24 is None:
        writes = [writer.submit(_write_dithered, targets, samples, rate, bits=24, seed=seed)]
    else:
        writes = [writer.submit(_write_pcm, path, q24, rate, bits=24, container=container) for path, container in targets]
    return results, writes


def _after(gate: Future[None], fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """``fn(*args, **kwargs)`` once ``gate`` is done."""
    gate.result()
    return fn(*args, **kwargs)


def _cd_convert(samples: Samples, sample_rate: int, *, rise: Future[float | None], nominal_peak_dbtp: float) -> tuple[Samples, float | None, float]:
    """``samples`` at the CD's rate, None (the loudness, left to :func:`_cd`) and their true peak (dBTP).

    ``rise`` is set, as soon as the true peak is known, to how far it lies above
    ``nominal_peak_dbtp`` (what the master peaks at): it sets the MP3's first headroom.
    """
    try:
        cd = samples if sample_rate == CD_SAMPLE_RATE else _resample(samples, sample_rate, CD_SAMPLE_RATE)
        peak = true_peak_dbtp(cd, CD_SAMPLE_RATE)
        rise.set_result(peak - nominal_peak_dbtp)
        # The loudness is measured by _cd: after its corrections, when it makes any.
        return cd, None, peak
    finally:
        if not rise.done():
            rise.set_result(None)


def _cd(level: LevelResult, converted: tuple[Samples, float | None, float], *, outputs: StagedOutputs, writer: ThreadPoolExecutor, ceiling_dbtp: float, seed: int) -> tuple[Deliverable, Future[None]]:
    rate = level.sample_rate
    notes: list[str] = []
    if rate != CD_SAMPLE_RATE:
        notes.append(f"resampled {rate} → {CD_SAMPLE_RATE} Hz (soxr, very high quality)")
    cd, lufs, peak = converted
    del converted
    # The dither may add up to ``allowance`` dB to the true peak (a bound, see
    # dither_peak_bound_dbtp): the converted signal is kept that much under the ceiling.
    allowance = dither_peak_bound_dbtp(ceiling_dbtp, bits=16, sample_rate=CD_SAMPLE_RATE) - ceiling_dbtp
    target = ceiling_dbtp - allowance
    for attempt in range(4):
        if attempt:
            lufs, peak = _meter(cd, CD_SAMPLE_RATE)
        if peak <= target:
            if lufs is None:
                lufs = integrated_loudness(cd, CD_SAMPLE_RATE)
            break
        over = peak - target
        if over <= 0.1:
            # SRC moved a peak a little: a trim costs less loudness than it is worth limiting for.
            trim = over + 0.002
            cd = cd * np.float32(10.0 ** (-trim / 20.0))
            notes.append(f"the converted file peaked at {peak:+.3f} dBTP: lowered {trim:.3f} dB")
        else:
            # The conversion reshaped the peaks (a limited master's content above 20 kHz is
            # filtered out, and the waveform rings): limit the converted signal itself.
            settings = LimiterSettings(target - 0.005, level.limiter.lookahead_ms, level.limiter.release_ms)
            # Only frames near the ceiling can need more reduction: interpolate just those
            # (the meter's measurement on the next turn catches anything missed).
            near = true_peak_envelope(cd, CD_SAMPLE_RATE, floor=10.0 ** ((settings.ceiling_dbtp - 0.5) / 20.0))
            # Measured by the next turn of this loop (true peak and loudness only; the
            # limiter's own verification would also compute the report's series and spectrum).
            reduction = reduction_curve(
                envelope_db(near, in_place=True), CD_SAMPLE_RATE, threshold_db=settings.ceiling_dbtp - DEFAULT_MARGIN_DB, lookahead_ms=settings.lookahead_ms, release_ms=settings.release_ms
            )
            del near
            if cd is level.samples:
                cd = cd.copy()  # a 44.1 kHz master: the CD file is limited apart from it
            # In place, a block at a time: the converted signal is this function's own.
            for start in range(0, cd.shape[1], 1 << 18):
                cd[:, start : start + (1 << 18)] *= linear_gain(0.0, reduction[start : start + (1 << 18)])
            notes.append(f"the converted file peaked at {peak:+.2f} dBTP: limited again at 44.1 kHz (up to {float(reduction.max(initial=0.0)):.2f} dB)")
            del reduction
    else:
        raise AnalysisError(f"could not keep the 16-bit CD master within {ceiling_dbtp:+.2f} dBTP")
    bound = dither_peak_bound_dbtp(peak, bits=16, sample_rate=CD_SAMPLE_RATE)
    notes.append(f"true peak measured before dither; the 16-bit dither can add at most {bound - peak:.4f} dB (up to {bound:+.3f} dBTP)")
    write = writer.submit(_write_dithered, [(outputs.temp("master-cd.wav"), "WAV")], cd, CD_SAMPLE_RATE, bits=16, seed=seed + 1)
    return _deliverable("cd", "master-cd.wav", "WAV PCM_16", cd, CD_SAMPLE_RATE, 16, ceiling_dbtp, notes, lufs=lufs, peak=peak), write


class _Either:
    """Set when either event is (the ``cancel`` an encoder run checks between blocks)."""

    def __init__(self, first: threading.Event | None, second: threading.Event) -> None:
        self.events = [e for e in (first, second) if e is not None]

    def is_set(self) -> bool:
        return any(e.is_set() for e in self.events)


def _mp3(
    level: LevelResult | Candidate, *, temp: Path, ceiling_dbtp: float, src_rise: Future[float | None], limited: Future[None], stop: threading.Event | None = None
) -> Deliverable:
    try:
        return _mp3_attempts(level, temp=temp, ceiling_dbtp=ceiling_dbtp, src_rise=src_rise, limited=limited, stop=stop or threading.Event())
    finally:
        if not limited.done():
            limited.set_result(None)


def _mp3_attempts(
    level: LevelResult | Candidate, *, temp: Path, ceiling_dbtp: float, src_rise: Future[float | None], limited: Future[None], stop: threading.Event
) -> Deliverable:
    notes: list[str] = []
    rate = level.sample_rate if level.sample_rate in MP3_RATES else 44100
    if rate != level.sample_rate:
        notes.append(f"resampled {level.sample_rate} → {rate} Hz for MP3")
    margin = MP3_FIRST_MARGIN_DB
    # The codec low-passes near 20 kHz, as the CD's conversion does: a master whose peaks rise
    # more through that conversion rises more through the codec too (by 0.47 and 0.76 dB
    # through SRC, 0.62 and 0.92 dB through LAME on the bench's two masters). Starting with
    # that much headroom spares a second encoding of the whole song, the slowest step.
    # The MP3 is the last deliverable to finish, so it does not wait for that measurement:
    # it starts with the first headroom and, if the CD conversion's rise then asks for more
    # while it is still encoding, stops and starts again with that.
    needs_more = threading.Event()

    def check_rise(measured: Future[float | None]) -> None:
        rise = measured.result() if not measured.cancelled() and measured.exception() is None else None
        if rise is not None and rise + MP3_OVER_SRC_DB > MP3_FIRST_MARGIN_DB:
            needs_more.set()

    src_rise.add_done_callback(check_rise)
    report: LoudnessReport | None = None
    def take_rise() -> float:
        rise = float(src_rise.result() or 0.0)  # set: needs_more is only set for a measured rise
        notes.append(f"the CD conversion raised the true peak {rise:.2f} dB: first headroom {rise + MP3_OVER_SRC_DB:.2f} dB")
        return rise + MP3_OVER_SRC_DB

    speculative = True  # the first headroom, until the rise is known
    for _attempt in range(6):
        if speculative and needs_more.is_set():
            margin, speculative = take_rise(), False
        # Not verified here: what counts is the decoded MP3, measured below.
        source: Samples | GainedSource = limited_source(level, ceiling_dbtp - margin)
        if rate != level.sample_rate:
            source = _resample(source, level.sample_rate, rate)
        if not limited.done():
            limited.set_result(None)
        report = encode_and_measure_mp3(source, rate, temp, kbps=MP3_KBPS, cancel=_Either(needs_more if speculative else None, stop))
        del source
        if stop.is_set():
            raise OutputError("master.mp3: not finished (the master was stopped)")
        if report is None:  # stopped: the CD conversion's rise asks for more headroom
            margin, speculative = take_rise(), False
            continue
        speculative = False
        peak = -math.inf if report.true_peak_dbtp is None else float(report.true_peak_dbtp)
        if peak <= ceiling_dbtp:
            notes.append(f"source limited to {ceiling_dbtp - margin:+.2f} dBTP so the decoded MP3 stays within the ceiling")
            return Deliverable(
                kind="mp3",
                file="master.mp3",
                format=f"MP3 {MP3_KBPS} kbit/s",
                sample_rate=rate,
                bit_depth=None,
                dither=None,
                integrated_lufs=report.integrated_lufs,
                true_peak_dbtp=peak,
                sample_peak_dbfs=report.sample_peak_dbfs,
                within_ceiling=True,
                notes=tuple(notes),
            )
        margin += peak - ceiling_dbtp + 0.1
    raise AnalysisError(f"could not keep the MP3 within {ceiling_dbtp:+.2f} dBTP")


class _Job:
    """The slow deliverables' work for one candidate master."""

    def __init__(self, candidate: Candidate) -> None:
        self.candidate = candidate
        self.converted: Future[tuple[Samples, float | None, float]] | None = None
        self.mp3: Future[Deliverable] | None = None
        self.mp3_temp: Path | None = None
        #: Set when the MP3's source is limited: the CD is limited again only after, so that
        #: two limiters' working memory never adds up.
        self.limited: Future[None] = Future()
        #: True-peak rise of the CD's conversion over the master's (None: not measured).
        self.rise: Future[float | None] = Future()
        self.delivered = False


class SlowDeliverables:
    """The CD's sample-rate conversion and the MP3, started early on a thread of their own.

    They are the slowest deliverables (LAME alone takes about 3 CPU-seconds for 4 minutes),
    so :func:`~stemforge.mastering.pipeline.master` hands them every limited result the
    moment it exists (:meth:`offer`, from ``reach_loudness``'s ``on_candidate``): the CD's
    conversion and the MP3's encoding then run while the meter verifies that result and
    the 24-bit files are written. A result that the meter sends back (rare: the limiter
    keeps some headroom for that) is replaced by the next offer; the MP3 is reused when the
    gain did not change, otherwise made again, and unused files are removed.

    Parameters
    ----------
    outputs : StagedOutputs
    ceiling_dbtp : float
    kinds : tuple of str
        The deliverables asked for (only ``cd`` and ``mp3`` concern this class).
    """

    def __init__(self, *, outputs: StagedOutputs, ceiling_dbtp: float, kinds: tuple[str, ...]) -> None:
        self.outputs = outputs
        self.ceiling_dbtp = ceiling_dbtp
        self.kinds = kinds
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stemforge-mp3")
        self._converter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stemforge-cd", initializer=behind_the_encoder)
        self._jobs: list[_Job] = []
        #: Set by close(abandon=True): an encoder still running stops at its next block.
        self._stop = threading.Event()

    def offer(self, candidate: Candidate) -> None:
        """Start the MP3 (for a new gain) and the CD's conversion from ``candidate``.

        The MP3 is the longest path (its source, then the encoder), so its source is limited
        first, with a core to itself: the CD's conversion and the caller (the meter's
        verification of the candidate) wait for it — they have time to spare while LAME runs.
        """
        if self._jobs and self._jobs[-1].candidate.samples is candidate.samples:
            return
        job = _Job(candidate)
        if "mp3" in self.kinds:
            same_gain = next((j for j in self._jobs if j.mp3 is not None and j.candidate.gain_db == candidate.gain_db), None)
            if same_gain is not None:
                job.mp3, job.mp3_temp, job.limited = same_gain.mp3, same_gain.mp3_temp, same_gain.limited
                same_gain.mp3 = same_gain.mp3_temp = None
            else:
                job.mp3_temp = self.outputs.temp("master.mp3")
                job.mp3 = self._pool.submit(
                    _mp3, candidate, temp=job.mp3_temp, ceiling_dbtp=self.ceiling_dbtp, src_rise=job.rise, limited=job.limited, stop=self._stop
                )
        else:
            job.limited.set_result(None)
        if "cd" in self.kinds:
            # The candidate peaks between DEFAULT_MARGIN_DB under the ceiling and the ceiling
            # (the gain curve's modulation adds a few hundredths): the middle, as its peak.
            nominal = self.ceiling_dbtp - DEFAULT_MARGIN_DB / 2
            job.converted = self._converter.submit(
                _after, job.limited, _cd_convert, candidate.samples, candidate.sample_rate, rise=job.rise, nominal_peak_dbtp=nominal
            )
        else:
            job.rise.set_result(None)
        earlier = [j for j in self._jobs if j.mp3 is not None and not j.mp3.done()]
        self._jobs.append(job)
        if not earlier:  # else its MP3 waits behind an earlier one: no point holding the caller
            job.limited.result()

    def job_for(self, level: LevelResult) -> _Job:
        """The job started for ``level``'s samples (started now if none was)."""
        for job in self._jobs:
            if job.candidate.samples is level.samples:
                return job
        self.offer(Candidate(level.samples, level.gain.gain_db, level.source, level.level_db, level.limiter, level.sample_rate))
        return self._jobs[-1]

    def close(self, *, abandon: bool = False) -> None:
        """Wait for work still running and remove the files of results not delivered.

        ``abandon`` (the master failed or was interrupted): an MP3 still encoding stops at
        its next block instead of running to the end.
        """
        if abandon:
            self._stop.set()
        for job in self._jobs:
            if job.mp3 is not None:
                with contextlib.suppress(Exception):
                    job.mp3.result()
        self._pool.shutdown(wait=True)
        self._converter.shutdown(wait=True)
        for job in self._jobs:
            if job.mp3_temp is not None and job.mp3 is not None and not job.delivered:
                self.outputs.drop(job.mp3_temp)
        self._jobs.clear()


def deliver(
    level: LevelResult,
    *,
    outputs: StagedOutputs,
    ceiling_dbtp: float,
    kinds: tuple[str, ...],
    seed: int = 0,
    slow: SlowDeliverables | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> tuple[Deliverable, ...]:
    """Write and verify every deliverable in ``kinds``.

    The CD's conversion and the MP3 (the slowest: an encoder run per attempt) are made on
    a second thread (:class:`SlowDeliverables`, usually started before the master was
    verified), and files are written on a third (libsndfile, soxr and LAME release the
    GIL), while the PCM deliverables are made on this one.

    Parameters
    ----------
    level : LevelResult
        The limited master and what made it (for limiting a deliverable again, lower).
    outputs : StagedOutputs
    ceiling_dbtp : float
    kinds : tuple of str
        Which of ``master``, ``flac``, ``cd``, ``mp3``.
    seed : int
        Dither seed.
    slow : SlowDeliverables, optional
        The one ``reach_loudness`` was offering candidates to (else one is made and closed here).
    meanwhile : callable, optional
        Called once the PCM files are written, before waiting for the MP3.
    """
    own = slow is None
    slow = slow or SlowDeliverables(outputs=outputs, ceiling_dbtp=ceiling_dbtp, kinds=kinds)
    results: list[Deliverable] = []
    writes: list[Future[None]] = []
    try:
        job = slow.job_for(level)
        job.delivered = True
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stemforge-write", initializer=behind_the_encoder) as writer:
            try:
                # The 24-bit files first, while the CD's conversion runs and the MP3's source
                # is limited; the CD's own limiting afterwards, while the MP3 is encoded.
                if "master" in kinds or "flac" in kinds:
                    made, pending = _master_24(level, outputs=outputs, writer=writer, ceiling_dbtp=ceiling_dbtp, kinds=kinds, seed=seed)
                    results.extend(made)
                    writes.extend(pending)
                if job.converted is not None:
                    future, job.converted = job.converted, None
                    owned = [future.result()]
                    del future  # _cd owns the converted array (and may limit it in place)
                    job.limited.result()
                    cd, pending_cd = _cd(level, owned.pop(), outputs=outputs, writer=writer, ceiling_dbtp=ceiling_dbtp, seed=seed)
                    results.append(cd)
                    writes.append(pending_cd)
            finally:
                for write in writes:
                    write.result()
        if meanwhile is not None:
            meanwhile()
        if job.mp3 is not None:
            results.append(job.mp3.result())
    finally:
        if own:
            slow.close()
    return tuple(results)


__all__ = ["CD_SAMPLE_RATE", "Deliverable", "SlowDeliverables", "StagedOutputs", "deliver", "dither_peak_bound_dbtp"]
