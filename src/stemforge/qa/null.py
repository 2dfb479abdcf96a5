"""The null test: the residual of mix − Σ stems, accumulated block by block.

Stems that should add up to a mix (the render engine's contract: ``sum(stems) == mix``)
leave a residual at the level of the files' quantization, around −100 dB relative to the
mix for 24-bit files. Anything louder means the stems and the mix differ; the per-segment
energies kept here tell :mod:`stemforge.qa.diagnose` where to look for the cause.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from stemforge.audio import Samples
from stemforge.qa.scan import SEGMENT_FRAMES

FloatArray = npt.NDArray[np.float64]

#: Residuals at or below this level (dB relative to the mix) pass the null test.
NULL_PASS_DB = -60.0


def energy_db(energy: float, reference: float) -> float:
    """``10·log10(energy / reference)``, ``-inf`` for zero energy, ``+inf`` for a silent reference."""
    if energy <= 0.0:
        return -math.inf
    if reference <= 0.0:
        return math.inf
    return 10.0 * math.log10(energy / reference)


@dataclass(frozen=True)
class NullResult:
    """Residual of mix − Σ stems.

    Attributes
    ----------
    residual_db : float
        Residual energy relative to the mix energy, in dB (``-inf`` for a perfect null).
    residual_peak_dbfs : float
        Sample peak of the residual.
    mix_energy, residual_energy : float
        Sums of squares over all channels and frames.
    segment_residual : np.ndarray, float64, shape (segments,)
        Residual energy per segment of :data:`SEGMENT_FRAMES`.
    segment_mix : np.ndarray, float64, shape (segments,)
        Mix energy per segment.
    frames : int
    """

    residual_db: float
    residual_peak_dbfs: float
    mix_energy: float
    residual_energy: float
    segment_residual: FloatArray
    segment_mix: FloatArray
    frames: int

    @property
    def passed(self) -> bool:
        """True when the residual is at or below :data:`NULL_PASS_DB`."""
        return self.residual_db <= NULL_PASS_DB


class NullAccumulator:
    """Sum stems block by block and keep the residual against the mix.

    Blocks must be fed in order and their frame counts must be multiples of
    :data:`SEGMENT_FRAMES` except for the last.
    """

    def __init__(self, channels: int) -> None:
        self.channels = int(channels)
        self.frames = 0
        self._mix_energy: list[FloatArray] = []
        self._res_energy: list[FloatArray] = []
        self._peak = 0.0

    def feed(self, mix: Samples, stems_sum: Samples) -> None:
        """Add one block of the mix and the matching block of Σ stems (same shape)."""
        residual = mix - stems_sum
        n = mix.shape[1]
        whole = n // SEGMENT_FRAMES * SEGMENT_FRAMES
        for part_mix, part_res in self._segmented(mix, residual, whole):
            self._mix_energy.append(part_mix)
            self._res_energy.append(part_res)
        if n:
            self._peak = max(self._peak, float(np.abs(residual).max()))
        self.frames += n

    def _segmented(self, mix: Samples, residual: Samples, whole: int) -> list[tuple[FloatArray, FloatArray]]:
        parts = []
        if whole:
            m = mix[:, :whole].reshape(self.channels, -1, SEGMENT_FRAMES)
            r = residual[:, :whole].reshape(self.channels, -1, SEGMENT_FRAMES)
            parts.append((np.einsum("csf,csf->s", m, m, dtype=np.float64), np.einsum("csf,csf->s", r, r, dtype=np.float64)))
        if whole < mix.shape[1]:
            m, r = mix[:, whole:], residual[:, whole:]
            parts.append((np.array([float(np.sum(m.astype(np.float64) ** 2))]), np.array([float(np.sum(r.astype(np.float64) ** 2))])))
        return parts

    def finish(self) -> NullResult:
        """The null test's result."""
        seg_mix = np.concatenate(self._mix_energy) if self._mix_energy else np.zeros(0)
        seg_res = np.concatenate(self._res_energy) if self._res_energy else np.zeros(0)
        mix_energy = float(seg_mix.sum())
        res_energy = float(seg_res.sum())
        return NullResult(
            residual_db=energy_db(res_energy, mix_energy),
            residual_peak_dbfs=20.0 * math.log10(self._peak) if self._peak > 0 else -math.inf,
            mix_energy=mix_energy,
            residual_energy=res_energy,
            segment_residual=seg_res,
            segment_mix=seg_mix,
            frames=self.frames,
        )


__all__ = ["NULL_PASS_DB", "NullAccumulator", "NullResult", "energy_db"]
