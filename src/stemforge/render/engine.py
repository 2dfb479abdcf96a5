"""The streaming render engine: tracks → stem buses → mix bus, block by block.

Memory is bounded by the block size and the number of tracks, never by the song's
length. Files are decoded on a small thread pool (libsndfile and soxr release the GIL)
while the previous block is mixed and written, so both cores work.

Summing order is fixed — tracks into their stem in session order, stem fader, then the
mix as the sum of the stems in session order — so the stems add up to the mix exactly.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stemforge.audio.buffer import Samples
from stemforge.dsp.pan import channel_gains, db_to_gain
from stemforge.errors import RenderError
from stemforge.render.sources import TrackSource
from stemforge.session.model import EXCLUDE, Session, Track

#: Channels of every bus and output (stereo).
BUS_CHANNELS = 2
DEFAULT_BLOCK_FRAMES = 1 << 16


@dataclass(frozen=True)
class TrackPlan:
    """How one track enters the render.

    Attributes
    ----------
    track : Track
    audible : bool
        False when muted, or when other tracks are soloed.
    offset_frames : int
        ``round(offset_s * sample_rate)``.
    frames : int
        Length of its audio at the session's rate.
    file_rate : int
        Rate of its file(s); resampled when it differs from the session's.
    channels : int
    resampled : bool
        True when the file's rate differs from the session's.
    """

    track: Track
    audible: bool
    offset_frames: int
    frames: int
    file_rate: int
    channels: int
    resampled: bool

    @property
    def end_frame(self) -> int:
        return self.offset_frames + self.frames


@dataclass(frozen=True)
class RenderPlan:
    """What a render will do, known from headers alone.

    Attributes
    ----------
    session : Session
    tracks : tuple of TrackPlan
        Every track that belongs to a stem (``exclude`` tracks are left out).
    frames : int
        Length of every output: the end of the latest track.
    """

    session: Session
    tracks: tuple[TrackPlan, ...]
    frames: int

    @property
    def sample_rate(self) -> int:
        return self.session.sample_rate

    @property
    def audible(self) -> tuple[TrackPlan, ...]:
        return tuple(t for t in self.tracks if t.audible)


def plan_render(session: Session) -> RenderPlan:
    """Read every track's header and work out the render's length and routing.

    Raises
    ------
    AudioFormatError
        If a track's file is unreadable (the message names it).
    RenderError
        If no track belongs to a stem.
    """
    rate = session.sample_rate
    members = [t for t in session.tracks if t.stem != EXCLUDE]
    if not members:
        raise RenderError(
            f"{session.path or session.title}: no track belongs to a stem; nothing to render",
            tip='give tracks a stem other than "exclude"',
        )
    any_solo = any(t.solo for t in members)
    plans = []
    for track in members:
        source = TrackSource(track.files, sample_rate=rate, offset_frames=round(track.offset_s * rate), label=track.name)
        plans.append(
            TrackPlan(
                track=track,
                audible=not track.mute and (track.solo or not any_solo),
                offset_frames=source.offset_frames,
                frames=source.frames,
                file_rate=source.file_rate,
                channels=source.channels,
                resampled=source.resampled,
            )
        )
    frames = max(p.end_frame for p in plans)
    return RenderPlan(session=session, tracks=tuple(plans), frames=frames)


@dataclass(frozen=True)
class RenderBlock:
    """One block of every output.

    Attributes
    ----------
    start_frame : int
        Timeline position of the block's first frame.
    stems : dict of str to ndarray, float32, shape (2, frames)
        Each stem bus after its fader, in session stem order.
    mix : ndarray, float32, shape (2, frames)
        The sum of the stems.
    """

    start_frame: int
    stems: dict[str, Samples]
    mix: Samples

    @property
    def frames(self) -> int:
        return int(self.mix.shape[1])


def render_blocks(
    plan: RenderPlan | Session,
    *,
    block_frames: int = DEFAULT_BLOCK_FRAMES,
    workers: int = 2,
    warnings: list[str] | None = None,
) -> Iterator[RenderBlock]:
    """Render the session block by block.

    Parameters
    ----------
    plan : RenderPlan or Session
    block_frames : int
        Frames per block; any size gives the same samples.
    workers : int
        Threads that decode tracks.
    warnings : list of str, optional
        Receives warnings raised while rendering (a damaged lossy file padded, …).

    Yields
    ------
    RenderBlock
    """
    if block_frames <= 0:
        raise RenderError(f"block_frames={block_frames} must be a positive integer")
    if isinstance(plan, Session):
        plan = plan_render(plan)
    session = plan.session
    rate = session.sample_rate
    stem_names = [s.name for s in session.stems]
    stem_gains = {s.name: db_to_gain(s.gain_db) for s in session.stems}
    audible = plan.audible

    with contextlib.ExitStack() as stack:
        sources = [
            stack.enter_context(TrackSource(p.track.files, sample_rate=rate, offset_frames=p.offset_frames, label=p.track.name))
            for p in audible
        ]
        gains = [channel_gains(s.channels, pan=p.track.pan, gain_db=p.track.gain_db, invert=p.track.invert) for s, p in zip(sources, audible, strict=True)]
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="stemforge-read"))

        def submit(start: int) -> list[Future[Samples]]:
            n = min(block_frames, plan.frames - start)
            return [pool.submit(s.read, n) for s in sources] if n > 0 else []

        pending = submit(0)
        for start in range(0, plan.frames, block_frames):
            n = min(block_frames, plan.frames - start)
            blocks = [f.result() for f in pending]
            pending = submit(start + n)  # decode the next block while this one is mixed
            buses = {name: np.zeros((BUS_CHANNELS, n), np.float32) for name in stem_names}
            scratch = np.empty((BUS_CHANNELS, n), np.float32)
            for p, g, block in zip(audible, gains, blocks, strict=True):
                np.multiply(g, block, out=scratch)
                buses[p.track.stem] += scratch
            mix = np.zeros((BUS_CHANNELS, n), np.float32)
            for name in stem_names:
                if stem_gains[name] != 1.0:
                    buses[name] *= np.float32(stem_gains[name])
                mix += buses[name]
            yield RenderBlock(start_frame=start, stems=buses, mix=mix)
        if warnings is not None:
            for s in sources:
                warnings.extend(s.warnings)


ProgressCallback = Callable[[int], None]

__all__ = ["BUS_CHANNELS", "DEFAULT_BLOCK_FRAMES", "ProgressCallback", "RenderBlock", "RenderPlan", "TrackPlan", "plan_render", "render_blocks"]
