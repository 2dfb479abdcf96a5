"""Streaming sample-rate conversion (soxr, very high quality).

A resampler carries its filter state between blocks, so resampling a file block by
block gives the same result as resampling it at once, and the total output length is
``round(frames_in * rate_out / rate_in)``.
"""

from __future__ import annotations

import numpy as np
import soxr

from stemforge.audio.buffer import AudioBuffer, Samples


class StreamResampler:
    """Resample ``(channels, frames)`` float32 blocks from ``rate_in`` to ``rate_out`` Hz."""

    def __init__(self, rate_in: int, rate_out: int, channels: int, *, quality: str = "VHQ") -> None:
        self.rate_in = int(rate_in)
        self.rate_out = int(rate_out)
        self.channels = int(channels)
        self._stream = soxr.ResampleStream(self.rate_in, self.rate_out, self.channels, dtype="float32", quality=quality)

    def process(self, block: Samples, *, last: bool = False) -> Samples:
        """Feed a block; return the output available so far (everything, when ``last``)."""
        out = self._stream.resample_chunk(np.ascontiguousarray(block.T), last=last)
        return np.ascontiguousarray(np.asarray(out, dtype=np.float32).T).reshape(self.channels, -1)


def resample(buffer: AudioBuffer, sample_rate: int, *, quality: str = "VHQ") -> AudioBuffer:
    """Resample a whole buffer (a thin wrapper over :class:`StreamResampler`)."""
    if sample_rate == buffer.sample_rate:
        return buffer
    stream = StreamResampler(buffer.sample_rate, sample_rate, buffer.channels, quality=quality)
    return AudioBuffer(stream.process(buffer.samples, last=True), sample_rate)


__all__ = ["StreamResampler", "resample"]
