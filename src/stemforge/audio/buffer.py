"""The audio convention every module shares: float32 samples shaped ``(channels, frames)``.

The layout is never guessed from an array's shape; a mono signal is ``(1, frames)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from stemforge.errors import UsageError

Samples = npt.NDArray[np.float32]


@dataclass(frozen=True, eq=False)
class AudioBuffer:
    """Audio in memory with its sample rate.

    Parameters
    ----------
    samples : np.ndarray, float32, shape (channels, frames)
        The audio. Other float dtypes are converted; any other shape is an error.
    sample_rate : int
        Frames per second, in Hz.
    """

    samples: Samples
    sample_rate: int

    def __post_init__(self) -> None:
        samples = self.samples
        if not isinstance(samples, np.ndarray) or samples.ndim != 2:
            shape = getattr(samples, "shape", None)
            raise UsageError(f"samples of shape {shape} must be a 2-D array (channels, frames)")
        if samples.dtype != np.float32:
            if not np.issubdtype(samples.dtype, np.floating):
                raise UsageError(f"samples of dtype {samples.dtype} must be floating point")
            object.__setattr__(self, "samples", samples.astype(np.float32))
        if isinstance(self.sample_rate, bool) or int(self.sample_rate) != self.sample_rate or self.sample_rate <= 0:
            raise UsageError(f"sample_rate={self.sample_rate!r} must be a positive integer (Hz)")
        object.__setattr__(self, "sample_rate", int(self.sample_rate))

    @property
    def channels(self) -> int:
        """Number of channels."""
        return int(self.samples.shape[0])

    @property
    def frames(self) -> int:
        """Number of sample frames."""
        return int(self.samples.shape[1])

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate


def silence(*shape: int) -> Samples:
    """A float32 array of zeros, written rather than mapped.

    ``np.zeros`` of a large array asks the system for fresh memory, which reads as zeros
    until first written; a block that is then added into is read first and written
    second, so every page faults twice and the second fault makes every core drop its
    cached address translations (a render's per-block buses spent ~0.5 CPU-seconds so).
    Filling the array at once costs one write per page.
    """
    out = np.empty(shape, np.float32)
    out.fill(0.0)
    return out


__all__ = ["AudioBuffer", "Samples", "silence"]
