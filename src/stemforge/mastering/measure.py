"""The measurements the mastering chain steers by, and a fast loudness model for its search.

Every number the chain reports or guarantees comes from the project's own meters in
:mod:`stemforge.analysis` (BS.1770-4 integrated loudness and true peak). The search for the
gain that reaches a target loudness runs many candidate gains, so it uses
:class:`GainLoudnessModel`: the K-weighted energy of the signal is computed once, summed
over slots of up to 16 frames, and the loudness of ``gain(t) * signal`` is predicted from
per-100 ms sums of ``gain² · energy`` (exact for constant gain; for the slowly varying gain
of a limiter it differs from a full measurement by a few hundredths of a LU, and the chain
always re-measures with the real meter).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import scipy.signal

from stemforge.analysis import LoudnessMeter, integrated_loudness, true_peak_dbtp
from stemforge.analysis.gating import integrated_from_block_energies
from stemforge.analysis.kweighting import channel_weights, k_weighting_sos
from stemforge.audio.buffer import Samples

#: 100 ms sub-blocks, four to a 400 ms gating block (BS.1770-4 §2.3, 75 % overlap).
_SUB_BLOCK_S = 0.1
_BLOCK_SUB_BLOCKS = 4


def measure_lufs(samples: Samples, sample_rate: int) -> float | None:
    """Integrated loudness in LUFS by the project's meter (``None`` for silence)."""
    return integrated_loudness(samples, sample_rate)


def measure_dbtp(samples: Samples, sample_rate: int) -> float:
    """True peak in dBTP by the project's meter (BS.1770-4 Annex 2)."""
    return float(true_peak_dbtp(samples, sample_rate))


def measure_lufs_dbtp(samples: Samples, sample_rate: int) -> tuple[float | None, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) in one pass of the project's meter."""
    meter = LoudnessMeter(sample_rate, samples.shape[0], spectrum=False, levels=False)
    meter.process(samples)
    report = meter.result()
    peak = report.true_peak_dbtp
    return report.integrated_lufs, -math.inf if peak is None else float(peak)


def sample_peak_dbfs(samples: Samples) -> float:
    """Largest absolute sample in dBFS (−inf for silence)."""
    peak = max(float(samples.max()), -float(samples.min())) if samples.size else 0.0  # no |x| copy
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def slot_sums(values: npt.NDArray[np.floating], slot: int) -> npt.NDArray[np.float64]:
    """Sum of each run of ``slot`` values (float64), one position of the run at a time
    (NumPy reduces a short last axis slowly)."""
    columns = values.reshape(-1, slot)
    out = columns[:, 0].astype(np.float64)
    for k in range(1, slot):
        out += columns[:, k]
    return out


class GainLoudnessModel:
    """Predicts the integrated loudness of ``gain * samples`` for many gain curves.

    Parameters
    ----------
    samples : np.ndarray, float32, shape (channels, frames)
    sample_rate : int
        In Hz.
    """

    def __init__(self, samples: Samples, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.frames = samples.shape[1]
        self.sub_block_frames = max(1, round(_SUB_BLOCK_S * sample_rate))
        self.sub_blocks = self.frames // self.sub_block_frames
        #: Frames per slot: the largest divisor of a sub-block up to 16.
        self.slot_frames = max(d for d in range(1, 17) if self.sub_block_frames % d == 0)
        n = self.sub_blocks * self.sub_block_frames
        weights = channel_weights(samples.shape[0])
        sos = k_weighting_sos(sample_rate)
        # Filtered in float64 (the RLB pole sits close to the unit circle) a block at a time,
        # with the filter state carried over; only the K-weighted energy of each slot is kept.
        step = self.slot_frames << 14

        def channel_energy(channel: int) -> npt.NDArray[np.float64]:
            energy = np.zeros(n // self.slot_frames, np.float64)
            state = np.zeros((sos.shape[0], 2))
            for start in range(0, n, step):
                stop = min(n, start + step)
                weighted, state = scipy.signal.sosfilt(sos, samples[channel, start:stop].astype(np.float64), zi=state)
                weighted *= weighted
                energy[start // self.slot_frames : stop // self.slot_frames] = slot_sums(weighted, self.slot_frames)
            return energy * weights[channel]

        # The channels are filtered side by side (SciPy's filter releases the interpreter's lock).
        used = [c for c in range(samples.shape[0]) if weights[c] != 0]
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="stemforge-kweight") as pool:
            parts = list(pool.map(channel_energy, used))
        self._slot_energy = np.sum(parts, axis=0) if parts else np.zeros(n // self.slot_frames, np.float64)

    def release(self) -> None:
        """Let the energies go (the model predicts nothing after this)."""
        self._slot_energy = np.zeros(0, np.float64)
        self.sub_blocks = 0

    @property
    def slots(self) -> int:
        """Slots of :meth:`lufs_slots` (the frames of whole sub-blocks, ``slot_frames`` each)."""
        return self._slot_energy.size

    def _lufs(self, slot_gain_squared: npt.NDArray[np.float64] | float) -> float | None:
        if self.sub_blocks < _BLOCK_SUB_BLOCKS:
            return None
        sums = (self._slot_energy * slot_gain_squared).reshape(self.sub_blocks, -1).sum(axis=1)
        windows = np.lib.stride_tricks.sliding_window_view(sums, _BLOCK_SUB_BLOCKS).sum(axis=1)
        return integrated_from_block_energies(windows / (_BLOCK_SUB_BLOCKS * self.sub_block_frames))

    def lufs_slots(self, gain: npt.NDArray[np.floating] | float) -> float | None:
        """Predicted integrated loudness with one linear gain per slot of ``slot_frames`` frames.

        The search for a target loudness steers by this (16 times less work than per frame).
        """
        g = np.asarray(gain, np.float64)
        return self._lufs(g * g if g.ndim else float(g) ** 2)

    def lufs_reduction(self, gain_db: float, reduction_db: npt.NDArray[np.float32]) -> float | None:
        """Predicted integrated loudness with ``gain_db`` less a per-frame ``reduction_db`` (dB).

        As :meth:`lufs` of the linear gain, made a block at a time (no song-long arrays).
        """
        n = self.slots * self.slot_frames
        squared = np.empty(self.slots, np.float64)
        scale = np.float32(math.log(10.0) / 10.0)  # of the squared gain
        step = self.slot_frames << 14
        for start in range(0, n, step):
            stop = min(n, start + step)
            g2 = np.float32(gain_db) - reduction_db[start:stop]
            g2 *= scale
            np.exp(g2, out=g2)
            squared[start // self.slot_frames : stop // self.slot_frames] = slot_sums(g2, self.slot_frames) / self.slot_frames
        return self._lufs(squared)

    def lufs(self, gain: float = 1.0) -> float | None:
        """Predicted integrated loudness (LUFS) of the signal times a constant linear ``gain``."""
        return self._lufs(float(gain) ** 2)


__all__ = ["GainLoudnessModel", "measure_dbtp", "measure_lufs", "measure_lufs_dbtp", "sample_peak_dbfs"]
