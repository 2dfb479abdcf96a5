"""A track's audio on the session timeline, read block by block.

A :class:`TrackSource` hides where samples come from: one whole file at an offset, or
several clips (regions of files with their own position, source offset, length, gain and
fades), each file mono, stereo or a split L/R pair, at the session's rate or resampled.
Resampling reads the file in chunks of a fixed size whatever the caller's block size, so
a render in blocks of any size is sample-for-sample the same as a render at once.

Placement is sample-exact: a clip's first sample lands on ``round(position_s × rate)``,
it starts ``round(source_offset_s × rate)`` frames into its file (counted at the
session's rate) and lasts ``round(length_s × rate)`` frames. Overlapping clips on one
track add up (fade them for a crossfade); a mono clip on a track that also has stereo
clips feeds both channels.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np

from stemforge.audio.buffer import Samples, silence
from stemforge.audio.io import AudioInfo, BlockReader, read_info
from stemforge.audio.resample import StreamResampler
from stemforge.dsp.fades import fade_gains
from stemforge.dsp.pan import db_to_gain
from stemforge.errors import AudioFormatError, RenderError
from stemforge.session.model import Clip

_CHUNK_FRAMES = 1 << 15
_LOSSY = {"MP3", "MPEG", "OGG"}


def _file_layout(infos: tuple[AudioInfo, ...], label: str) -> tuple[int, int, int]:
    """(channels, file rate, file frames) of one file or a split pair."""
    files = [i.path for i in infos]
    rates = {i.sample_rate for i in infos}
    if len(infos) == 2 and (len(rates) != 1 or any(i.channels != 1 for i in infos)):
        raise AudioFormatError(f"{files[0]}: a split pair needs two mono files at one sample rate ({label})")
    channels = sum(i.channels for i in infos)
    if channels > 2:
        raise AudioFormatError(f"{files[0]}: {channels} channels; tracks must be mono or stereo ({label})", tip="split surround files into mono tracks")
    return channels, rates.pop(), max(i.frames for i in infos)


class _FileStream:
    """The audio of one file (or split pair) at the session's rate, read front to back."""

    def __init__(self, infos: tuple[AudioInfo, ...], *, sample_rate: int, label: str) -> None:
        self.infos = infos
        self.label = label
        self.sample_rate = sample_rate
        self.channels, self.file_rate, self.file_frames = _file_layout(infos, label)
        self.resampled = self.file_rate != sample_rate
        self.frames = round(self.file_frames * sample_rate / self.file_rate)
        self.warnings: list[str] = []
        self._stack = contextlib.ExitStack()
        self._readers: list[BlockReader] = []
        self._resampler: StreamResampler | None = None
        self._fifo = np.zeros((self.channels, 0), np.float32)
        self._produced = 0
        self._source_done = False

    def open(self, start_frame: int = 0) -> None:
        """Open the files, positioned at ``start_frame`` (session-rate frames)."""
        try:
            self._readers = [self._stack.enter_context(BlockReader(i.path)) for i in self.infos]
        except BaseException:
            self._stack.close()
            raise
        if self.resampled:
            self._resampler = StreamResampler(self.file_rate, self.sample_rate, self.channels)
            while start_frame > self._produced:  # resample from the top: same samples as a whole-file read
                self.read(min(_CHUNK_FRAMES, start_frame - self._produced))
        elif start_frame:
            for r in self._readers:
                r.seek(min(start_frame, r.info.frames))
            self._produced = start_frame

    def close(self) -> None:
        self._stack.close()
        self._readers = []

    def _read_file(self, frames: int) -> Samples:
        parts = [r.read(frames) for r in self._readers]
        if len(parts) == 1:
            return parts[0]
        n = max(p.shape[1] for p in parts)
        return np.concatenate([np.pad(p, ((0, 0), (0, n - p.shape[1]))) for p in parts], axis=0)

    def _fill(self, frames: int) -> None:
        # A file at the session's rate is read in one piece as long as what is missing (no
        # copies through the FIFO); a resampled one goes through the resampler a chunk at a time.
        missing = frames - self._fifo.shape[1]
        parts = [self._fifo] if self._fifo.shape[1] else []
        while missing > 0 and not self._source_done:
            want = _CHUNK_FRAMES if self._resampler is not None else max(_CHUNK_FRAMES, missing)
            chunk = self._read_file(want)
            last = chunk.shape[1] < want
            if last:
                self._check_complete()
            if self._resampler is not None:
                chunk = self._resampler.process(chunk, last=last)
            parts.append(chunk)
            missing -= chunk.shape[1]
            self._source_done = last
        if len(parts) > 1:
            self._fifo = np.concatenate(parts, axis=1)
        elif parts:
            self._fifo = parts[0]

    def _check_complete(self) -> None:
        delivered = max(r.position for r in self._readers)
        if delivered < self.file_frames:
            info = self.infos[0]
            message = f"{info.path}: ended at frame {delivered} of {self.file_frames}"
            if info.container.upper() in _LOSSY:
                self.warnings.append(f"{message}; padded with silence ({self.label})")
            else:
                raise AudioFormatError(f"{message}: the file is damaged or truncated ({self.label})")

    def read(self, frames: int) -> Samples:
        """The next ``frames`` frames (zeros past the end of the audio)."""
        frames = max(0, frames)
        self._fill(frames)
        out, self._fifo = self._fifo[:, :frames], self._fifo[:, frames:]
        if out.shape[1] < frames:
            out = np.pad(out, ((0, 0), (0, frames - out.shape[1])))
        self._produced += frames
        return out


@dataclass(frozen=True)
class ClipRegion:
    """A clip in frames at the session's rate (what :class:`TrackSource` plays).

    Attributes
    ----------
    infos : tuple of AudioInfo
        Headers of the clip's file (or split pair).
    position_frames, source_offset_frames, length_frames : int
    gain : float
        Linear clip gain.
    fade_in_frames, fade_out_frames : int
    fade_shape : str
    """

    infos: tuple[AudioInfo, ...]
    position_frames: int
    source_offset_frames: int
    length_frames: int
    gain: float = 1.0
    fade_in_frames: int = 0
    fade_out_frames: int = 0
    fade_shape: str = "linear"

    @property
    def end_frame(self) -> int:
        return self.position_frames + self.length_frames


def clip_regions(clips: Sequence[Clip], *, sample_rate: int, label: str) -> tuple[ClipRegion, ...]:
    """Turn a track's clips into frame-exact regions, checked against their files.

    Raises
    ------
    RenderError
        If a clip starts or runs past the end of its file, or its fades are longer than it.
    """
    regions = []
    headers: dict[Path, AudioInfo] = {}
    for j, clip in enumerate(clips, start=1):
        where = f"{label}.clips[{j}]"
        infos = tuple(headers.setdefault(f, read_info(f)) for f in clip.files)
        _, file_rate, file_frames = _file_layout(infos, where)
        available = round(file_frames * sample_rate / file_rate)
        offset = round(clip.source_offset_s * sample_rate)
        if offset >= available:
            raise RenderError(f"{where}.source_offset_s={clip.source_offset_s:g} is past the end of {infos[0].path.name} ({available / sample_rate:.3f} s)")
        length = available - offset if clip.length_s is None else round(clip.length_s * sample_rate)
        if offset + length > available:
            raise RenderError(
                f"{where}.length_s={clip.length_s:g} runs past the end of {infos[0].path.name} "
                f"({(available - offset) / sample_rate:.3f} s left after source_offset_s={clip.source_offset_s:g})"
            )
        fade_in, fade_out = round(clip.fade_in_s * sample_rate), round(clip.fade_out_s * sample_rate)
        if fade_in + fade_out > length:
            raise RenderError(f"{where}: fade_in_s + fade_out_s ({(fade_in + fade_out) / sample_rate:g} s) is longer than the clip ({length / sample_rate:g} s)")
        regions.append(ClipRegion(infos, round(clip.position_s * sample_rate), offset, length, db_to_gain(clip.gain_db), fade_in, fade_out, clip.fade_shape))
    return tuple(regions)


class _ClipPlayer:
    """Plays one region into timeline blocks; opens its file when first heard, closes it after."""

    def __init__(self, region: ClipRegion, *, sample_rate: int, label: str) -> None:
        self.region = region
        self.stream = _FileStream(region.infos, sample_rate=sample_rate, label=label)
        self._opened = False

    def add_into(self, block: Samples, start: int) -> None:
        played = self.play(start, block.shape[1])
        if played is not None:
            lo, audio = played
            block[:, lo - start : lo - start + audio.shape[1]] += audio

    def covers(self, start: int, frames: int) -> bool:
        """True when the clip plays through all of ``frames`` frames from timeline frame ``start``."""
        return self.region.position_frames <= start and start + frames <= self.region.end_frame

    def play(self, start: int, frames: int) -> tuple[int, Samples] | None:
        """The clip's audio within ``frames`` frames from ``start`` (gain and fades applied),
        with the timeline frame it starts on; None where the clip is silent."""
        r = self.region
        lo, hi = max(start, r.position_frames), min(start + frames, r.end_frame)
        if hi <= lo:
            return None
        if not self._opened:
            self.stream.open(r.source_offset_frames + lo - r.position_frames)
            self._opened = True
        audio = self.stream.read(hi - lo)
        a, b = lo - r.position_frames, hi - r.position_frames  # positions inside the clip
        if r.gain != 1.0:
            audio = audio * np.float32(r.gain)
        if a < r.fade_in_frames:
            stop = min(b, r.fade_in_frames)
            audio = audio.copy() if audio.base is not None else audio
            audio[:, : stop - a] *= fade_gains(r.fade_shape, frames=r.fade_in_frames, start=a, stop=stop)
        fade_start = r.length_frames - r.fade_out_frames
        if b > fade_start and r.fade_out_frames:
            begin = max(a, fade_start)
            audio = audio.copy() if audio.base is not None else audio
            audio[:, begin - a :] *= fade_gains(r.fade_shape, frames=r.fade_out_frames, start=begin - fade_start, stop=b - fade_start, fade_out=True)
        if hi >= r.end_frame:
            self.stream.close()
        return lo, audio

    def close(self) -> None:
        self.stream.close()


class TrackSource:
    """Audio of one track at ``sample_rate`` on the timeline.

    Parameters
    ----------
    files : tuple of Path
        One file, or two mono files (left, right): the whole file at ``offset_frames``
        (ignored when ``clips`` are given).
    sample_rate : int
        The session's rate, Hz.
    offset_frames : int
        Timeline frame of the file's first sample.
    label : str
        Named in messages (the track's name).
    clips : sequence of Clip, optional
        Regions to play instead of the whole file.
    """

    def __init__(self, files: tuple[Path, ...], *, sample_rate: int, offset_frames: int, label: str, clips: Sequence[Clip] = ()) -> None:
        self.files = files
        self.label = label
        self.sample_rate = int(sample_rate)
        if clips:
            self.regions = clip_regions(clips, sample_rate=self.sample_rate, label=label)
        else:
            infos = tuple(read_info(f) for f in files)
            _, file_rate, file_frames = _file_layout(infos, label)
            self.regions = (ClipRegion(infos, int(offset_frames), 0, round(file_frames * self.sample_rate / file_rate)),)
        layouts = [_file_layout(r.infos, label) for r in self.regions]
        self.infos: tuple[AudioInfo, ...] = self.regions[0].infos
        self.channels = max(c for c, _, _ in layouts)
        self.file_rate = layouts[0][1]
        self.file_frames = layouts[0][2]
        self.resampled = any(rate != self.sample_rate for _, rate, _ in layouts)
        self.offset_frames = min(r.position_frames for r in self.regions)
        self.end_frame = max(r.end_frame for r in self.regions)
        self.frames = self.end_frame - self.offset_frames
        self._players: list[_ClipPlayer] = []
        self._position = 0
        self._open = False

    @property
    def warnings(self) -> list[str]:
        return [w for p in self._players for w in p.stream.warnings]

    def __enter__(self) -> Self:
        self._players = [_ClipPlayer(r, sample_rate=self.sample_rate, label=self.label) for r in self.regions]
        self._open = True
        return self

    def __exit__(self, *exc: object) -> None:
        for p in self._players:
            p.close()
        self._open = False

    def read(self, frames: int) -> Samples:
        """The next ``frames`` frames of the timeline, shaped ``(channels, frames)``.

        Silence where no clip plays.
        """
        if not self._open:
            raise RenderError(f"track source {self.label!r} used outside its context")
        start = self._position
        self._position += frames
        heard = [p for p in self._players if p.region.position_frames < start + frames and p.region.end_frame > start]
        if len(heard) == 1 and heard[0].covers(start, frames):
            # one clip plays through the whole block: its audio is the block (as silence + it)
            played = heard[0].play(start, frames)
            if played is not None and played[1].shape[0] == self.channels:
                return played[1]
            block = silence(self.channels, frames)
            if played is not None:
                block += played[1]
            return block
        block = silence(self.channels, frames)
        for player in heard:
            player.add_into(block, start)
        return block


__all__ = ["ClipRegion", "TrackSource", "clip_regions"]
