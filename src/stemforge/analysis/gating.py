"""Gated loudness from 100 ms sub-block energies (BS.1770-4 §2.3-2.4, EBU Tech 3342).

The meter reduces K-weighted audio to one number per channel and 100 ms sub-block: the sum
of squared samples ``e_i[k]`` and its frame count ``n[k]``. Everything else is computed here
from those sums, so streaming and whole-buffer measurement agree exactly:

- a gating block ``j`` (400 ms, 75 % overlap, BS.1770-4 eq. 3) is sub-blocks ``j..j+3``;
  its mean square per channel is ``z_ij = sum(e_i) / sum(n)``;
- its loudness is ``l_j = -0.691 + 10 log10(sum_i G_i z_ij)`` (eq. 4);
- momentary loudness is ``l_j`` itself; short-term loudness is the same over 30
  sub-blocks (3 s), both refreshed every 100 ms (EBU Tech 3341 §2.2);
- integrated loudness gates blocks at -70 LKFS, then 10 LU below the power mean of the
  blocks that pass (eqs. 5-7);
- loudness range takes short-term values at 10 Hz, gates them at -70 LUFS and 20 LU below
  their power mean, and is the spread between their 10th and 95th percentiles
  (EBU Tech 3342 §3).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: The constant of BS.1770-4 eq. 2: a 997 Hz sine at 0 dBFS in one channel reads -3.01 LKFS.
LOUDNESS_OFFSET_DB = -0.691
#: Absolute gate of BS.1770-4 eq. 5 and EBU Tech 3342, in LUFS.
ABSOLUTE_GATE_LUFS = -70.0
#: Relative gate for integrated loudness (BS.1770-4 eq. 6), in LU.
RELATIVE_GATE_LU = -10.0
#: Relative gate for loudness range (EBU Tech 3342), in LU.
LRA_RELATIVE_GATE_LU = -20.0
#: Percentiles whose difference is the loudness range (EBU Tech 3342).
LRA_LOW_PERCENTILE = 10.0
LRA_HIGH_PERCENTILE = 95.0
#: Sub-blocks (100 ms) per momentary (400 ms) and short-term (3 s) window.
MOMENTARY_SUB_BLOCKS = 4
SHORT_TERM_SUB_BLOCKS = 30

Floats = npt.NDArray[np.float64]


def energy_to_lufs(energy: Floats | float) -> Floats:
    """Loudness of weighted mean-square energies (BS.1770-4 eq. 4); 0 energy gives -inf."""
    with np.errstate(divide="ignore"):
        return LOUDNESS_OFFSET_DB + 10.0 * np.log10(np.asarray(energy, dtype=np.float64))


def lufs_to_energy(lufs: float) -> float:
    """The weighted mean-square energy whose loudness is ``lufs``."""
    return float(10.0 ** ((lufs - LOUDNESS_OFFSET_DB) / 10.0))


def window_energies(
    sub_block_sums: Floats, sub_block_frames: npt.NDArray[np.int64], weights: Floats, window: int
) -> Floats:
    """Weighted mean-square energy of every complete sliding window of sub-blocks.

    Parameters
    ----------
    sub_block_sums : np.ndarray, float64, shape (channels, sub_blocks)
        Sum of squared K-weighted samples per channel and 100 ms sub-block.
    sub_block_frames : np.ndarray, int64, shape (sub_blocks,)
        Frames in each sub-block.
    weights : np.ndarray, float64, shape (channels,)
        Channel weights G_i.
    window : int
        Sub-blocks per window (4 for momentary and gating blocks, 30 for short-term).

    Returns
    -------
    np.ndarray, float64, shape (max(0, sub_blocks - window + 1),)
        ``sum_i G_i z_i`` per window, the argument of the logarithm in eq. 4.
    """
    count = sub_block_sums.shape[1] - window + 1
    if count <= 0:
        return np.zeros(0)
    weighted = weights @ sub_block_sums
    sums = np.zeros(count)
    frames = np.zeros(count)
    for offset in range(window):  # exact, order-fixed sliding sums
        sums += weighted[offset : offset + count]
        frames += sub_block_frames[offset : offset + count]
    return sums / frames


def integrated_from_block_energies(block_energies: Floats) -> float | None:
    """Gated integrated loudness (BS.1770-4 eqs. 5-7) of 400 ms gating-block energies.

    Returns
    -------
    float or None
        In LUFS; ``None`` when no block passes the absolute gate (silence, or audio shorter
        than one 400 ms block).
    """
    above_absolute = block_energies[block_energies > lufs_to_energy(ABSOLUTE_GATE_LUFS)]
    if above_absolute.size == 0:
        return None
    relative_gate_lufs = float(energy_to_lufs(above_absolute.mean())) + RELATIVE_GATE_LU
    gated = above_absolute[above_absolute > lufs_to_energy(relative_gate_lufs)]
    if gated.size == 0:
        return None
    return float(energy_to_lufs(gated.mean()))


def loudness_range_from_short_term(short_term_energies: Floats) -> float:
    """Loudness range (EBU Tech 3342) of short-term (3 s) energies taken at 10 Hz.

    Returns
    -------
    float
        ``L95 - L10`` of the gated short-term loudness values, in LU; 0.0 when no value
        passes the gates.
    """
    above_absolute = short_term_energies[short_term_energies > lufs_to_energy(ABSOLUTE_GATE_LUFS)]
    if above_absolute.size == 0:
        return 0.0
    relative_gate_lufs = float(energy_to_lufs(above_absolute.mean())) + LRA_RELATIVE_GATE_LU
    gated = above_absolute[above_absolute > lufs_to_energy(relative_gate_lufs)]
    if gated.size == 0:
        return 0.0
    low, high = np.percentile(energy_to_lufs(gated), [LRA_LOW_PERCENTILE, LRA_HIGH_PERCENTILE])
    return float(max(0.0, high - low))


__all__ = [
    "ABSOLUTE_GATE_LUFS",
    "LOUDNESS_OFFSET_DB",
    "LRA_HIGH_PERCENTILE",
    "LRA_LOW_PERCENTILE",
    "LRA_RELATIVE_GATE_LU",
    "MOMENTARY_SUB_BLOCKS",
    "RELATIVE_GATE_LU",
    "SHORT_TERM_SUB_BLOCKS",
    "energy_to_lufs",
    "integrated_from_block_energies",
    "loudness_range_from_short_term",
    "lufs_to_energy",
    "window_energies",
]
