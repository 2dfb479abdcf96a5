"""MP3 encoding and decoding for the ``master.mp3`` deliverable.

With ffmpeg on ``PATH`` the encoder (libmp3lame, CBR) and the decoder run as ffmpeg
subprocesses: they run on another core without holding the interpreter's lock, so the
other deliverables are made meanwhile, and ffmpeg's decoder is about twice as fast as
pedalboard's. The encoder runs LAME at algorithm quality 5 (``-compression_level 5``), which
costs the same CPU as pedalboard's encoder (3.2 CPU-s for 4 minutes of stereo at 48 kHz;
ffmpeg's default costs 4.1). Without ffmpeg, pedalboard's LAME is used (same bit rate). Either way the
decoded samples go block by block into the project's meter: memory stays at one block.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import shutil
import subprocess
import threading
from pathlib import Path
from typing import IO, Protocol

import numpy as np
from pedalboard.io import AudioFile

from stemforge.analysis import LoudnessMeter, LoudnessReport
from stemforge.audio.buffer import Samples
from stemforge.errors import OutputError
from stemforge.mastering.limiter import GainedSource


class _Flag(Protocol):
    """What ``cancel`` must offer (a ``threading.Event`` does)."""

    def is_set(self) -> bool: ...


#: Frames per block written to the encoder and read from the decoder.
BLOCK_FRAMES = 1 << 17
#: Frames LAME's encoder (576) and the MPEG decoder (529) put before the first sample of a
#: stream that carries no LAME header (the one piped to the decoder while the file is written).
CODEC_DELAY_FRAMES = 1105


def _ffmpeg() -> str | None:
    return shutil.which("ffmpeg")


def _fail(reason: str) -> OutputError:
    return OutputError(f"master.mp3: cannot be encoded ({reason})")


def encode_mp3(samples: Samples | GainedSource, sample_rate: int, path: Path, *, kbps: int) -> None:
    """Encode float32 ``samples`` (channels, frames) at ``sample_rate`` Hz to a CBR MP3 at ``path``."""
    channels = samples.shape[0]
    ffmpeg = _ffmpeg()
    try:
        if ffmpeg is None:
            with AudioFile(str(path), "w", sample_rate, channels, quality=f"{kbps}") as f:
                for start in range(0, samples.shape[1], BLOCK_FRAMES):
                    f.write(np.ascontiguousarray(samples[:, start : start + BLOCK_FRAMES]))
            return
        cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "f32le", "-ar", str(sample_rate), "-ac", str(channels), "-i", "pipe:0",
               "-c:a", "libmp3lame", "-b:a", f"{kbps}k", "-compression_level", "5", "-f", "mp3", str(path)]  # fmt: skip
        with subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proc:
            if proc.stdin is None or proc.stderr is None:
                raise _fail("ffmpeg has no pipes")
            try:
                for start in range(0, samples.shape[1], BLOCK_FRAMES):
                    proc.stdin.write(np.ascontiguousarray(samples[:, start : start + BLOCK_FRAMES].T, dtype="<f4").tobytes())
            except BrokenPipeError:
                pass  # the encoder stopped: its message is read below
            proc.stdin.close()
            message = proc.stderr.read().decode(errors="replace").strip()
            if proc.wait() != 0:
                raise _fail(message or f"ffmpeg exited with {proc.returncode}")
    except (OSError, RuntimeError, ValueError) as exc:
        raise _fail(str(exc)) from None


def encode_and_measure_mp3(samples: Samples | GainedSource, sample_rate: int, path: Path, *, kbps: int, cancel: _Flag | None = None) -> LoudnessReport | None:
    """Encode ``samples`` to a CBR MP3 at ``path`` and measure the decoded MP3 meanwhile.

    With ffmpeg, one encoder writes the file and, through ffmpeg's ``tee`` muxer, the same
    MP3 frames to a decoder whose samples go block by block into the project's meter while
    the encoding runs (the file is byte for byte what a plain encode writes). The piped
    stream has no LAME header, so its first :data:`CODEC_DELAY_FRAMES` frames (the codec's
    delay) are skipped and it is cut to the input's length: the meter sees exactly what a
    decoder of the file outputs. Without ffmpeg: :func:`encode_mp3`, then :func:`measure_mp3`.

    When ``cancel`` is set during the encoding, the encoder is fed no more and None is
    returned (the file at ``path`` is then incomplete).
    """
    channels, frames = samples.shape
    ffmpeg = _ffmpeg()
    if ffmpeg is None:
        encode_mp3(samples, sample_rate, path, kbps=kbps)
        return measure_mp3(path, channels=channels)
    # Run in the output folder so that the tee muxer sees a plain file name (its syntax gives
    # meaning to characters a folder's path may hold).
    encode = [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "f32le", "-ar", str(sample_rate), "-ac", str(channels), "-i", "pipe:0",
              "-map", "0:a", "-c:a", "libmp3lame", "-b:a", f"{kbps}k", "-compression_level", "5", "-f", "tee", f"[f=mp3]{path.name}|[f=mp3]pipe:1"]  # fmt: skip
    decode = [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-f", "mp3", "-i", "pipe:0", "-f", "f32le", "-ac", str(channels), "pipe:1"]
    # Loudness and true peak by the meter; the sample peak (all the report needs of the
    # sample statistics) kept here.
    meter = LoudnessMeter(sample_rate, channels, spectrum=False, levels=False)
    sample_peak = [0.0]
    failure: list[BaseException] = []
    try:
        with subprocess.Popen(encode, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=path.parent) as enc:
            with subprocess.Popen(decode, stdin=enc.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as dec:
                if enc.stdin is None or enc.stdout is None or dec.stdout is None:
                    raise _fail("ffmpeg has no pipes")
                enc.stdout.close()  # the decoder holds it now: it sees the end when the encoder exits
                feeder = threading.Thread(target=_feed, args=(enc.stdin, samples, failure, cancel), name="stemforge-mp3-feed", daemon=True)
                feeder.start()
                _meter_stream(dec.stdout, meter, channels, skip=CODEC_DELAY_FRAMES, frames=frames, peak=sample_peak)
                feeder.join()
                dec_message = dec.stderr.read().decode(errors="replace").strip() if dec.stderr else ""
                dec_code = dec.wait()
            enc_message = enc.stderr.read().decode(errors="replace").strip() if enc.stderr else ""
            enc_code = enc.wait()
            if cancel is not None and cancel.is_set() and meter.frames < frames:
                return None  # stopped early: what the processes said of a cut stream does not matter
            if enc_code != 0:
                raise _fail(enc_message or f"ffmpeg exited with {enc.returncode}")
        if dec_code != 0:
            raise OutputError(f"master.mp3: cannot be decoded to verify it ({dec_message or dec_code})")
    except (OSError, RuntimeError, ValueError) as exc:
        raise _fail(str(exc)) from None
    if failure and not isinstance(failure[0], BrokenPipeError):
        raise _fail(str(failure[0]))
    report = meter.result()
    return dataclasses.replace(report, sample_peak_dbfs=20.0 * math.log10(sample_peak[0]) if sample_peak[0] > 0 else -math.inf)


def _feed(pipe: IO[bytes], samples: Samples | GainedSource, failure: list[BaseException], cancel: _Flag | None = None) -> None:
    try:
        for start in range(0, samples.shape[1], BLOCK_FRAMES):
            if cancel is not None and cancel.is_set():
                break
            pipe.write(np.ascontiguousarray(samples[:, start : start + BLOCK_FRAMES].T, dtype="<f4").tobytes())
    except (OSError, ValueError) as exc:  # the encoder stopped: its own message is reported
        failure.append(exc)
    finally:
        with contextlib.suppress(OSError):
            pipe.close()


def _meter_stream(pipe: IO[bytes], meter: LoudnessMeter, channels: int, *, skip: int = 0, frames: int | None = None, peak: list[float] | None = None) -> None:
    """Feed interleaved float32 frames from ``pipe`` to ``meter``: after ``skip`` frames, at most ``frames``.

    ``peak[0]``, when given, is raised to the largest absolute sample fed.
    """
    size = BLOCK_FRAMES * channels * 4
    frame_bytes = channels * 4
    pending = b""
    position = 0  # frames read so far
    end = None if frames is None else skip + frames
    while True:
        chunk = pipe.read(size)
        if not chunk:
            break
        chunk = pending + chunk
        usable = len(chunk) - len(chunk) % frame_bytes
        pending = chunk[usable:]
        block = np.frombuffer(chunk[:usable], dtype="<f4").reshape(-1, channels)
        first, last = position, position + block.shape[0]
        position = last
        lo = max(first, skip) - first
        hi = (last if end is None else min(last, end)) - first
        if hi > lo:
            meter.process(block[lo:hi].T)
            if peak is not None:
                peak[0] = max(peak[0], float(block[lo:hi].max()), -float(block[lo:hi].min()))


def measure_mp3(path: Path, *, channels: int) -> LoudnessReport:
    """Decode the MP3 at ``path`` block by block into the project's meter (loudness, true peak)."""
    ffmpeg = _ffmpeg()
    try:
        if ffmpeg is None:
            with AudioFile(str(path)) as f:
                meter = LoudnessMeter(int(f.samplerate), channels, spectrum=False)
                while f.tell() < f.frames:
                    meter.process(f.read(BLOCK_FRAMES))
            return meter.result()
        with AudioFile(str(path)) as f:  # header only: the rate
            rate = int(f.samplerate)
        meter = LoudnessMeter(rate, channels, spectrum=False)
        cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-i", str(path), "-f", "f32le", "-ac", str(channels), "pipe:1"]
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
            if proc.stdout is None or proc.stderr is None:
                raise OutputError("master.mp3: ffmpeg has no pipes")
            _meter_stream(proc.stdout, meter, channels)
            message = proc.stderr.read().decode(errors="replace").strip()
            if proc.wait() != 0:
                raise OutputError(f"master.mp3: cannot be decoded to verify it ({message or proc.returncode})")
        return meter.result()
    except (OSError, RuntimeError, ValueError) as exc:
        raise OutputError(f"master.mp3: cannot be decoded to verify it ({exc})") from None


__all__ = ["BLOCK_FRAMES", "CODEC_DELAY_FRAMES", "encode_and_measure_mp3", "encode_mp3", "measure_mp3"]
