"""The streaming render engine: track chains → stem buses (+ per-stem FX returns) → mix.

Memory is bounded by the block size and the number of tracks, never by the song's
length. Each block runs in two parallel phases on a thread pool — every track (decode,
inserts, fader, pan, sends), then every stem (sum, inserts, fader, its own instance of
each return) — while the caller writes the previous block; pedalboard, libsndfile, soxr
and NumPy release the GIL, so all cores work. The next block's tracks are queued before
this block's stems are collected, so the pool never runs dry between phases.

Summing order is fixed — tracks into their stem in session order, then the mix as the sum
of the stems in session order — so the stems add up to the mix exactly, whatever the
effects: every stem carries its own instance of every return its tracks send to, and
the mix is defined as the sum of the stems (see :mod:`stemforge.render.mixer` for what is
measured when a return is non-linear).

Latency is compensated as described in :mod:`stemforge.render.routing`. After the last
clip the render goes on while any output rings above −96 dBFS (reverb and delay tails),
up to ``tail_max_s``; every output has the same length.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from stemforge.audio.buffer import Samples, silence
from stemforge.audio.heap import keep_freed_blocks
from stemforge.dsp.chain import EffectChain, chain_latency_frames
from stemforge.dsp.delayline import DelayLine
from stemforge.errors import RenderError
from stemforge.render.mixer import (
    BUS_CHANNELS,
    ReturnResidual,
    SharedReturn,
    StemBus,
    StemOutput,
    TrackChannel,
    TrackOutput,
    _dbfs,
)
from stemforge.render.routing import Routing, plan_routing
from stemforge.render.sources import TrackSource
from stemforge.session.model import EXCLUDE, Session, Track

DEFAULT_BLOCK_FRAMES = 1 << 17
#: Level below which a tail counts as over, dBFS.
TAIL_THRESHOLD_DBFS = -96.0
_TAIL_THRESHOLD = 10.0 ** (TAIL_THRESHOLD_DBFS / 20.0)
#: Bounds of the frames processed per internal step. Every part of the graph gives the
#: same output for any block size, so the engine works in steps of ``block_frames`` held
#: within these bounds (big enough to keep the pool busy, small enough to bound memory)
#: and cuts the outputs into the caller's ``block_frames``.
MIN_STEP_FRAMES = 1 << 12
MAX_STEP_FRAMES = 1 << 17


@dataclass(frozen=True)
class TrackPlan:
    """How one track enters the render.

    Attributes
    ----------
    track : Track
    audible : bool
        False when muted, or when other tracks are soloed.
    offset_frames : int
        Timeline frame of its first sample (``round(offset_s * sample_rate)``, or its
        earliest clip).
    frames : int
        From its first to its last sample at the session's rate.
    file_rate : int
        Rate of its (first) file; resampled when it differs from the session's.
    channels : int
    resampled : bool
        True when a file's rate differs from the session's.
    latency_frames : int
        Latency of its insert chain.
    """

    track: Track
    audible: bool
    offset_frames: int
    frames: int
    file_rate: int
    channels: int
    resampled: bool
    latency_frames: int = 0

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
        End of the latest clip: the length of every output when nothing rings on past it
        (tails may add up to ``tail_max_frames``).
    routing : Routing or None
        Latencies and return instances (None only for plans made by hand).
    master_chain : bool
        Apply the master inserts to the mix (tap point ``post-master``).
    tail_max_frames : int
        Longest tail rendered past ``frames``.
    """

    session: Session
    tracks: tuple[TrackPlan, ...]
    frames: int
    routing: Routing | None = None
    master_chain: bool = False
    tail_max_frames: int = 0

    @property
    def sample_rate(self) -> int:
        return self.session.sample_rate

    @property
    def audible(self) -> tuple[TrackPlan, ...]:
        return tuple(t for t in self.tracks if t.audible)

    @property
    def max_frames(self) -> int:
        """The longest the outputs can be (with the longest tail)."""
        has_tail = self.routing is not None and self.routing.tail_gap_frames is not None
        return self.frames + (self.tail_max_frames if has_tail else 0)

    @property
    def tap_point(self) -> str:
        """Where the mix is taken: ``pre-master`` or ``post-master``."""
        return "post-master" if self.master_chain else "pre-master"


def plan_render(session: Session, *, master_chain: bool = False, tail_max_s: float | None = None) -> RenderPlan:
    """Read every track's header and work out the render's length, routing and latencies.

    Parameters
    ----------
    session : Session
    master_chain : bool
        Apply ``[[master.inserts]]`` to the mix.
    tail_max_s : float, optional
        Longest tail past the last clip (default: the session's ``tail_max_s``).

    Raises
    ------
    AudioFormatError
        If a track's file is unreadable (the message names it).
    RenderError
        If no track belongs to a stem, or a clip does not fit its file.
    """
    rate = session.sample_rate
    members = [t for t in session.tracks if t.stem != EXCLUDE]
    if not members:
        raise RenderError(
            f"{session.path or session.title}: no track belongs to a stem; nothing to render",
            tip='give tracks a stem other than "exclude"',
        )
    tail_max_s = session.tail_max_s if tail_max_s is None else tail_max_s
    if not (isinstance(tail_max_s, (int, float)) and 0 <= tail_max_s <= 600):
        raise RenderError(f"tail_max_s={tail_max_s} must be between 0 and 600 seconds")
    any_solo = any(t.solo for t in members)
    index = {t.name: i for i, t in enumerate(session.tracks, start=1)}
    plans = []
    for track in members:
        label = f'tracks[{index[track.name]}] ("{track.name}")' if track.clips else track.name
        source = TrackSource(track.files, sample_rate=rate, offset_frames=round(track.offset_s * rate), label=label, clips=track.clips)
        plans.append(
            TrackPlan(
                track=track,
                audible=not track.mute and (track.solo or not any_solo),
                offset_frames=source.offset_frames,
                frames=source.frames,
                file_rate=source.file_rate,
                channels=source.channels,
                resampled=source.resampled,
                latency_frames=chain_latency_frames(track.inserts, rate, channels=source.channels),
            )
        )
    frames = max(p.end_frame for p in plans)
    routing = plan_routing(
        session, [p.track for p in plans if p.audible], master_chain=master_chain, track_channels={p.track.name: p.channels for p in plans}
    )
    return RenderPlan(
        session=session,
        tracks=tuple(plans),
        frames=frames,
        routing=routing,
        master_chain=master_chain,
        tail_max_frames=round(tail_max_s * rate),
    )


@dataclass(frozen=True)
class RenderBlock:
    """One block of every output.

    Attributes
    ----------
    start_frame : int
        Timeline position of the block's first frame.
    stems : dict of str to ndarray, float32, shape (2, frames)
        Each stem (its bus after its fader, plus its share of every return), in session
        stem order.
    mix : ndarray, float32, shape (2, frames)
        The sum of the stems (then the master chain, when asked for).
    """

    start_frame: int
    stems: dict[str, Samples]
    mix: Samples

    @property
    def frames(self) -> int:
        return int(self.mix.shape[1])


@dataclass
class RenderStats:
    """What a render measured, filled in as it runs (pass one to :func:`render_blocks`).

    Attributes
    ----------
    frames : int
        Frames rendered (the outputs' length), known at the end.
    tail_frames : int
        Of which past the end of the last clip.
    tail_capped : bool
        True when the tail was cut at ``tail_max_s`` while still above −96 dBFS.
    residuals : list of ReturnResidual
        One per non-linear return that feeds stems.
    master_residual_peak_dbfs, master_residual_rms_dbfs : float or None
        With the master chain on the mix: how far the mix lies from the sum of the
        (pre-master) stems, peak and RMS over the render (None: no master chain, or exactly 0).
    """

    frames: int = 0
    tail_frames: int = 0
    tail_capped: bool = False
    residuals: list[ReturnResidual] = field(default_factory=list)
    master_residual_peak_dbfs: float | None = None
    master_residual_rms_dbfs: float | None = None


class _Graph:
    """Every running part of one render."""

    def __init__(self, plan: RenderPlan, stack: contextlib.ExitStack) -> None:
        session = plan.session
        rate = session.sample_rate
        routing = plan.routing or plan_routing(
            session, [p.track for p in plan.audible], master_chain=plan.master_chain, track_channels={p.track.name: p.channels for p in plan.audible}
        )
        self.routing = routing
        self.stem_names = [s.name for s in session.stems]
        self.channels: list[TrackChannel] = []
        for p in plan.audible:
            source = stack.enter_context(
                TrackSource(p.track.files, sample_rate=rate, offset_frames=p.offset_frames, label=p.track.name, clips=p.track.clips)
            )
            self.channels.append(TrackChannel(p.track, source, sample_rate=rate, routing=routing))
        self.stems = [StemBus(s, sample_rate=rate, routing=routing) for s in session.stems]
        self.members = {s: [i for i, c in enumerate(self.channels) if c.track.stem == s] for s in self.stem_names}
        self.shared = [SharedReturn(r, sample_rate=rate) for r in routing.returns if r.stems and not r.linear]
        self.master = EffectChain(session.master.inserts, sample_rate=rate, channels=BUS_CHANNELS) if plan.master_chain else None
        # the stems wait for the mix to come out of the master chain
        self.master_align = {name: DelayLine(BUS_CHANNELS, routing.master_latency_frames) for name in self.stem_names}
        self.master_residual_peak = 0.0
        self.master_residual_energy = 0.0
        self.master_residual_values = 0

    def run_stem(self, k: int, tracks: list[TrackOutput], frames: int) -> StemOutput:
        name = self.stem_names[k]
        return self.stems[k].run([tracks[i] for i in self.members[name]], frames)

    def mix(self, outputs: list[StemOutput], frames: int) -> tuple[dict[str, Samples], Samples]:
        for shared in self.shared:
            shared.run(outputs)
        stems = {name: out.bus for name, out in zip(self.stem_names, outputs, strict=True)}
        mix = silence(BUS_CHANNELS, frames)
        for name in self.stem_names:
            mix += stems[name]
        if self.master is not None:
            mix = self.master.process(mix)
            stems = {name: self.master_align[name].process(bus) for name, bus in stems.items()}
            self._measure_master(stems, mix)
        return stems, mix

    def _measure_master(self, stems: dict[str, Samples], mix: Samples) -> None:
        """Accumulate how far the post-master mix lies from the sum of the aligned stems."""
        if not mix.shape[1]:
            return
        total = silence(BUS_CHANNELS, mix.shape[1])
        for name in self.stem_names:
            total += stems[name]
        diff = mix.astype(np.float64) - total
        self.master_residual_peak = max(self.master_residual_peak, float(np.max(np.abs(diff))))
        self.master_residual_energy += float(np.sum(diff * diff))
        self.master_residual_values += diff.size

    def master_residual_dbfs(self) -> tuple[float | None, float | None]:
        """Peak and RMS of the post-master mix minus the sum of the stems, dBFS (None: none)."""
        if self.master is None or not self.master_residual_values:
            return None, None
        rms = math.sqrt(self.master_residual_energy / self.master_residual_values)
        return _dbfs(self.master_residual_peak), _dbfs(rms)


class _Trimmer:
    """Drops the first ``latency`` frames of every output and decides where the render ends.

    Frames before ``content_end`` are passed on at once. Past it, frames are held until
    they are known to belong to the render: the render ends after the last frame above
    the tail threshold that is followed by ``gap`` frames below it; frames from
    ``content_end + tail_max`` on are never looked at (the cap), and when the quiet
    stretch cannot be confirmed inside the cap the tail is reported as capped. The
    decision looks at samples in timeline order only, so it is the same for any block size.
    """

    def __init__(self, *, latency: int, content_end: int, gap: int | None, tail_max: int, block_frames: int) -> None:
        self.skip = latency
        self.content_end = content_end
        self.gap = gap
        self.hard_end = content_end + (tail_max if gap is not None else 0)
        self.block_frames = block_frames
        self.position = 0  # output frames received
        self.emitted = 0
        self.last_loud = content_end - 1  # last frame known to be in the render
        self.done = False
        self.capped = False
        self._held_stems: list[dict[str, Samples]] = []
        self._held_mix: list[Samples] = []

    @property
    def end(self) -> int:
        return max(self.content_end, self.last_loud + 1) if self.done else -1

    def feed(self, stems: dict[str, Samples], mix: Samples) -> None:
        if self.done:
            return
        n = mix.shape[1]
        if self.skip:
            cut = min(self.skip, n)
            self.skip -= cut
            stems = {k: v[:, cut:] for k, v in stems.items()}
            mix = mix[:, cut:]
            n -= cut
            if n == 0:
                return
        start = self.position
        self.position += n
        if self.gap is not None and self.position > self.content_end:
            lo = max(start, self.content_end)
            loudness = np.max(np.abs(mix[:, lo - start :]), axis=0)
            for s in stems.values():
                np.maximum(loudness, np.max(np.abs(s[:, lo - start :]), axis=0), out=loudness)
            for i in np.flatnonzero(loudness > _TAIL_THRESHOLD):
                frame = lo + int(i)
                if frame - self.last_loud > self.gap or frame >= self.hard_end:
                    break
                self.last_loud = frame
            confirmed = self.last_loud + self.gap < self.hard_end  # the quiet stretch after it lies inside the cap
            if confirmed and self.position - self.last_loud > self.gap:
                self.done = True
            elif self.position >= self.hard_end:
                self.done = True
                self.capped = not confirmed
        elif self.gap is None and self.position >= self.content_end:
            self.done = True
        self._held_stems.append(stems)
        self._held_mix.append(mix)

    def blocks(self, final: bool = False) -> Iterator[RenderBlock]:
        """Yield every whole block known to be in the render (and the last, short one when done)."""
        limit = self.end if self.done else min(self.position, max(self.content_end, self.last_loud + 1))
        while True:
            available = limit - self.emitted
            if available <= 0 or (available < self.block_frames and not self.done):
                return
            n = min(self.block_frames, available)
            held = sum(m.shape[1] for m in self._held_mix)
            if held < n:
                return
            mix = np.concatenate(self._held_mix, axis=1) if len(self._held_mix) > 1 else self._held_mix[0]
            stems = {k: (np.concatenate([h[k] for h in self._held_stems], axis=1) if len(self._held_stems) > 1 else self._held_stems[0][k]) for k in self._held_stems[0]}
            out = RenderBlock(self.emitted, {k: v[:, :n] for k, v in stems.items()}, mix[:, :n])
            rest = mix.shape[1] - n
            self._held_mix = [mix[:, n:]] if rest else []
            self._held_stems = [{k: v[:, n:] for k, v in stems.items()}] if rest else []
            self.emitted += n
            yield out


def render_blocks(
    plan: RenderPlan | Session,
    *,
    block_frames: int = DEFAULT_BLOCK_FRAMES,
    workers: int = 2,
    warnings: list[str] | None = None,
    stats: RenderStats | None = None,
) -> Iterator[RenderBlock]:
    """Render the session block by block.

    Parameters
    ----------
    plan : RenderPlan or Session
    block_frames : int
        Frames per block; any size gives the same samples.
    workers : int
        Threads running tracks and stems.
    warnings : list of str, optional
        Receives warnings raised while rendering (a damaged lossy file padded, …).
    stats : RenderStats, optional
        Receives the rendered length, the tail and the residuals of non-linear returns.

    Yields
    ------
    RenderBlock
        ``block_frames`` frames each, the last one shorter.
    """
    if block_frames <= 0:
        raise RenderError(f"block_frames={block_frames} must be a positive integer")
    if isinstance(plan, Session):
        plan = plan_render(plan)
    keep_freed_blocks()  # blocks come back from the heap, not fresh from the system: see stemforge.audio.heap
    with contextlib.ExitStack() as stack:
        graph = _Graph(plan, stack)
        routing = graph.routing
        trimmer = _Trimmer(
            latency=routing.latency_frames,
            content_end=plan.frames,
            gap=routing.tail_gap_frames,
            tail_max=plan.tail_max_frames,
            block_frames=block_frames,
        )
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stemforge-render")) if workers > 1 else None
        step = min(max(block_frames, MIN_STEP_FRAMES), MAX_STEP_FRAMES)
        last_frame = plan.max_frames + routing.latency_frames  # never needed past this
        position = 0

        def run_tracks(frames: int) -> list[Future[TrackOutput]] | list[TrackOutput]:
            if pool is None:
                return [c.run(frames) for c in graph.channels]
            return [pool.submit(c.run, frames) for c in graph.channels]

        def results(items: list[Future[TrackOutput]] | list[TrackOutput]) -> list[TrackOutput]:
            return [f.result() if isinstance(f, Future) else f for f in items]

        def next_size() -> int:
            return max(1, min(step, last_frame - position))

        # a first step as long as the latency's remainder puts every later step's output on
        # block boundaries: the trimmer then cuts blocks as views instead of joining steps
        size = max(1, min(routing.latency_frames % step or step, last_frame))
        pending = run_tracks(size)
        while not trimmer.done:
            tracks = results(pending)
            frames, position = size, position + size
            size = next_size()
            if pool is None:
                outputs = [graph.run_stem(k, tracks, frames) for k in range(len(graph.stems))]
                pending = run_tracks(size)
            else:
                futures = [pool.submit(graph.run_stem, k, tracks, frames) for k in range(len(graph.stems))]
                pending = run_tracks(size)  # the next step's tracks run while this step is mixed
                outputs = [f.result() for f in futures]
            stems, mix = graph.mix(outputs, frames)
            trimmer.feed(stems, mix)
            yield from trimmer.blocks()
        results(pending)
        if warnings is not None:
            for c in graph.channels:
                warnings.extend(c.source.warnings)
        if stats is not None:
            stats.frames = trimmer.end
            stats.tail_frames = trimmer.end - plan.frames
            stats.tail_capped = trimmer.capped
            stats.residuals = [s.result() for s in graph.shared]
            stats.master_residual_peak_dbfs, stats.master_residual_rms_dbfs = graph.master_residual_dbfs()


ProgressCallback = Callable[[int], None]

__all__ = [
    "BUS_CHANNELS",
    "DEFAULT_BLOCK_FRAMES",
    "TAIL_THRESHOLD_DBFS",
    "ProgressCallback",
    "RenderBlock",
    "RenderPlan",
    "RenderStats",
    "TrackPlan",
    "plan_render",
    "render_blocks",
]
