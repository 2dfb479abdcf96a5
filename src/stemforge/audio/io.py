"""Reading audio files in blocks and writing them atomically.

Every read names a frame count (memory stays bounded however long the file); every
write goes to a temporary name beside its target and is renamed only when complete, so
an interrupted run never leaves a file under a final name. Inputs are only ever opened
for reading.

24-bit WAV files, the default output, are written here rather than by libsndfile:
libsndfile converts samples to three-byte words a few thousand at a time and writes each
chunk on its own, which cost a render a tenth of its CPU time. The header is the 44 bytes
libsndfile writes and the samples are encoded by :mod:`stemforge.audio.pcm` to its bytes,
so the files are the same byte for byte. Every other format is written by libsndfile.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import secrets
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import numpy as np
import numpy.typing as npt
import soundfile as sf

from stemforge.audio.buffer import AudioBuffer, Samples
from stemforge.audio.formats import OutputFormat, output_format
from stemforge.audio.riff import read_riff_layout
from stemforge.errors import AudioFormatError, InputNotFoundError, OutputError

#: File name extensions stemforge reads as audio.
AUDIO_EXTENSIONS = frozenset({".wav", ".wave", ".bwf", ".aif", ".aiff", ".aifc", ".flac", ".mp3", ".ogg"})

_BIT_DEPTHS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "FLOAT": 32, "DOUBLE": 64}


@dataclass(frozen=True)
class AudioInfo:
    """What an audio file's header says.

    Attributes
    ----------
    path : Path
    sample_rate : int
        Hz.
    channels : int
    frames : int
        Sample frames per channel.
    container : str
        soundfile's major format (``WAV``, ``AIFF``, ``FLAC``, ``MP3`` ...).
    subtype : str
        soundfile's subtype (``PCM_24``, ``FLOAT`` ...).
    time_reference : int or None
        BWF ``bext`` time reference in samples, when present.
    """

    path: Path
    sample_rate: int
    channels: int
    frames: int
    container: str
    subtype: str
    time_reference: int | None = None

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate

    @property
    def bit_depth(self) -> int | None:
        """Bits per sample, or None for lossy formats."""
        return _BIT_DEPTHS.get(self.subtype)


def _check_readable_path(path: Path) -> None:
    if not path.exists():
        raise InputNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise AudioFormatError(f"{path}: is a folder, not an audio file")
    if path.stat().st_size == 0:
        raise AudioFormatError(f"{path}: empty file (0 bytes)")


def _libsndfile_reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    # soundfile prefixes the message with the path; keep only the reason.
    return text.split(": ", 1)[-1] if text.startswith("Error opening") else text


def read_info(path: str | os.PathLike[str]) -> AudioInfo:
    """Read an audio file's header without decoding its audio.

    Raises
    ------
    InputNotFoundError
        If the file does not exist.
    AudioFormatError
        If the file is not readable audio, holds no audio, or is truncated.
    """
    path = Path(path)
    _check_readable_path(path)
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioFormatError(
            f"{path}: not a readable audio file ({_libsndfile_reason(exc)})",
            tip="stemforge reads WAV, AIFF, FLAC, MP3 and Ogg files",
        ) from None
    time_reference = None
    if info.format in ("WAV", "WAVEX", "RF64"):
        layout = read_riff_layout(path)
        if layout is not None:
            time_reference = layout.time_reference
            if layout.truncated:
                frame_bytes = max(1, info.channels * (_BIT_DEPTHS.get(info.subtype, 16) // 8))
                declared = layout.data_bytes // frame_bytes
                raise AudioFormatError(
                    f"{path}: truncated: its header declares {declared} frames "
                    f"but the file holds {info.frames}",
                    tip="ask for the file again; it was cut short in transfer or export",
                )
    if info.frames <= 0:
        raise AudioFormatError(f"{path}: holds no audio (0 frames)")
    if info.samplerate <= 0 or info.channels <= 0:
        raise AudioFormatError(f"{path}: header declares {info.samplerate} Hz, {info.channels} channels")
    return AudioInfo(
        path=path,
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
        frames=int(info.frames),
        container=str(info.format),
        subtype=str(info.subtype),
        time_reference=time_reference,
    )


class BlockReader:
    """Read an audio file block by block as float32 ``(channels, frames)``.

    Use as a context manager. :meth:`read` returns exactly the frames asked for until the
    end of the file, where it returns what is left (an empty block after the end).

    ``compiled=False`` leaves plain 16/24-bit WAV data to libsndfile too: the compiled
    decoder is faster per file, but its first use in a process loads numba (~0.3 s), more
    than reading one song costs (the same floats either way).
    """

    def __init__(self, path: str | os.PathLike[str], *, compiled: bool = True) -> None:
        self.path = Path(path)
        self.compiled = compiled
        self.info = read_info(self.path)
        self._file: sf.SoundFile | None = None
        self._raw: io.BufferedReader | None = None  # 16/24-bit WAV data, decoded without libsndfile
        self._data_offset = 0
        self.position = 0

    def __enter__(self) -> BlockReader:
        try:
            self._file = sf.SoundFile(str(self.path), mode="r")
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise AudioFormatError(f"{self.path}: not a readable audio file ({_libsndfile_reason(exc)})") from None
        self._open_raw()
        return self

    def _open_raw(self) -> None:
        """Read plain 16/24-bit WAV data directly (same floats as libsndfile, see :mod:`stemforge.audio.pcm`)."""
        info = self.info
        if not self.compiled or info.container not in ("WAV", "WAVEX") or info.subtype not in ("PCM_16", "PCM_24"):
            return
        layout = read_riff_layout(self.path)
        width = {"PCM_16": 2, "PCM_24": 3}[info.subtype] * info.channels
        # the frame count libsndfile reports must follow from packed samples of that width
        if layout is None or layout.is_rf64 or layout.truncated or layout.data_bytes // width != info.frames:
            return
        self._data_offset = layout.data_offset
        self._raw = open(self.path, "rb")  # noqa: SIM115 - closed in __exit__

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._raw is not None:
            self._raw.close()
            self._raw = None

    @property
    def channels(self) -> int:
        return self.info.channels

    @property
    def sample_rate(self) -> int:
        return self.info.sample_rate

    def seek(self, frame: int) -> None:
        """Move to ``frame`` (0-based) in the file."""
        if self._file is None:
            raise RuntimeError("BlockReader used outside its context")
        self._file.seek(frame)
        self.position = frame

    def read(self, frames: int) -> Samples:
        """Read up to ``frames`` frames.

        Returns
        -------
        np.ndarray, float32, shape (channels, n)
            ``n == frames`` except at the end of the file.
        """
        if self._file is None:
            raise RuntimeError("BlockReader used outside its context")
        if self._raw is not None:
            return self._read_raw(self._raw, frames)
        try:
            data = self._file.read(frames, dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise AudioFormatError(f"{self.path}: cannot be decoded at frame {self.position} ({exc})") from None
        self.position += data.shape[0]
        return np.ascontiguousarray(data.T)

    def _read_raw(self, raw_file: io.BufferedReader, frames: int) -> Samples:
        # numba: imported when a 16/24-bit WAV is first read
        from stemforge.audio import pcm

        info = self.info
        width = pcm.SAMPLE_BYTES[info.subtype] * info.channels
        n = max(0, min(frames, info.frames - self.position))
        raw = np.empty(n * width, np.uint8)
        raw_file.seek(self._data_offset + self.position * width)
        got = raw_file.readinto(raw.data)
        if got != raw.shape[0]:
            raise AudioFormatError(f"{self.path}: cannot be decoded at frame {self.position} (the file ended early)")
        self.position += n
        return pcm.decode(raw, info.subtype, channels=info.channels)

    def blocks(self, block_frames: int) -> Iterator[Samples]:
        """Yield the rest of the file in blocks of ``block_frames`` (the last may be shorter)."""
        while True:
            block = self.read(block_frames)
            if block.shape[1] == 0:
                return
            yield block


def read(path: str | os.PathLike[str], *, block_frames: int = 1 << 18) -> AudioBuffer:
    """Read a whole file (a thin wrapper over :class:`BlockReader`)."""
    with BlockReader(path) as reader:
        parts = list(reader.blocks(block_frames))
        samples = np.concatenate(parts, axis=1) if parts else np.zeros((reader.channels, 0), np.float32)
        return AudioBuffer(samples, reader.sample_rate)


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial-{os.getpid()}-{secrets.token_hex(4)}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On an exception the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{path.parent}: cannot create folder ({exc.strerror})") from None
    temp = _temp_name(path)
    try:
        yield temp
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write a text file (UTF-8) atomically."""
    with atomic_path(path) as temp:
        temp.write_text(text, encoding="utf-8")


#: Most channels libsndfile writes; a wider file is left to it (and refused as before).
_WAV24_MAX_CHANNELS = 1024
_RIFF_MAX = 0xFFFFFFFF
_WAV24_HEADER_BYTES = 44
#: Bytes written between two requests to start writing a file to the disk (see AtomicWriter._write_behind).
_WRITE_BEHIND_BYTES = 8 << 20
_FADVISE = getattr(os, "posix_fadvise", None)


def _wav24_header(sample_rate: int, channels: int, data_bytes: int) -> bytes:
    """The 44 bytes libsndfile writes before the samples of a 24-bit WAV file.

    A ``RIFF``/``WAVE`` header, a plain PCM ``fmt `` chunk (format tag 1, whatever the
    channel count) and the ``data`` chunk's header. An odd ``data_bytes`` is followed by
    a pad byte, which the ``RIFF`` size counts. Sizes past 4 GiB do not fit: like
    libsndfile, they are written as 2³² − 1 (readers then find the first 4 GiB of
    samples).

    Parameters
    ----------
    sample_rate : int
        Hz.
    channels : int
    data_bytes : int
        Bytes of samples (``frames * channels * 3``).
    """
    frame_bytes = 3 * channels
    riff_bytes = 4 + 24 + 8 + data_bytes + (data_bytes & 1)  # WAVE, fmt chunk, data chunk
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        min(riff_bytes, _RIFF_MAX),
        b"WAVE",
        b"fmt ",
        16,
        1,
        channels,
        sample_rate,
        sample_rate * frame_bytes,
        frame_bytes,
        24,
        b"data",
        min(data_bytes, _RIFF_MAX),
    )


def _write_all(file: io.FileIO, data: memoryview) -> None:
    """Write all of ``data`` (an unbuffered write may take only part of it)."""
    while data:
        written = file.write(data)
        if not written:
            raise OSError(errno.EIO, "the file took no more bytes")
        data = data[written:]


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(exc).__name__


class AtomicWriter:
    """Write audio block by block to a temporary file, renamed onto ``path`` when closed.

    Integer formats clip at full scale; :attr:`peak` keeps the true peak of what was
    written (before clipping) and :attr:`clipped_samples` how many samples were clipped,
    so a caller can warn instead of clipping silently. NaN is written as 0 and ±inf as
    ±full scale.

    With ``deferred=True`` a successful exit closes the temporary file but leaves the
    rename to :meth:`commit` (or :meth:`discard`), so that several outputs can appear
    together or not at all.

    Raises
    ------
    OutputError
        From ``with`` or :meth:`write`, if the file cannot be created or written (a full
        disk, a folder without write permission ...); the temporary file is then removed
        when the ``with`` block exits.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        sample_rate: int,
        channels: int,
        fmt: OutputFormat | str = "wav24",
        deferred: bool = False,
    ) -> None:
        self.path = Path(path)
        self.deferred = deferred
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self.fmt = output_format(fmt) if isinstance(fmt, str) else fmt
        self.peak = 0.0
        self.clipped_samples = 0
        self.frames = 0
        self._temp: Path | None = None
        self._file: sf.SoundFile | None = None  # every format but 24-bit WAV
        self._raw: io.FileIO | None = None  # 24-bit WAV, written here
        self._data_bytes = 0
        self._queued = 0  # data bytes already handed to the system's write-back
        self._queued_offset = 0  # file offset up to which they were
        self._buffer: npt.NDArray[np.float32] | None = None
        self._packed: npt.NDArray[np.uint8] | None = None

    def _writes_wav24(self) -> bool:
        """True for a 24-bit WAV file whose header holds its parameters as libsndfile's does."""
        return (
            self.fmt.container == "WAV"
            and self.fmt.subtype == "PCM_24"
            and 1 <= self.channels <= _WAV24_MAX_CHANNELS
            and self.sample_rate >= 1
            and self.sample_rate * 3 * self.channels <= 0x7FFFFFFF  # bytes per second, as libsndfile's C int
        )

    def __enter__(self) -> AtomicWriter:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._temp = _temp_name(self.path)
            if self._writes_wav24():
                self._raw = open(self._temp, "wb", buffering=0)  # closed in __exit__
                _write_all(self._raw, memoryview(_wav24_header(self.sample_rate, self.channels, 0)))
            else:
                self._file = sf.SoundFile(
                    str(self._temp),
                    mode="w",
                    samplerate=self.sample_rate,
                    channels=self.channels,
                    subtype=self.fmt.subtype,
                    format=self.fmt.container,
                )
        except (OSError, sf.LibsndfileError, RuntimeError) as exc:
            self._close(finish=False)
            self._discard()
            raise OutputError(f"{self.path}: cannot be written ({_reason(exc)})") from None
        return self

    def write(self, samples: Samples) -> None:
        """Append a block shaped ``(channels, frames)``.

        Raises
        ------
        OutputError
            If the file cannot be written (its temporary file is removed when the
            ``with`` block exits).
        """
        raw, file = self._raw, self._file
        if raw is None and file is None:
            raise RuntimeError("AtomicWriter used outside its context")
        if samples.ndim != 2 or samples.shape[0] != self.channels:
            raise ValueError(f"block of shape {samples.shape} does not have {self.channels} channels")
        if samples.shape[1] == 0:
            return
        try:
            if raw is not None:
                self._write_wav24(raw, samples)
            elif file is not None:
                file.write(self._interleave(self._measure(samples)))
        except (OSError, sf.LibsndfileError, RuntimeError) as exc:
            raise OutputError(f"{self.path}: cannot be written ({_reason(exc)})") from None
        self.frames += samples.shape[1]

    def _measure(self, samples: Samples) -> Samples:
        """Add ``samples`` to :attr:`peak` and :attr:`clipped_samples`; return them as they are written."""
        peak = float(np.max(np.abs(samples)))
        if not np.isfinite(peak):
            samples = np.nan_to_num(samples, nan=0.0, posinf=1.0, neginf=-1.0)
            peak = float(np.max(np.abs(samples)))
        self.peak = max(self.peak, peak)
        if not self.fmt.is_float and peak > 1.0:
            self.clipped_samples += int(np.count_nonzero(np.abs(samples) > 1.0))
            samples = np.clip(samples, -1.0, 1.0)
        return samples

    def _write_wav24(self, raw: io.FileIO, samples: Samples) -> None:
        """Encode a block to 24-bit bytes (measuring it on the way) and append them."""
        # numba: imported when a 24-bit WAV is first written
        from stemforge.audio import pcm

        measured = samples.dtype == np.float32
        if not measured:  # other dtypes are measured as they are, then written as float32
            samples = np.asarray(self._measure(samples), dtype=np.float32)
        size = samples.size * 3
        if self._packed is None or self._packed.shape[0] < size:
            self._packed = np.empty(size, np.uint8)
        packed = self._packed[:size]
        levels = pcm.pack_pcm24(samples, packed)
        if measured:
            self.peak = max(self.peak, levels.peak)
            self.clipped_samples += levels.clipped_samples
        _write_all(raw, packed.data)
        self._data_bytes += size
        if self._data_bytes - self._queued >= _WRITE_BEHIND_BYTES:
            self._write_behind(raw)

    def _write_behind(self, raw: io.FileIO) -> None:
        """Have the system start writing what was written so far to the disk, without waiting.

        The closing fsync then waits only for the last few megabytes, instead of for the
        whole file after the render is done (~0.25 s for a 4-minute render's 7 files).
        """
        if _FADVISE is None:
            return
        end = _WAV24_HEADER_BYTES + self._data_bytes
        with contextlib.suppress(OSError):  # a hint: a file system that ignores it is fine
            _FADVISE(raw.fileno(), self._queued_offset, end - self._queued_offset, os.POSIX_FADV_DONTNEED)
        self._queued_offset = end
        self._queued = self._data_bytes

    def _interleave(self, samples: Samples) -> npt.NDArray[np.float32]:
        """``samples`` as ``(frames, channels)``, copied column by column into a reused buffer.

        A general transpose of a ``(channels, frames)`` block costs several times more
        than one strided copy per channel, and the buffer is allocated once per size.
        """
        frames = samples.shape[1]
        if self._buffer is None or self._buffer.shape[0] != frames:
            self._buffer = np.empty((frames, self.channels), np.float32)
        for channel in range(self.channels):
            self._buffer[:, channel] = samples[channel]
        return self._buffer

    def _close(self, *, finish: bool) -> None:
        """Close the temporary file; with ``finish``, complete it first (header, pad byte, fsync).

        Without ``finish`` (the file is about to be removed) errors are not raised.
        """
        file, self._file = self._file, None
        raw, self._raw = self._raw, None
        try:
            if file is not None:
                file.close()  # libsndfile writes its header and syncs the file
            if raw is not None:
                with raw:
                    if finish:
                        self._finish_wav24(raw)
        except (OSError, sf.LibsndfileError, RuntimeError) as exc:
            if finish:
                raise OutputError(f"{self.path}: cannot be written ({_reason(exc)})") from None

    def _finish_wav24(self, raw: io.FileIO) -> None:
        if self._data_bytes & 1:
            _write_all(raw, memoryview(b"\0"))
        raw.seek(0)
        _write_all(raw, memoryview(_wav24_header(self.sample_rate, self.channels, self._data_bytes)))
        try:
            os.fsync(raw.fileno())  # as libsndfile does on closing a file
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOTSUP):  # a file system that cannot sync
                raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self._close(finish=exc_type is None)
        except BaseException:
            self.discard()
            raise
        if exc_type is None and self.deferred:
            return
        if exc_type is None:
            self.commit()
        self.discard()

    def commit(self) -> None:
        """Rename the finished temporary file onto the target path."""
        if self._file is not None or self._raw is not None:
            raise RuntimeError("AtomicWriter committed before it was closed")
        if self._temp is not None:
            os.replace(self._temp, self.path)
            self._temp = None

    def discard(self) -> None:
        """Remove the temporary file (the target path is left as it was)."""
        self._discard()

    def _discard(self) -> None:
        if self._temp is not None:
            with contextlib.suppress(FileNotFoundError):
                self._temp.unlink()
            self._temp = None


def write(path: str | os.PathLike[str], buffer: AudioBuffer, *, fmt: OutputFormat | str = "wav24") -> AtomicWriter:
    """Write a whole buffer atomically; returns the closed writer (for its peak)."""
    writer = AtomicWriter(path, sample_rate=buffer.sample_rate, channels=buffer.channels, fmt=fmt)
    with writer:
        writer.write(buffer.samples)
    return writer


def sha256_file(path: str | os.PathLike[str], *, chunk_bytes: int = 1 << 22) -> str:
    """SHA-256 of a file's bytes, as lowercase hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


__all__ = [
    "AUDIO_EXTENSIONS",
    "AtomicWriter",
    "AudioInfo",
    "BlockReader",
    "atomic_path",
    "read",
    "read_info",
    "sha256_file",
    "write",
    "write_text_atomic",
]
