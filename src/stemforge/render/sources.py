"""A track's audio on the session timeline, read block by block.

A :class:`TrackSource` hides where samples come from: one file or a split L/R pair,
at the session's rate or resampled, starting at its offset. Resampling reads the file
in chunks of a fixed size whatever the caller's block size, so a render in blocks of any
size is sample-for-sample the same as a render at once.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from stemforge.audio.buffer import Samples
from stemforge.audio.io import AudioInfo, BlockReader, read_info
from stemforge.audio.resample import StreamResampler
from stemforge.errors import AudioFormatError, RenderError

_CHUNK_FRAMES = 1 << 15
_LOSSY = {"MP3", "MPEG", "OGG"}


class TrackSource:
    """Audio of one track at ``sample_rate``, placed at ``offset_frames`` on the timeline.

    Parameters
    ----------
    files : tuple of Path
        One file, or two mono files (left, right).
    sample_rate : int
        The session's rate, Hz.
    offset_frames : int
        Timeline frame of the file's first sample.
    label : str
        Named in messages (the track's name).
    """

    def __init__(self, files: tuple[Path, ...], *, sample_rate: int, offset_frames: int, label: str) -> None:
        self.files = files
        self.label = label
        self.sample_rate = int(sample_rate)
        self.offset_frames = int(offset_frames)
        self.infos: tuple[AudioInfo, ...] = tuple(read_info(f) for f in files)
        rates = {i.sample_rate for i in self.infos}
        if len(files) == 2 and (len(rates) != 1 or any(i.channels != 1 for i in self.infos)):
            raise AudioFormatError(f"{files[0]}: a split pair needs two mono files at one sample rate ({label})")
        self.channels = sum(i.channels for i in self.infos)
        if self.channels > 2:
            raise AudioFormatError(
                f"{files[0]}: {self.channels} channels; tracks must be mono or stereo ({label})",
                tip="split surround files into mono tracks",
            )
        self.file_rate = rates.pop()
        self.file_frames = max(i.frames for i in self.infos)
        self.resampled = self.file_rate != self.sample_rate
        self.frames = round(self.file_frames * self.sample_rate / self.file_rate)
        self.end_frame = self.offset_frames + self.frames
        self.warnings: list[str] = []
        self._stack = contextlib.ExitStack()
        self._readers: list[BlockReader] = []
        self._resampler: StreamResampler | None = None
        self._fifo = np.zeros((self.channels, 0), np.float32)
        self._produced = 0  # frames of the track's own audio handed out so far
        self._source_done = False
        self._position = 0  # timeline frame of the next read

    def __enter__(self) -> TrackSource:
        try:
            self._readers = [self._stack.enter_context(BlockReader(f)) for f in self.files]
        except BaseException:
            self._stack.close()
            raise
        if self.resampled:
            self._resampler = StreamResampler(self.file_rate, self.sample_rate, self.channels)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _read_file(self, frames: int) -> Samples:
        parts = [r.read(frames) for r in self._readers]
        n = max(p.shape[1] for p in parts)
        if len(parts) == 1:
            return parts[0]
        return np.concatenate([np.pad(p, ((0, 0), (0, n - p.shape[1]))) for p in parts], axis=0)

    def _fill(self, frames: int) -> None:
        """Top up the FIFO with at least ``frames`` frames of the track's audio (or all that is left)."""
        while self._fifo.shape[1] < frames and not self._source_done:
            chunk = self._read_file(_CHUNK_FRAMES)
            last = chunk.shape[1] < _CHUNK_FRAMES
            if last:
                self._check_complete()
            if self._resampler is not None:
                chunk = self._resampler.process(chunk, last=last)
            self._fifo = np.concatenate([self._fifo, chunk], axis=1) if self._fifo.shape[1] else chunk
            self._source_done = last

    def _check_complete(self) -> None:
        delivered = max(r.position for r in self._readers)
        if delivered < self.file_frames:
            info = self.infos[0]
            message = f"{info.path}: ended at frame {delivered} of {self.file_frames}"
            if info.container.upper() in _LOSSY:
                self.warnings.append(f"{message}; padded with silence ({self.label})")
            else:
                raise AudioFormatError(f"{message}: the file is damaged or truncated ({self.label})")

    def _own_audio(self, frames: int) -> Samples:
        """The next ``frames`` frames of the track's own audio, exactly ``self.frames`` in all."""
        frames = min(frames, self.frames - self._produced)
        self._fill(frames)
        out, self._fifo = self._fifo[:, :frames], self._fifo[:, frames:]
        if out.shape[1] < frames:  # resampler delivered a few frames short of the rounded length
            out = np.pad(out, ((0, 0), (0, frames - out.shape[1])))
        self._produced += frames
        return out

    def read(self, frames: int) -> Samples:
        """The next ``frames`` frames of the timeline, shaped ``(channels, frames)``.

        Silence before the offset and after the end of the audio.
        """
        if not self._readers:
            raise RenderError(f"track source {self.label!r} used outside its context")
        start, stop = self._position, self._position + frames
        self._position = stop
        block = np.zeros((self.channels, frames), np.float32)
        lo, hi = max(start, self.offset_frames), min(stop, self.end_frame)
        if hi > lo:
            block[:, lo - start : hi - start] = self._own_audio(hi - lo)
        return block


__all__ = ["TrackSource"]
