"""Sample-level statistics, streaming: peak, RMS, DC offset, correlation, clipping, envelope.

These need no standard beyond their definitions; they are accumulated in float64 over the
meter's fixed internal blocks so that streaming and whole-buffer results agree exactly.

- RMS: ``sqrt(sum x**2 / (frames * channels))`` over all channels; reported as
  ``20 log10(rms)`` dBFS with a full-scale square wave at 0 dBFS (a full-scale sine reads
  -3.01 dBFS), the convention of most DAW meters.
- DC offset: the mean sample value of each channel.
- Correlation: ``sum(l * r) / sqrt(sum(l**2) * sum(r**2))`` of the first two channels over the
  whole file, as a phase-correlation meter shows it (+1 mono, 0 unrelated, -1 out of phase).
- Clipped runs: runs of at least ``CLIP_RUN_FRAMES`` consecutive samples of one channel at or
  above ``CLIP_LEVEL`` in magnitude (the tell-tale flat tops of a clipped converter or bounce).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from stemforge.analysis._pages import PagedArray

#: Magnitude from which a sample counts as clipped (-0.0009 dBFS; 16-bit full scale is above it).
CLIP_LEVEL = 0.9999
#: Consecutive clipped samples that make one clipped run.
CLIP_RUN_FRAMES = 3


class LevelAccumulator:
    """Accumulates sample statistics of ``channels`` channels block by block."""

    def __init__(self, channels: int) -> None:
        self.channels = channels
        self.frames = 0
        self.sum = np.zeros(channels)
        self.sum_squares = np.zeros(channels)
        #: Largest absolute sample per channel.
        self.peak = np.zeros(channels)
        self.cross = 0.0
        self.clipped_runs = 0
        self._run = np.zeros(channels, np.int64)
        self._envelope_max = PagedArray()
        self._envelope_min = PagedArray()

    def copy(self) -> LevelAccumulator:
        """An independent copy of this accumulator and its state."""
        other = object.__new__(LevelAccumulator)
        other.__dict__.update(self.__dict__)
        other.sum = self.sum.copy()
        other.sum_squares = self.sum_squares.copy()
        other.peak = self.peak.copy()
        other._run = self._run.copy()
        other._envelope_max = self._envelope_max.copy()
        other._envelope_min = self._envelope_min.copy()
        return other

    def process(self, block: npt.NDArray[np.float32], wide: npt.NDArray[np.float64], starts: npt.NDArray[np.int64]) -> None:
        """Feed ``block`` (float32, (channels, frames)) and its float64 copy ``wide``.

        ``starts`` are the first frames of the 100 ms envelope segments within the block.
        """
        self.frames += block.shape[1]
        self.sum += wide.sum(axis=1)
        self.sum_squares += np.einsum("ij,ij->i", wide, wide)
        if self.channels >= 2:
            self.cross += float(np.einsum("i,i->", wide[0], wide[1]))  # no BLAS threads
        np.maximum(self.peak, np.maximum(block.max(axis=1), -block.min(axis=1)), out=self.peak)
        column_max = block.max(axis=0)
        column_min = block.min(axis=0)
        self._envelope_max.append(np.maximum.reduceat(column_max, starts))
        self._envelope_min.append(np.minimum.reduceat(column_min, starts))
        if max(float(column_max.max()), -float(column_min.min())) < CLIP_LEVEL:
            self._run[:] = 0
            return
        for channel in range(self.channels):
            self._count_runs(channel, np.abs(block[channel]) >= CLIP_LEVEL)

    def _count_runs(self, channel: int, clipped: npt.NDArray[np.bool_]) -> None:
        # A run is counted once, in the block where its length reaches CLIP_RUN_FRAMES.
        edges = np.diff(np.concatenate([[0], clipped.view(np.int8), [0]]))
        starts = np.flatnonzero(edges == 1)
        ends = np.flatnonzero(edges == -1)
        if starts.size == 0:
            self._run[channel] = 0
            return
        totals = (ends - starts).astype(np.int64)
        before = np.zeros_like(totals)
        if starts[0] == 0:
            before[0] = self._run[channel]
            totals[0] += before[0]
        self.clipped_runs += int(np.count_nonzero((before < CLIP_RUN_FRAMES) & (totals >= CLIP_RUN_FRAMES)))
        self._run[channel] = totals[-1] if ends[-1] == clipped.size else 0

    def envelope(self) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Smallest and largest sample (over channels) of each 100 ms segment."""
        empty = np.zeros(0, np.float32)
        return self._envelope_min.concatenate(empty), self._envelope_max.concatenate(empty)


__all__ = ["CLIP_LEVEL", "CLIP_RUN_FRAMES", "LevelAccumulator"]
