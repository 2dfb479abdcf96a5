"""An insert chain in use: effect specs turned into one streaming pedalboard instance.

pedalboard re-prepares a plugin — and so clears its state — whenever it is handed a
block longer than any before. Each chain is therefore primed once with one block of
``PROCESS_FRAMES`` zeros and then always called with ``buffer_size=PROCESS_FRAMES`` and
``reset=False``: every later call is cut into pieces no longer than the first, the state
(filter memories, envelopes, reverb and delay buffers) is carried from block to block,
and the output is the same for any block size. Priming with silence leaves the filters
and buffers empty and only lets parameter smoothing settle, so it delays nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pedalboard

from stemforge.audio.buffer import Samples
from stemforge.dsp.effect import EffectSpec

#: Frames per call into pedalboard (its ``buffer_size``).
PROCESS_FRAMES = 8192


def chain_latency_frames(specs: Sequence[EffectSpec], sample_rate: int) -> int:
    """Total latency of a chain, in frames."""
    return sum(s.latency_frames(sample_rate) for s in specs)


def chain_is_linear(specs: Sequence[EffectSpec]) -> bool:
    """True when every effect of the chain is linear and time-invariant."""
    return all(s.linear for s in specs)


def chain_tail_gap_s(specs: Sequence[EffectSpec]) -> float | None:
    """None when no effect of the chain has a tail, else the sum of their silent gaps."""
    gaps = [g for g in (s.tail_gap_s() for s in specs) if g is not None]
    return sum(gaps) if gaps else None


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
        self.latency_frames = chain_latency_frames(self.specs, self.sample_rate)
        self.linear = chain_is_linear(self.specs)
        plugins = [p for s in self.specs for p in s.plugins(self.sample_rate)]
        self._board: pedalboard.Pedalboard | None = pedalboard.Pedalboard(plugins) if plugins else None
        if self._board is not None:
            self._board.process(np.zeros((self.channels, PROCESS_FRAMES), np.float32), self.sample_rate, buffer_size=PROCESS_FRAMES, reset=False)

    @property
    def empty(self) -> bool:
        """True when the chain does nothing."""
        return self._board is None

    def process(self, block: Samples) -> Samples:
        """Process the next block, shaped ``(channels, frames)``; state carries to the next call."""
        if self._board is None or block.shape[1] == 0:
            return block
        out = self._board.process(block, self.sample_rate, buffer_size=PROCESS_FRAMES, reset=False)
        return np.asarray(out, dtype=np.float32)


__all__ = ["PROCESS_FRAMES", "EffectChain", "chain_is_linear", "chain_latency_frames", "chain_tail_gap_s"]
