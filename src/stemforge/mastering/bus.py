"""Stage 3: glue compression and stereo width — both off unless asked for.

**Glue**: a gentle stereo-linked bus compressor. The detector is the mean square of all
channels smoothed by a one-pole filter (RMS over ``detector_ms``); the gain computer has a
soft knee (Giannoulis, Massberg & Reiss, "Digital Dynamic Range Compressor Design", JAES
2012, eq. 4); the reduction recovers exponentially in dB (``release_ms``) and is smoothed by
a one-pole filter (``attack_ms``). Linked, so the stereo image never shifts. The threshold is
set from the material (``threshold_offset_db`` below its loudest 5 % of detector values), so
the same setting glues a quiet and a loud mix alike. The side chain runs at a control rate
of one value per 16 frames (block mean power in, gain interpolated linearly back to every
frame), and vectorised: the release is the running maximum trick of
:mod:`stemforge.mastering.limiter`.

**Width**: mid/side — the side signal is scaled by ``width_percent`` / 100, and, below
``mono_below_hz``, removed by a 4th-order Linkwitz-Riley high-pass on the side only, so the
low end is mono while the mid is untouched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.signal

from stemforge.audio.buffer import Samples
from stemforge.mastering.limiter import _release

#: Frames per step of the glue compressor's side chain (its control rate is the sample rate
#: over this): far shorter than its 20 ms detector and 30 ms attack.
CONTROL_FRAMES = 16


@dataclass(frozen=True)
class GlueStage:
    """Stage 3a's report.

    Attributes
    ----------
    applied : bool
    threshold_db, ratio, knee_db, attack_ms, release_ms, detector_ms : float
    max_reduction_db, mean_reduction_db : float
        Largest and average gain reduction, in dB.
    """

    applied: bool
    threshold_db: float = 0.0
    ratio: float = 2.0
    knee_db: float = 6.0
    attack_ms: float = 30.0
    release_ms: float = 250.0
    detector_ms: float = 20.0
    max_reduction_db: float = 0.0
    mean_reduction_db: float = 0.0


@dataclass(frozen=True)
class WidthStage:
    """Stage 3b's report.

    Attributes
    ----------
    applied : bool
    width_percent : float
    mono_below_hz : float or None
    side_to_mid_before_db, side_to_mid_after_db : float or None
        Power of the side signal relative to the mid, before and after.
    """

    applied: bool
    width_percent: float = 100.0
    mono_below_hz: float | None = None
    side_to_mid_before_db: float | None = None
    side_to_mid_after_db: float | None = None


def glue_compress(
    samples: Samples,
    sample_rate: int,
    *,
    ratio: float = 2.0,
    threshold_offset_db: float = 3.0,
    knee_db: float = 6.0,
    attack_ms: float = 30.0,
    release_ms: float = 250.0,
    detector_ms: float = 20.0,
) -> tuple[Samples, GlueStage]:
    """Gentle linked bus compression (see the module docstring).

    Returns
    -------
    samples : np.ndarray, float32, shape (channels, frames)
    stage : GlueStage
    """
    frames = samples.shape[1]
    if frames == 0:
        return samples, GlueStage(applied=False)
    # The side chain runs at the control rate: mean power over blocks of CONTROL_FRAMES.
    block = CONTROL_FRAMES
    blocks = -(-frames // block)
    power = _block_power(samples, block, blocks)
    control_rate = sample_rate / block
    pole = math.exp(-1.0 / (detector_ms * 1e-3 * control_rate))
    power = scipy.signal.lfilter([1.0 - pole], [1.0, -pole], power)
    level_db = 10.0 * np.log10(np.maximum(power, 1e-12))
    active = level_db > -70.0
    if not active.any():
        return samples, GlueStage(applied=False)
    threshold = float(np.percentile(level_db[active], 95.0)) - threshold_offset_db
    over = level_db - threshold
    slope = 1.0 - 1.0 / ratio
    reduction = np.where(over <= -knee_db / 2, 0.0, np.where(over >= knee_db / 2, slope * over, slope * (over + knee_db / 2) ** 2 / (2 * knee_db)))
    release_blocks = release_ms * 1e-3 * control_rate
    reduction = _release(reduction, np.float32(0.0), math.exp(-1.0 / release_blocks), max(1, int(600 * release_blocks)))
    attack_pole = math.exp(-1.0 / (attack_ms * 1e-3 * control_rate))
    reduction = scipy.signal.lfilter([1.0 - attack_pole], [1.0, -attack_pole], reduction)
    stage = GlueStage(
        applied=True,
        threshold_db=round(threshold, 2),
        ratio=ratio,
        knee_db=knee_db,
        attack_ms=attack_ms,
        release_ms=release_ms,
        detector_ms=detector_ms,
        max_reduction_db=float(reduction.max()),
        mean_reduction_db=float(reduction[active].mean()),
    )
    return _apply_block_gain(samples, np.power(10.0, -reduction / 20.0), block), stage


def _block_power(samples: Samples, block: int, blocks: int) -> npt.NDArray[np.float64]:
    """Mean square over all channels of each block of ``block`` frames (the last may be short)."""
    frames = samples.shape[1]
    power = np.zeros(blocks, dtype=np.float64)
    whole = frames // block
    step = (1 << 20) // block * block  # frames per piece: bounded temporaries
    for start in range(0, whole * block, step):
        stop = min(start + step, whole * block)
        for channel in samples:
            piece = channel[start:stop].reshape(-1, block)
            power[start // block : stop // block] += np.einsum("ij,ij->i", piece, piece, dtype=np.float64)
    if whole < blocks:
        tail = samples[:, whole * block :].astype(np.float64)
        power[whole] = float(np.sum(tail * tail))
    counts = np.full(blocks, float(block))
    counts[-1] = frames - (blocks - 1) * block
    return power / (counts * samples.shape[0])


def _apply_block_gain(samples: Samples, gain: npt.NDArray[np.float64], block: int) -> Samples:
    """``samples`` times ``gain`` (one value per block, at the block's centre) interpolated
    linearly to every frame."""
    frames = samples.shape[1]
    centres = np.arange(gain.size, dtype=np.float64) * block + (block - 1) / 2.0
    out = np.empty_like(samples)
    step = 1 << 18
    for start in range(0, frames, step):
        stop = min(start + step, frames)
        per_frame = np.interp(np.arange(start, stop, dtype=np.float64), centres, gain).astype(np.float32)
        np.multiply(samples[:, start:stop], per_frame, out=out[:, start:stop])
    return out


def _side_to_mid_db(mid: np.ndarray, side: np.ndarray) -> float | None:
    mid_power = float(np.mean(mid.astype(np.float64) ** 2))
    side_power = float(np.mean(side.astype(np.float64) ** 2))
    if mid_power <= 0 or side_power <= 0:
        return None
    return 10.0 * math.log10(side_power / mid_power)


def set_width(samples: Samples, sample_rate: int, *, width_percent: float = 100.0, mono_below_hz: float | None = None) -> tuple[Samples, WidthStage]:
    """Scale the side signal and make the low end mono (stereo only).

    Returns
    -------
    samples : np.ndarray, float32, shape (2, frames)
    stage : WidthStage
    """
    mid = (samples[0] + samples[1]) * np.float32(0.5)
    side = (samples[0] - samples[1]) * np.float32(0.5)
    before = _side_to_mid_db(mid, side)
    new_side = side * np.float32(width_percent / 100.0)
    if mono_below_hz is not None:
        sos = scipy.signal.butter(2, mono_below_hz, btype="highpass", fs=sample_rate, output="sos")
        sos = np.concatenate([sos, sos])  # Linkwitz-Riley: two Butterworths in cascade
        new_side = scipy.signal.sosfilt(sos, new_side.astype(np.float64)).astype(np.float32)
    out = np.stack([mid + new_side, mid - new_side]).astype(np.float32)
    after = _side_to_mid_db(mid, new_side)
    return out, WidthStage(True, width_percent, mono_below_hz, before, after)


__all__ = ["GlueStage", "WidthStage", "glue_compress", "set_width"]
