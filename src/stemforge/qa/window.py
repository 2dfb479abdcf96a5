"""Reading short windows of a file, zero-padded and laid out to a given channel count.

The cause finding reads a few seconds around the loudest part of the residual rather
than whole files; a window may start before the file or end after it (zeros there).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from stemforge.audio import BlockReader, Samples


def read_window(path: Path, *, start_frame: int, frames: int, channels: int) -> Samples:
    """Read ``frames`` frames starting at ``start_frame`` (may be negative), zero-padded.

    Parameters
    ----------
    path : Path
    start_frame : int
        First frame of the window; frames before 0 or past the end are zeros.
    frames : int
    channels : int
        Output channel count: a mono file is copied to every channel; a file with more
        channels than asked keeps its first ``channels``.

    Returns
    -------
    np.ndarray, float32, shape (channels, frames)
    """
    out = np.zeros((channels, frames), np.float32)
    with BlockReader(path) as reader:
        first = max(start_frame, 0)
        if first >= reader.info.frames or start_frame + frames <= 0:
            return out
        reader.seek(first)
        data = reader.read(start_frame + frames - first)
    data = np.nan_to_num(data, nan=0.0, posinf=0.0, neginf=0.0)
    offset = first - start_frame
    n = data.shape[1]
    if data.shape[0] == 1:
        out[:, offset : offset + n] = data[0]
    else:
        take = min(channels, data.shape[0])
        out[:take, offset : offset + n] = data[:take]
    return out


def dbfs(linear: float) -> float:
    """``20·log10(linear)``, ``-inf`` for 0."""
    return 20.0 * math.log10(linear) if linear > 0 else -math.inf


__all__ = ["dbfs", "read_window"]
