"""Compressor: a feed-forward compressor (pedalboard's JUCE compressor) with make-up gain.

The gain computer and its attack/release ballistics run sample by sample, so the output
does not depend on the block size; there is no look-ahead and so no latency. On x86
machines it runs as :class:`~stemforge.dsp.ballistics.PeakCompressor`, the same
arithmetic compiled with numba (bit-identical to pedalboard's, and cheaper).
"""

from __future__ import annotations

from dataclasses import dataclass

import pedalboard

from stemforge.dsp.effect import EffectSpec, Stage, param, register_effect


@register_effect
@dataclass(frozen=True)
class Compressor(EffectSpec):
    """Downward compression above a threshold.

    Attributes
    ----------
    threshold_db : float
        Level above which gain is reduced, dBFS (−60 … 0).
    ratio : float
        Input dB over the threshold per output dB (1 … 100).
    attack_ms, release_ms : float
        Ballistics of the gain reduction, milliseconds.
    makeup_db : float
        Gain after compression, dB.
    """

    type_name = "compressor"
    linear = False

    threshold_db: float = param(-18.0, low=-60, high=0)
    ratio: float = param(4.0, low=1, high=100)
    attack_ms: float = param(10.0, low=0.01, high=500)
    release_ms: float = param(100.0, low=1, high=5000)
    makeup_db: float = param(0.0, low=-24, high=24)

    def plugins(self, sample_rate: int) -> list[pedalboard.Plugin]:
        chain: list[pedalboard.Plugin] = [
            pedalboard.Compressor(threshold_db=self.threshold_db, ratio=self.ratio, attack_ms=self.attack_ms, release_ms=self.release_ms)
        ]
        if self.makeup_db:
            chain.append(pedalboard.Gain(gain_db=self.makeup_db))
        return chain

    def stage(self, sample_rate: int, *, channels: int) -> Stage | None:
        # numba: imported when a compressor first runs
        from stemforge.dsp import ballistics, jit

        if not jit.available():
            return None
        return ballistics.PeakCompressor(
            threshold_db=self.threshold_db,
            ratio=self.ratio,
            attack_ms=self.attack_ms,
            release_ms=self.release_ms,
            makeup_db=self.makeup_db,
            sample_rate=sample_rate,
            channels=channels,
        )


__all__ = ["Compressor"]
