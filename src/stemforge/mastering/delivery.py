"""Stage 6: deliverables — each one verified against the ceiling after its own conversion.

Sample-rate conversion and lossy encoding reshape the waveform, so inter-sample peaks can
grow after the master was limited: every deliverable is measured with the project's
true-peak meter *as it will be delivered* (the dithered integers, the decoded MP3) and
corrected when over:

- ``master.wav``: the input's rate, 24-bit, TPDF dither (never resampled);
- ``master.flac``: the same samples, FLAC 24-bit;
- ``master-cd.wav``: 44.1 kHz/16-bit — soxr very-high-quality SRC, re-limited at 44.1 kHz if
  the conversion pushed a peak over, then TPDF dither;
- ``master.mp3``: 320 kbit/s (LAME through pedalboard) from the float master at its rate
  (44.1 kHz when that rate is not an MP3 rate); decoded and measured, and when the codec's
  overshoot crosses the ceiling, its source is re-limited that much lower and encoded again.

All files go to temporary names in the output folder (:class:`StagedOutputs`) and are renamed
together when everything is written, so a failure leaves no file under a final name.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from pedalboard.io import AudioFile

from stemforge.audio.buffer import AudioBuffer, Samples
from stemforge.audio.resample import resample
from stemforge.errors import AnalysisError, OutputError
from stemforge.mastering.dither import to_float, tpdf_quantize
from stemforge.mastering.limiter import LimiterSettings, limit_true_peak
from stemforge.mastering.measure import measure_dbtp, measure_lufs, sample_peak_dbfs

#: Rate of the CD deliverable, in Hz.
CD_SAMPLE_RATE = 44100
#: Sample rates an MP3 can carry at 320 kbit/s (MPEG-1 Layer III).
MP3_RATES = (32000, 44100, 48000)
#: Bit rate of the MP3 deliverable, in kbit/s.
MP3_KBPS = 320
#: First headroom tried for the MP3's source below the ceiling (lossy overshoot), in dB.
MP3_FIRST_MARGIN_DB = 0.3
#: Headroom below the ceiling left for dither before 16-bit quantisation, in dB.
DITHER_MARGIN_DB = 0.01


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
    subtype = f"PCM_{bits}"
    if bits == 16:
        data = quantized.T.astype(np.int16)
    else:  # libsndfile takes the top 24 bits of int32 data
        data = (quantized.T.astype(np.int32) << 8)
    try:
        sf.write(str(path), data, sample_rate, subtype=subtype, format=container)
    except (OSError, sf.LibsndfileError, RuntimeError) as exc:
        raise OutputError(f"{path}: cannot be written ({exc})") from None


def _measure(kind: str, file: str, fmt: str, samples: Samples, sample_rate: int, bits: int | None, ceiling_dbtp: float, notes: list[str], *, true_peak: float | None = None) -> Deliverable:
    peak = measure_dbtp(samples, sample_rate) if true_peak is None else true_peak
    return Deliverable(
        kind=kind,
        file=file,
        format=fmt,
        sample_rate=sample_rate,
        bit_depth=bits,
        dither="TPDF" if bits is not None else None,
        integrated_lufs=measure_lufs(samples, sample_rate),
        true_peak_dbtp=peak,
        sample_peak_dbfs=sample_peak_dbfs(samples),
        within_ceiling=peak <= ceiling_dbtp,
        notes=tuple(notes),
    )


def _quantize_within(samples: Samples, sample_rate: int, *, bits: int, ceiling_dbtp: float, seed: int, notes: list[str]) -> tuple[np.ndarray, float]:
    """Dither to ``bits`` and lower the level until the integers are within the ceiling."""
    trim_db = 0.0
    for _ in range(4):
        source = samples if trim_db == 0.0 else samples * np.float32(10.0 ** (-trim_db / 20.0))
        quantized = tpdf_quantize(source, bits=bits, seed=seed)
        peak = measure_dbtp(to_float(quantized, bits=bits), sample_rate)
        if peak <= ceiling_dbtp:
            if trim_db:
                notes.append(f"lowered {trim_db:.3f} dB so the dithered {bits}-bit samples stay within the ceiling")
            return quantized, peak
        trim_db += peak - ceiling_dbtp + 0.005
    raise AnalysisError(f"could not keep the {bits}-bit deliverable within {ceiling_dbtp:+.2f} dBTP")


def deliver(
    master: Samples,
    sample_rate: int,
    *,
    outputs: StagedOutputs,
    ceiling_dbtp: float,
    limiter: LimiterSettings,
    kinds: tuple[str, ...],
    seed: int = 0,
    master_true_peak_dbtp: float | None = None,
) -> tuple[Deliverable, ...]:
    """Write and verify every deliverable in ``kinds``.

    Parameters
    ----------
    master : np.ndarray, float32, shape (channels, frames)
        The limited master, in floating point.
    sample_rate : int
        Its rate, in Hz (kept by ``master.wav`` and ``master.flac``).
    outputs : StagedOutputs
    ceiling_dbtp : float
    limiter : LimiterSettings
        For re-limiting a converted deliverable.
    kinds : tuple of str
        Which of ``master``, ``flac``, ``cd``, ``mp3``.
    seed : int
        Dither seed.
    """
    results: list[Deliverable] = []
    channels = master.shape[0]
    if "master" in kinds or "flac" in kinds:
        notes: list[str] = []
        q24, peak24 = _quantize_within(master, sample_rate, bits=24, ceiling_dbtp=ceiling_dbtp, seed=seed, notes=notes)
        as_float = to_float(q24, bits=24)
        for kind, name, container in (("master", "master.wav", "WAV"), ("flac", "master.flac", "FLAC")):
            if kind not in kinds:
                continue
            temp = outputs.temp(name)
            _write_pcm(temp, q24, sample_rate, bits=24, container=container)
            written, _rate = sf.read(str(temp), dtype="int32", always_2d=True)
            if not np.array_equal(written.T >> 8, q24):
                raise OutputError(f"{name}: the written samples differ from the master")
            results.append(_measure(kind, name, f"{container} PCM_24", as_float, sample_rate, 24, ceiling_dbtp, notes, true_peak=peak24))
        del as_float
    if "cd" in kinds:
        notes = []
        cd = master if sample_rate == CD_SAMPLE_RATE else resample(AudioBuffer(master, sample_rate), CD_SAMPLE_RATE).samples
        if sample_rate != CD_SAMPLE_RATE:
            notes.append(f"resampled {sample_rate} → {CD_SAMPLE_RATE} Hz (soxr, very high quality)")
        margin_ceiling = ceiling_dbtp - DITHER_MARGIN_DB
        peak = measure_dbtp(cd, CD_SAMPLE_RATE)
        if peak > margin_ceiling:
            relimited = limit_true_peak(cd, CD_SAMPLE_RATE, LimiterSettings(margin_ceiling, limiter.lookahead_ms, limiter.release_ms))
            notes.append(f"re-limited after conversion: it peaked at {peak:+.2f} dBTP (up to {relimited.max_reduction_db:.2f} dB of reduction)")
            cd = relimited.samples
        q16, peak16 = _quantize_within(cd, CD_SAMPLE_RATE, bits=16, ceiling_dbtp=ceiling_dbtp, seed=seed + 1, notes=notes)
        temp = outputs.temp("master-cd.wav")
        _write_pcm(temp, q16, CD_SAMPLE_RATE, bits=16, container="WAV")
        results.append(_measure("cd", "master-cd.wav", "WAV PCM_16", to_float(q16, bits=16), CD_SAMPLE_RATE, 16, ceiling_dbtp, notes, true_peak=peak16))
    if "mp3" in kinds:
        results.append(_deliver_mp3(master, sample_rate, outputs=outputs, ceiling_dbtp=ceiling_dbtp, limiter=limiter, channels=channels))
    return tuple(results)


def _deliver_mp3(master: Samples, sample_rate: int, *, outputs: StagedOutputs, ceiling_dbtp: float, limiter: LimiterSettings, channels: int) -> Deliverable:
    notes: list[str] = []
    rate = sample_rate if sample_rate in MP3_RATES else 44100
    source = master if rate == sample_rate else resample(AudioBuffer(master, sample_rate), rate).samples
    if rate != sample_rate:
        notes.append(f"resampled {sample_rate} → {rate} Hz for MP3")
    temp = outputs.temp("master.mp3")
    margin = MP3_FIRST_MARGIN_DB
    for _attempt in range(5):
        encoded_source = limit_true_peak(source, rate, LimiterSettings(ceiling_dbtp - margin, limiter.lookahead_ms, limiter.release_ms)).samples
        try:
            with AudioFile(str(temp), "w", rate, channels, quality=f"{MP3_KBPS}") as f:
                f.write(encoded_source)
            with AudioFile(str(temp)) as f:
                decoded = f.read(f.frames)
        except (OSError, RuntimeError, ValueError) as exc:
            raise OutputError(f"master.mp3: cannot be encoded ({exc})") from None
        peak = measure_dbtp(decoded, rate)
        if peak <= ceiling_dbtp:
            notes.append(f"source limited to {ceiling_dbtp - margin:+.2f} dBTP so the decoded MP3 stays within the ceiling")
            return _measure("mp3", "master.mp3", f"MP3 {MP3_KBPS} kbit/s", decoded.astype(np.float32), rate, None, ceiling_dbtp, notes, true_peak=peak)
        margin += peak - ceiling_dbtp + 0.05
    raise AnalysisError(f"could not keep the MP3 within {ceiling_dbtp:+.2f} dBTP")


__all__ = ["CD_SAMPLE_RATE", "Deliverable", "StagedOutputs", "deliver"]
