"""Loudness-matched before/after previews for an honest A/B.

Louder sounds better to everyone, so comparing a quiet mix with its loud master says
nothing about the mastering. The previews take the same passage of both — the loudest
``length_s`` of the limiter's input (where the master is loudest too: limiting keeps the
order of loudness), found from 100 ms mean-square energies — and set both to the
same integrated loudness (the louder one is turned down, and both stay at least 1 dB below
full scale), with 20 ms fades.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stemforge.audio.buffer import Samples
from stemforge.mastering.measure import measure_lufs, sample_peak_dbfs

FADE_S = 0.02
#: Highest sample peak either preview may have, in dBFS.
PREVIEW_PEAK_DBFS = -1.0


@dataclass(frozen=True)
class Previews:
    """The two preview excerpts.

    Attributes
    ----------
    before, after : np.ndarray, float32, shape (channels, frames)
    start_s, length_s : float
        Where the excerpt starts in the song, and its length.
    lufs : float or None
        Integrated loudness of both excerpts.
    before_gain_db, after_gain_db : float
        Gains applied to match them.
    """

    before: Samples
    after: Samples
    start_s: float
    length_s: float
    lufs: float | None
    before_gain_db: float
    after_gain_db: float


def loudest_start(samples: Samples, sample_rate: int, length_frames: int) -> int:
    """First frame of the ``length_frames`` window with the most energy (100 ms steps)."""
    frames = samples.shape[1]
    if frames <= length_frames:
        return 0
    hop = max(1, sample_rate // 10)
    count = frames // hop
    energy = np.square(samples[:, : count * hop], dtype=np.float32).reshape(samples.shape[0], count, hop).sum(axis=(0, 2), dtype=np.float64)
    window = max(1, length_frames // hop)
    sums = np.convolve(energy, np.ones(window), mode="valid")
    start = int(np.argmax(sums)) * hop
    return min(start, frames - length_frames)


def preview_window(samples: Samples, sample_rate: int, *, length_s: float) -> tuple[int, int]:
    """First frame and length of the previews' excerpt: the loudest ``length_s`` of ``samples``."""
    length = min(samples.shape[1], round(length_s * sample_rate))
    return loudest_start(samples, sample_rate, length), length


def match_previews(cut_before: Samples, cut_after: Samples, sample_rate: int, *, start: int) -> Previews:
    """Loudness-match and fade two excerpts of the same ``start`` frame and length."""
    length = cut_after.shape[1]
    lufs_before = measure_lufs(cut_before, sample_rate)
    lufs_after = measure_lufs(cut_after, sample_rate)
    if lufs_before is None or lufs_after is None:
        gain_before = gain_after = 0.0
        level = None
    else:
        level = min(
            lufs_before + PREVIEW_PEAK_DBFS - sample_peak_dbfs(cut_before),
            lufs_after + PREVIEW_PEAK_DBFS - sample_peak_dbfs(cut_after),
            lufs_after,
        )
        gain_before, gain_after = level - lufs_before, level - lufs_after
    fade = min(round(FADE_S * sample_rate), length // 2)
    ramp = np.ones(length, np.float32)
    if fade > 0:
        ramp[:fade] = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        ramp[-fade:] = np.linspace(1.0, 0.0, fade, dtype=np.float32)
    out_before = cut_before * ramp * np.float32(10.0 ** (gain_before / 20.0))
    out_after = cut_after * ramp * np.float32(10.0 ** (gain_after / 20.0))
    return Previews(
        before=out_before.astype(np.float32),
        after=out_after.astype(np.float32),
        start_s=start / sample_rate,
        length_s=length / sample_rate,
        lufs=None if level is None else (level if math.isfinite(level) else None),
        before_gain_db=gain_before,
        after_gain_db=gain_after,
    )


__all__ = ["Previews", "loudest_start", "match_previews", "preview_window"]
