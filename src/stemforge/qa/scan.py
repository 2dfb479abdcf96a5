"""One streaming pass over a file's blocks, keeping what every level and stereo check needs.

A :class:`StemScanner` is fed consecutive float32 ``(channels, frames)`` blocks and keeps
only sums, peaks, clip runs and a coarse envelope (energy and peak per segment of
:data:`SEGMENT_FRAMES` frames), so memory stays small however long the file. The
envelope is what start alignment, true-peak search and duplicate detection look at later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from stemforge.audio import Samples

#: Frames per envelope segment (about 21 ms at 48 kHz).
SEGMENT_FRAMES = 1024

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class StemScan:
    """What one pass over a file measured.

    Attributes
    ----------
    frames : int
        Frames read.
    channels : int
    peak : np.ndarray, float64, shape (channels,)
        Sample peak per channel (linear, full scale 1.0).
    mean : np.ndarray, float64, shape (channels,)
        Mean per channel (DC offset, linear).
    mean_square : np.ndarray, float64, shape (channels,)
    lr_product : float
        Mean of left × right (stereo only; 0 otherwise).
    side_mean_square : float
        Mean of ((left − right) / 2)² (stereo only; 0 otherwise).
    non_finite : int
        Count of NaN and Inf samples.
    identical_channels : bool
        True for a stereo file whose two channels are sample-for-sample equal (dual mono).
    clip_runs : int
        Runs of at least ``min_clip_run`` consecutive samples at full scale.
    clipped_samples : int
        Samples in those runs.
    longest_clip_run : int
    first_clip_frame : int or None
    segment_energy : np.ndarray, float64, shape (segments,)
        Sum of squares over channels per segment.
    segment_peak : np.ndarray, float32, shape (segments,)
        Absolute peak over channels per segment.
    """

    frames: int
    channels: int
    peak: FloatArray
    mean: FloatArray
    mean_square: FloatArray
    lr_product: float
    side_mean_square: float
    non_finite: int
    identical_channels: bool
    clip_runs: int
    clipped_samples: int
    longest_clip_run: int
    first_clip_frame: int | None
    segment_energy: FloatArray
    segment_peak: npt.NDArray[np.float32]


class StemScanner:
    """Accumulate :class:`StemScan` statistics block by block.

    Parameters
    ----------
    channels : int
    clip_level : float
        Absolute sample value counted as full scale (linear).
    min_clip_run : int
        Consecutive full-scale samples that count as clipping.
    """

    def __init__(self, channels: int, *, clip_level: float, min_clip_run: int) -> None:
        self.channels = int(channels)
        self.clip_level = float(clip_level)
        self.min_clip_run = int(min_clip_run)
        self.frames = 0
        self._peak = np.zeros(self.channels)
        self._sum = np.zeros(self.channels)
        self._sum_sq = np.zeros(self.channels)
        self._lr = 0.0
        self._identical_channels = self.channels == 2
        self._non_finite = 0
        self._clip_runs = 0
        self._clipped = 0
        self._longest = 0
        self._first_clip: int | None = None
        self._run = np.zeros(self.channels, dtype=np.int64)  # open run length per channel
        self._run_start = np.zeros(self.channels, dtype=np.int64)
        self._energy: list[FloatArray] = []
        self._seg_peak: list[npt.NDArray[np.float32]] = []
        self._pending = np.zeros((self.channels, 0), np.float32)  # frames short of a segment

    def feed(self, block: Samples) -> Samples:
        """Add the next block, shaped ``(channels, frames)``; return it with NaN/Inf as 0.

        Everything is computed from float32 passes over the block (sum, left·right, abs,
        per-segment max and sum of squares), accumulated in float64.
        """
        if block.shape[1] == 0:
            return block
        sums = block.sum(axis=1)
        if not np.all(np.isfinite(sums)):
            bad = ~np.isfinite(block)
            self._non_finite += int(np.count_nonzero(bad))
            block = np.where(bad, np.float32(0.0), block)
            sums = block.sum(axis=1)
        self._sum += sums
        if self.channels == 2:
            self._lr += float(np.dot(block[0], block[1]))
            if self._identical_channels:
                self._identical_channels = bool(np.array_equal(block[0], block[1]))
        carried = self._pending.shape[1]
        data = np.concatenate([self._pending, block], axis=1) if carried else block
        absolute = np.abs(data)
        whole = data.shape[1] // SEGMENT_FRAMES * SEGMENT_FRAMES
        gate = np.zeros(self.channels, np.float32)
        if whole:
            seg = data[:, :whole].reshape(self.channels, -1, SEGMENT_FRAMES)
            energy = np.einsum("csf,csf->cs", seg, seg).astype(np.float64)
            self._sum_sq += energy.sum(axis=1)
            self._energy.append(energy.sum(axis=0))
            seg_peak = absolute[:, :whole].reshape(self.channels, -1, SEGMENT_FRAMES).max(axis=2)
            self._seg_peak.append(seg_peak.max(axis=0))
            gate = seg_peak.max(axis=1)
        if whole < data.shape[1]:
            gate = np.maximum(gate, absolute[:, whole:].max(axis=1))
        self._peak = np.maximum(self._peak, gate)
        self._pending = data[:, whole:].copy()
        self._clips(absolute[:, carried:], gate)
        self.frames += block.shape[1]
        return block

    def _clips(self, absolute: Samples, gate: npt.NDArray[np.float32]) -> None:
        """Count runs of >= min_clip_run samples at full scale, carrying runs across blocks.

        ``gate`` is an upper bound of each channel's peak in ``absolute``.
        """
        n = absolute.shape[1]
        for ch in range(self.channels):
            row = absolute[ch]
            if gate[ch] < self.clip_level:
                self._close_run(ch)
                continue
            hot = row >= self.clip_level
            # Run boundaries within this block.
            edges = np.diff(np.concatenate(([0], hot.view(np.int8), [0])))
            starts = np.flatnonzero(edges == 1)
            ends = np.flatnonzero(edges == -1)
            for i, (s, e) in enumerate(zip(starts, ends, strict=True)):
                if i == 0 and s == 0 and self._run[ch]:
                    length = int(self._run[ch] + e)
                    start = int(self._run_start[ch])
                else:
                    if i == 0:
                        self._close_run(ch)
                    length = int(e - s)
                    start = self.frames + int(s)
                if e == n:  # run continues into the next block
                    self._run[ch] = length
                    self._run_start[ch] = start
                else:
                    self._run[ch] = 0
                    self._count_run(length, start)
            if len(starts) == 0:
                self._close_run(ch)

    def _close_run(self, ch: int) -> None:
        if self._run[ch]:
            self._count_run(int(self._run[ch]), int(self._run_start[ch]))
            self._run[ch] = 0

    def _count_run(self, length: int, start: int) -> None:
        if length >= self.min_clip_run:
            self._clip_runs += 1
            self._clipped += length
            self._longest = max(self._longest, length)
            if self._first_clip is None or start < self._first_clip:
                self._first_clip = start

    def finish(self) -> StemScan:
        """Close open runs and the last partial segment; return the statistics."""
        for ch in range(self.channels):
            self._close_run(ch)
        if self._pending.shape[1]:
            seg = self._pending.astype(np.float64)
            energy = np.sum(seg * seg, axis=1)
            self._sum_sq += energy
            self._energy.append(np.array([float(energy.sum())]))
            self._seg_peak.append(np.array([np.abs(seg).max()], np.float32))
            self._pending = np.zeros((self.channels, 0), np.float32)
        frames = max(self.frames, 1)
        mean_square = self._sum_sq / frames
        lr = self._lr / frames if self.channels == 2 else 0.0
        side = (mean_square[0] + mean_square[1] - 2 * lr) / 4 if self.channels == 2 else 0.0
        return StemScan(
            frames=self.frames,
            channels=self.channels,
            peak=self._peak.copy(),
            mean=self._sum / frames,
            mean_square=mean_square,
            lr_product=float(lr),
            side_mean_square=float(max(side, 0.0)),
            non_finite=self._non_finite,
            identical_channels=self._identical_channels and self.frames > 0,
            clip_runs=self._clip_runs,
            clipped_samples=self._clipped,
            longest_clip_run=self._longest,
            first_clip_frame=self._first_clip,
            segment_energy=np.concatenate(self._energy) if self._energy else np.zeros(0),
            segment_peak=np.concatenate(self._seg_peak) if self._seg_peak else np.zeros(0, np.float32),
        )


__all__ = ["SEGMENT_FRAMES", "StemScan", "StemScanner"]
