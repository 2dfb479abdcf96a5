"""A fixed delay in whole frames, carried across blocks (latency compensation).

Written by hand because it is a FIFO and nothing more: the output of any sequence of
block sizes equals the input shifted by ``frames`` with zeros in front.
"""

from __future__ import annotations

import numpy as np

from stemforge.audio.buffer import Samples


class DelayLine:
    """Delay ``(channels, n)`` float32 blocks by ``frames`` frames.

    Parameters
    ----------
    channels : int
    frames : int
        Delay, in frames (0 passes blocks through untouched).
    """

    def __init__(self, channels: int, frames: int) -> None:
        if frames < 0:
            raise ValueError(f"frames={frames} must be at least 0")
        self.channels = int(channels)
        self.frames = int(frames)
        self._held = np.zeros((self.channels, self.frames), np.float32)

    def process(self, block: Samples) -> Samples:
        """The next ``block.shape[1]`` frames of the delayed signal."""
        if self.frames == 0:
            return block
        joined = np.concatenate([self._held, block], axis=1)
        n = block.shape[1]
        out, self._held = joined[:, :n], joined[:, n:]
        return out


__all__ = ["DelayLine"]
