"""The running parts of a render: track channels, stem buses with their return instances,
and the shared return instances that measure how far non-linear returns are from nulling.

Each object owns the state of its chains and is used by one thread at a time; the engine
runs all tracks of a block in parallel, then all stems (pedalboard and NumPy release the
GIL, so the cores share the work).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stemforge.audio.buffer import Samples, silence
from stemforge.dsp.chain import EffectChain
from stemforge.dsp.delayline import DelayLine
from stemforge.dsp.pan import channel_gains, db_to_gain
from stemforge.render.routing import ReturnPlan, Routing
from stemforge.render.sources import TrackSource
from stemforge.session.model import Stem, Track

BUS_CHANNELS = 2


@dataclass(frozen=True)
class TrackOutput:
    """One block of a track after its inserts, and the channel strip that places it."""

    channel: TrackChannel
    audio: Samples


class TrackChannel:
    """A track's channel strip: source → inserts → alignment → fader & pan, plus sends."""

    def __init__(self, track: Track, source: TrackSource, *, sample_rate: int, routing: Routing) -> None:
        self.track = track
        self.source = source
        channels = source.channels
        self.chain = EffectChain(track.inserts, sample_rate=sample_rate, channels=channels)
        self.align = DelayLine(channels, routing.track_frame - self.chain.latency_frames)
        #: Gains from the track's channels to the stereo bus (fader and pan).
        self.post = channel_gains(channels, pan=track.pan, gain_db=track.gain_db, invert=track.invert)
        pre = channel_gains(channels, pan=track.pan, gain_db=0.0, invert=track.invert)
        #: Gains from the track's channels to each return it sends to.
        self.sends: dict[str, Samples] = {}
        for s in track.sends:
            gains = (pre if s.pre_fader else self.post) * np.float32(db_to_gain(s.level_db))
            self.sends[s.to] = self.sends[s.to] + gains if s.to in self.sends else gains
        self._bus_gains: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}

    def bus_gains(self, returns: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Gains to the stem's dry bus, then to each of ``returns``, shaped (1 + returns, 2); and which of them it feeds."""
        key = tuple(returns)
        if key not in self._bus_gains:
            zero = np.zeros(BUS_CHANNELS, np.float32)
            gains = np.stack([self.post[:, 0], *(self.sends[to][:, 0] if to in self.sends else zero for to in returns)]).astype(np.float32)
            used = np.array([True, *(to in self.sends for to in returns)])
            self._bus_gains[key] = (gains, used)
        return self._bus_gains[key]

    def run(self, frames: int) -> TrackOutput:
        """Read and process the next ``frames`` frames (the stem bus places them)."""
        return TrackOutput(self, self.align.process(self.chain.process(self.source.read(frames))))


class _ReturnInstance:
    """One stem's instance of a return chain, with the delays that align its inputs and output."""

    def __init__(self, plan: ReturnPlan, *, sample_rate: int, routing: Routing, upstream: dict[str, ReturnPlan]) -> None:
        self.plan = plan
        self.chain = EffectChain(plan.ret.inserts, sample_rate=sample_rate, channels=BUS_CHANNELS)
        self.from_tracks = DelayLine(BUS_CHANNELS, plan.input_frame - routing.track_frame) if plan.input_frame >= routing.track_frame else None
        self.from_returns = {name: DelayLine(BUS_CHANNELS, plan.input_frame - up.output_frame) for name, up in upstream.items()}
        self.out_align = DelayLine(BUS_CHANNELS, routing.bus_frame - plan.output_frame)
        self.gain = np.float32(db_to_gain(plan.ret.gain_db))


@dataclass(frozen=True)
class StemOutput:
    """One block of a stem, and its return instances' inputs and outputs (for residuals)."""

    bus: Samples
    return_inputs: dict[str, Samples]
    return_outputs: dict[str, Samples]


class StemBus:
    """A stem: its tracks' sum → inserts → fader, plus its own instance of each return it feeds."""

    def __init__(self, stem: Stem, *, sample_rate: int, routing: Routing) -> None:
        self.stem = stem
        self.chain = EffectChain(stem.inserts, sample_rate=sample_rate, channels=BUS_CHANNELS)
        self.align = DelayLine(BUS_CHANNELS, routing.bus_frame - routing.track_frame - self.chain.latency_frames)
        self.fader = np.float32(db_to_gain(stem.gain_db))
        by_name = {p.name: p for p in routing.returns}
        self.returns: list[_ReturnInstance] = []
        for plan in routing.returns:
            if stem.name not in plan.stems:
                continue
            upstream = {p.name: p for p in routing.returns if stem.name in p.stems and any(f[0] == plan.name for f in p.feeds)}
            self.returns.append(_ReturnInstance(plan, sample_rate=sample_rate, routing=routing, upstream={n: by_name[n] for n in upstream}))

    def run(self, tracks: list[TrackOutput], frames: int) -> StemOutput:
        """Mix one block of this stem from its tracks' outputs (in session order)."""
        # numba: imported when a stem first mixes
        from stemforge.render.busmix import add_to_buses

        fed = [inst.plan.name for inst in self.returns if inst.from_tracks is not None]
        buses = silence(1 + len(fed), BUS_CHANNELS, frames)  # the dry sum, then each return's input
        dry = buses[0]
        sends = dict(zip(fed, buses[1:], strict=True))
        for t in tracks:
            gains, used = t.channel.bus_gains(fed)
            add_to_buses(buses, gains, used, t.audio)
        bus = self.align.process(self.chain.process(dry))
        # ``bus`` may be a view of a chain's or delay line's state: the first sum below
        # makes a new array, later ones add into it in place
        owned = False
        if self.fader != 1.0:
            bus, owned = bus * self.fader, True
        inputs: dict[str, Samples] = {}
        outputs: dict[str, Samples] = {}
        feeds: dict[str, list[tuple[str, Samples]]] = {}
        for inst in self.returns:
            name = inst.plan.name
            if inst.from_tracks is not None:
                x = inst.from_tracks.process(sends[name])
            else:
                x = silence(BUS_CHANNELS, frames)
            for up, signal in feeds.get(name, []):
                x += inst.from_returns[up].process(signal)
            wet = inst.chain.process(x)
            out = wet if inst.gain == 1.0 else wet * inst.gain
            for to, level, pre in inst.plan.feeds:
                feeds.setdefault(to, []).append((name, (wet if pre else out) * np.float32(level)))
            inputs[name], outputs[name] = x, out
            if owned:
                bus += inst.out_align.process(out)
            else:
                bus, owned = bus + inst.out_align.process(out), True
        return StemOutput(bus, inputs, outputs)


class SharedReturn:
    """One instance of a non-linear return fed with the sum of every stem's share of its input.

    Its output is what a mix through a single shared return would hold; the difference to
    the sum of the per-stem instances is the residual reported in ``render.json``.
    """

    def __init__(self, plan: ReturnPlan, *, sample_rate: int) -> None:
        self.plan = plan
        self.chain = EffectChain(plan.ret.inserts, sample_rate=sample_rate, channels=BUS_CHANNELS)
        self.gain = np.float32(db_to_gain(plan.ret.gain_db))
        self.residual_peak = 0.0
        self.residual_energy = 0.0
        self.reference_peak = 0.0
        self.frames = 0

    def run(self, stems: list[StemOutput]) -> None:
        """Feed one block (all stems' outputs for it)."""
        name = self.plan.name
        parts = [s for s in stems if name in s.return_inputs]
        if not parts:
            return
        x: Samples = np.asarray(np.sum([s.return_inputs[name] for s in parts], axis=0, dtype=np.float64), dtype=np.float32)
        shared = self.chain.process(x).astype(np.float64) * float(self.gain)
        per_stem = np.sum([s.return_outputs[name] for s in parts], axis=0, dtype=np.float64)
        diff = per_stem - shared
        if diff.size:
            self.residual_peak = max(self.residual_peak, float(np.max(np.abs(diff))))
            self.reference_peak = max(self.reference_peak, float(np.max(np.abs(shared))))
            self.residual_energy += float(np.sum(diff * diff))
            self.frames += diff.shape[1]

    def result(self) -> ReturnResidual:
        rms = math.sqrt(self.residual_energy / (self.frames * BUS_CHANNELS)) if self.frames else 0.0
        return ReturnResidual(
            name=self.plan.name,
            stems=self.plan.stems,
            residual_peak_dbfs=_dbfs(self.residual_peak),
            residual_rms_dbfs=_dbfs(rms),
            shared_peak_dbfs=_dbfs(self.reference_peak),
        )


def _dbfs(value: float) -> float | None:
    return round(20 * math.log10(value), 2) if value > 0 else None


@dataclass(frozen=True)
class ReturnResidual:
    """How far the per-stem instances of a non-linear return are from one shared instance.

    Attributes
    ----------
    name : str
        The return.
    stems : tuple of str
        Stems carrying a share of it: they sum to the mix, but not to a mix rendered
        through one shared instance of this return.
    residual_peak_dbfs, residual_rms_dbfs : float or None
        Peak and RMS of ``Σ per-stem instances − shared instance`` (None: exactly 0).
    shared_peak_dbfs : float or None
        Peak of the shared instance's output, for scale.
    """

    name: str
    stems: tuple[str, ...]
    residual_peak_dbfs: float | None
    residual_rms_dbfs: float | None
    shared_peak_dbfs: float | None


__all__ = ["BUS_CHANNELS", "ReturnResidual", "SharedReturn", "StemBus", "StemOutput", "TrackChannel", "TrackOutput"]
