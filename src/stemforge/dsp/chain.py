"""An insert chain in use: effect specs turned into one streaming pedalboard instance.

Two properties of pedalboard's plugins decide how a chain is driven:

- a plugin is re-prepared — and its state cleared — whenever it is handed a block
  longer than any before, so each chain is primed once with ``PROCESS_FRAMES`` zeros
  (which leaves filters and buffers empty and only lets parameter smoothing settle);
- JUCE's filters and envelope followers flush tiny state values to zero at the end of
  every call (denormal protection), so where the calls split the stream changes the
  output in its last bits.

So a chain that runs pedalboard never passes the caller's blocks on: it collects input
in a FIFO and calls pedalboard (``reset=False``, state carried) only on whole pieces of
exactly ``PROCESS_FRAMES`` frames, at the same stream positions whatever the block size.
The output is therefore bit-identical for any block size, at the price of a latency of
``PROCESS_FRAMES`` frames, which the chain reports and the engine compensates like any
plugin latency.

Effects with a :meth:`~stemforge.dsp.effect.EffectSpec.stage` — the EQ as compiled
second-order sections (:mod:`stemforge.dsp.iir`), a delay as vectorised NumPy
(:mod:`stemforge.dsp.echo`), a stereo reverb and a compressor compiled with numba
(:mod:`stemforge.dsp.freeverb`, :mod:`stemforge.dsp.ballistics`) — run it instead of
their plugins, for less work. A stage takes blocks of any size and gives the same samples
however the stream is cut (where the plugin's output depends on its calls' boundaries —
the EQ's denormal flush — the stage keeps track of them), so a chain made only of stages
hands each block straight through: no FIFO, no copy, no latency. The other effects run
as one ``Pedalboard`` per run of plugins, framed as above.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pedalboard

from stemforge.audio.buffer import Samples
from stemforge.dsp.effect import EffectSpec, Stage

#: Frames per call into pedalboard (its ``buffer_size``).
PROCESS_FRAMES = 8192


def chain_latency_frames(specs: Sequence[EffectSpec], sample_rate: int, *, channels: int = 2) -> int:
    """Total latency of a chain on ``channels`` channels, in frames: its effects', plus the
    fixed framing when any of them runs as pedalboard plugins (0 when empty)."""
    effects = sum(s.latency_frames(sample_rate) for s in specs)
    return effects + (PROCESS_FRAMES if chain_is_framed(specs, sample_rate, channels=channels) else 0)


def chain_is_framed(specs: Sequence[EffectSpec], sample_rate: int, *, channels: int = 2) -> bool:
    """True when some effect of the chain runs as pedalboard plugins (on ``channels``
    channels, on this machine), so the chain is fed in ``PROCESS_FRAMES`` pieces."""
    return any(_runs_plugins(s, int(sample_rate), int(channels)) for s in specs)


@functools.lru_cache(maxsize=256)
def _runs_plugins(spec: EffectSpec, sample_rate: int, channels: int) -> bool:
    return spec.stage(sample_rate, channels=channels) is None


def chain_is_linear(specs: Sequence[EffectSpec]) -> bool:
    """True when every effect of the chain is linear and time-invariant."""
    return all(s.linear for s in specs)


def chain_tail_gap_s(specs: Sequence[EffectSpec]) -> float | None:
    """None when no effect of the chain has a tail, else the sum of their silent gaps."""
    gaps = [g for g in (s.tail_gap_s() for s in specs) if g is not None]
    return sum(gaps) if gaps else None


def _fused(stages: list[pedalboard.Pedalboard | Stage]) -> list[pedalboard.Pedalboard | Stage]:
    """``stages`` with each EQ cascade directly followed by a compressor made one stage (same samples, less time)."""
    if len(stages) < 2 or all(isinstance(stage, pedalboard.Pedalboard) for stage in stages):
        return stages
    # numba: the compiled stages are already loaded when a chain has them
    from stemforge.dsp.ballistics import EqCompressor, PeakCompressor
    from stemforge.dsp.iir import SectionCascade

    out: list[pedalboard.Pedalboard | Stage] = []
    for stage in stages:
        previous = out[-1] if out else None
        if isinstance(stage, PeakCompressor) and isinstance(previous, SectionCascade):
            out[-1] = EqCompressor(previous, stage)
        else:
            out.append(stage)
    return out


class EffectChain:
    """One running instance of an insert chain.

    Parameters
    ----------
    specs : sequence of EffectSpec
        In signal order (may be empty: the chain then passes audio through).
    sample_rate : int
        Hz.
    channels : int
        Channels of the audio it will process.
    """

    def __init__(self, specs: Sequence[EffectSpec], *, sample_rate: int, channels: int) -> None:
        self.specs = tuple(specs)
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self.latency_frames = chain_latency_frames(self.specs, self.sample_rate, channels=self.channels)
        self.linear = chain_is_linear(self.specs)
        # an effect with a stage (same samples as its plugins, less work) runs it; runs of
        # the other effects' plugins become one Pedalboard each
        self._stages: list[pedalboard.Pedalboard | Stage] = []
        plugins: list[pedalboard.Plugin] = []
        for spec in self.specs:
            stage = spec.stage(self.sample_rate, channels=self.channels)
            if stage is None:
                plugins += spec.plugins(self.sample_rate)
                continue
            if plugins:
                self._stages.append(self._primed(plugins))
                plugins = []
            self._stages.append(stage)
        if plugins:
            self._stages.append(self._primed(plugins))
        self._stages = _fused(self._stages)
        #: Fed in PROCESS_FRAMES pieces through a FIFO (some effect runs as pedalboard plugins).
        self.framed = any(isinstance(stage, pedalboard.Pedalboard) for stage in self._stages)
        self._pending = np.zeros((self.channels, 0), np.float32)  # input not yet processed
        self._ready = np.zeros((self.channels, PROCESS_FRAMES if self.framed else 0), np.float32)  # output not yet handed out

    def _primed(self, plugins: list[pedalboard.Plugin]) -> pedalboard.Pedalboard:
        board = pedalboard.Pedalboard(plugins)
        board.process(np.zeros((self.channels, PROCESS_FRAMES), np.float32), self.sample_rate, buffer_size=PROCESS_FRAMES, reset=False)
        return board

    def _run(self, audio: Samples) -> Samples:
        for stage in self._stages:
            if isinstance(stage, pedalboard.Pedalboard):
                audio = np.asarray(stage.process(audio, self.sample_rate, buffer_size=PROCESS_FRAMES, reset=False), dtype=np.float32)
            else:
                audio = stage.process(audio)
        return audio

    @property
    def empty(self) -> bool:
        """True when the chain does nothing."""
        return not self._stages

    def process(self, block: Samples) -> Samples:
        """The next ``block.shape[1]`` frames of output (delayed by :attr:`latency_frames`).

        ``block`` is shaped ``(channels, frames)``; state carries to the next call.
        """
        if not self._stages or block.shape[1] == 0:
            return block
        if not self.framed:
            return self._run(block)
        n = block.shape[1]
        pending = np.concatenate([self._pending, block], axis=1) if self._pending.shape[1] else block
        whole = pending.shape[1] - pending.shape[1] % PROCESS_FRAMES
        if whole:
            done = self._run(pending[:, :whole])
            self._ready = np.concatenate([self._ready, done], axis=1) if self._ready.shape[1] else done
        self._pending = pending[:, whole:].copy()
        out, self._ready = self._ready[:, :n], self._ready[:, n:]
        return out


__all__ = ["PROCESS_FRAMES", "EffectChain", "chain_is_framed", "chain_is_linear", "chain_latency_frames", "chain_tail_gap_s"]
