"""Routing and latency of a render, worked out before any audio is read.

Signal flow (every path is delayed to the longest one, so all outputs stay aligned)::

    track: source → inserts → [align to A] → fader & pan ──────────────→ stem bus → stem inserts → fader ─┐
                                         └→ send (pre/post fader) → return (one instance per stem) ──────┤
                                                                   └→ return → return sends (no loops)   ┤
                                                                                                stem = Σ ┘
    mix = Σ stems (session order)  [→ master inserts, with --master-chain]

Latencies, in frames (``L`` is a chain's reported latency):

- ``A = max L(track)``: every track's output is delayed by ``A − L(track)``.
- a return ``r`` takes its input at ``In(r) = max(A if tracks send to it, Out(r') for each
  return r' sending to it)`` and delivers at ``Out(r) = In(r) + L(r)``; each send into it is
  delayed by ``In(r)`` minus the latency of the point it leaves.
- the stems meet at ``T0 = max(A + max L(stem), max Out(r))``: a stem's dry bus is delayed
  by ``T0 − A − L(stem)``, each return instance's output by ``T0 − Out(r)``.
- with the master chain the stems are delayed by ``L(master)`` more, so ``T = T0 + L(master)``.

The engine renders ``T`` frames more than the timeline and drops the first ``T`` of every
output: an impulse lands on the same frame in every stem, in the mix and on a dry track.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from stemforge.dsp.chain import chain_is_linear, chain_latency_frames, chain_tail_gap_s
from stemforge.session.mixing import return_order
from stemforge.session.model import Return, Session, Track


@dataclass(frozen=True)
class ReturnPlan:
    """One FX return in the render.

    Attributes
    ----------
    ret : Return
    stems : tuple of str
        Stems that get an instance of it (their tracks send to it, directly or through
        other returns), in session order.
    latency_frames : int
        Its chain's latency.
    input_frame, output_frame : int
        ``In(r)`` and ``Out(r)``: latency of its input and its output.
    linear : bool
        True when its chain is linear, so the per-stem instances sum exactly to one
        shared instance fed with the sum.
    feeds : tuple of (str, float, bool)
        Returns this one sends to: name, linear send level, pre-fader (before the
        return's own fader) or not.
    """

    ret: Return
    stems: tuple[str, ...]
    latency_frames: int
    input_frame: int
    output_frame: int
    linear: bool
    feeds: tuple[tuple[str, float, bool], ...]

    @property
    def name(self) -> str:
        return self.ret.name


@dataclass(frozen=True)
class Routing:
    """Latencies and return instances of a render (see the module docstring).

    Attributes
    ----------
    track_frame : int
        ``A``.
    bus_frame : int
        ``T0``.
    master_latency_frames : int
        ``L(master)`` when the master chain is applied, else 0.
    latency_frames : int
        ``T``: frames dropped from the start of every output.
    stem_latency : dict of str to int
        Each stem chain's latency.
    returns : tuple of ReturnPlan
        In processing order.
    tail_gap_frames : int or None
        None when no chain in the render has a tail (reverb, delay); else the longest
        silent stretch a tail may contain.
    """

    track_frame: int
    bus_frame: int
    master_latency_frames: int
    latency_frames: int
    stem_latency: dict[str, int]
    returns: tuple[ReturnPlan, ...]
    tail_gap_frames: int | None


def _db(gain_db: float) -> float:
    return 10.0 ** (gain_db / 20.0)


def plan_routing(session: Session, audible: Sequence[Track], *, master_chain: bool, track_channels: Mapping[str, int] | None = None) -> Routing:
    """Work out latencies and which stem gets which return instance.

    ``track_channels`` gives each audible track's channel count (its inserts run on its
    own channels, which can decide their latency); a track missing from it counts as stereo.
    """
    rate = session.sample_rate
    channels = track_channels or {}
    a = max((chain_latency_frames(t.inserts, rate, channels=channels.get(t.name, 2)) for t in audible), default=0)
    by_name = {r.name: r for r in session.returns}
    stems_of: dict[str, set[str]] = {r.name: set() for r in session.returns}
    from_tracks: dict[str, bool] = {r.name: False for r in session.returns}
    for t in audible:
        for s in t.sends:
            stems_of[s.to].add(t.stem)
            from_tracks[s.to] = True
    plans: list[ReturnPlan] = []
    out_frame: dict[str, int] = {}
    stem_order = [s.name for s in session.stems]
    order = return_order(session.returns)
    feeders: dict[str, list[str]] = {n: [] for n in order}
    for r in session.returns:
        for s in r.sends:
            feeders[s.to].append(r.name)
    for name in order:
        r = by_name[name]
        for upstream in feeders[name]:
            stems_of[name] |= stems_of[upstream]
        inputs = [a] if from_tracks[name] else []
        inputs += [out_frame[u] for u in feeders[name] if stems_of[u]]
        latency = chain_latency_frames(r.inserts, rate)
        start = max(inputs, default=0)
        out_frame[name] = start + latency
        plans.append(
            ReturnPlan(
                ret=r,
                stems=tuple(s for s in stem_order if s in stems_of[name]),
                latency_frames=latency,
                input_frame=start,
                output_frame=start + latency,
                linear=chain_is_linear(r.inserts),
                feeds=tuple((s.to, _db(s.level_db), s.pre_fader) for s in r.sends),
            )
        )
    stem_latency = {s.name: chain_latency_frames(s.inserts, rate) for s in session.stems}
    t0 = max([a + max(stem_latency.values(), default=0), *(p.output_frame for p in plans if p.stems)])
    master = chain_latency_frames(session.master.inserts, rate) if master_chain else 0
    gaps = [chain_tail_gap_s(t.inserts) for t in audible]
    gaps += [chain_tail_gap_s(s.inserts) for s in session.stems]
    gaps += [chain_tail_gap_s(p.ret.inserts) for p in plans if p.stems]
    if master_chain:
        gaps.append(chain_tail_gap_s(session.master.inserts))
    known = [g for g in gaps if g is not None]
    tail_gap = round((sum(known) + 0.05) * rate) if known else None
    return Routing(
        track_frame=a,
        bus_frame=t0,
        master_latency_frames=master,
        latency_frames=t0 + master,
        stem_latency=stem_latency,
        returns=tuple(plans),
        tail_gap_frames=tail_gap,
    )


__all__ = ["ReturnPlan", "Routing", "plan_routing"]
